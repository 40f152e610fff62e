package flowlog

import (
	"github.com/flowdiag/flowdiag/internal/suggest"

	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Format is the ordered list of columns of a flow log: the fields AWS writes
// on each line, in order. A column is either a Field that flowdiag knows or,
// for formats read from a header line, an extra column with a name flowdiag
// does not know (AWS keeps adding fields); extra column values are kept as
// strings in Record.Extra.
//
// A Format is immutable once built and may be shared between goroutines.
type Format struct {
	cols  []Field  // one per column; FieldInvalid for an extra column
	names []string // one per column: AWS spelling for known fields, as written for extras
	extra []string // names of the extra columns, in column order
	set   FieldSet // known fields present
	tgw   bool     // has Transit Gateway only fields
}

var defaultFields = []Field{
	FieldVersion, FieldAccountID, FieldInterfaceID, FieldSrcAddr, FieldDstAddr,
	FieldSrcPort, FieldDstPort, FieldProtocol, FieldPackets, FieldBytes,
	FieldStart, FieldEnd, FieldAction, FieldLogStatus,
}

// DefaultFormat returns the default (version 2) format:
// version account-id interface-id srcaddr dstaddr srcport dstport protocol
// packets bytes start end action log-status.
func DefaultFormat() *Format { return NewFormat(defaultFields...) }

var tgwDefaultFields = []Field{
	FieldVersion, FieldResourceType, FieldAccountID, FieldTGWID, FieldTGWAttachmentID,
	FieldTGWSrcVPCAccountID, FieldTGWDstVPCAccountID, FieldTGWSrcVPCID, FieldTGWDstVPCID,
	FieldTGWSrcSubnetID, FieldTGWDstSubnetID, FieldTGWSrcENI, FieldTGWDstENI, FieldTGWSrcAZID,
	FieldTGWDstAZID, FieldTGWPairAttachmentID, FieldSrcAddr, FieldDstAddr, FieldSrcPort, FieldDstPort,
	FieldProtocol, FieldPackets, FieldBytes, FieldStart, FieldEnd, FieldLogStatus, FieldType,
	FieldPacketsLostNoRoute, FieldPacketsLostBlackhole, FieldPacketsLostMTUExceeded,
	FieldPacketsLostTTLExpired, FieldTCPFlags, FieldRegion, FieldFlowDirection,
	FieldPktSrcAWSService, FieldPktDstAWSService,
}

// TGWDefaultFormat returns the default format of Transit Gateway flow logs
// (36 fields: version resource-type account-id tgw-id tgw-attachment-id ...
// pkt-dst-aws-service). A Reader without a given format or header line
// parses a line with this format when it has its field count and does not
// parse as the default VPC format.
func TGWDefaultFormat() *Format { return NewFormat(tgwDefaultFields...) }

// NewFormat returns a format of the given known fields, in order. It panics if
// a field is invalid or repeated: it is meant for formats fixed in code; use
// ParseFormat for user input.
func NewFormat(fields ...Field) *Format {
	f := &Format{}
	for _, fl := range fields {
		if fl <= FieldInvalid || fl >= numFields || f.set.Has(fl) {
			panic(fmt.Sprintf("flowlog.NewFormat: invalid or repeated field %d", fl))
		}
		f.add(fl, fl.String())
	}
	return f
}

func (f *Format) add(fl Field, name string) {
	f.cols = append(f.cols, fl)
	f.names = append(f.names, name)
	if fl == FieldInvalid {
		f.extra = append(f.extra, name)
		return
	}
	f.set.Add(fl)
	if fl.TransitGatewayOnly() {
		f.tgw = true
	}
}

// Len returns the number of columns, extra columns included.
func (f *Format) Len() int { return len(f.cols) }

// Fields returns the field of each column, in order; an extra (unknown)
// column is FieldInvalid. The slice is a copy.
func (f *Format) Fields() []Field { return append([]Field(nil), f.cols...) }

// Names returns the name of each column, in order: the AWS spelling
// ("account-id") for known fields, the name as written for extra columns.
func (f *Format) Names() []string { return append([]string(nil), f.names...) }

// Column returns the field and name of column i (0-based).
func (f *Format) Column(i int) (Field, string) { return f.cols[i], f.names[i] }

// Extra returns the names of the columns flowdiag does not know, in column
// order; Record.Extra holds their values in the same order.
func (f *Format) Extra() []string { return append([]string(nil), f.extra...) }

// Has reports whether the format has a column for field fl.
func (f *Format) Has(fl Field) bool { return f.set.Has(fl) }

// Set returns the set of known fields in the format.
func (f *Format) Set() FieldSet { return f.set }

// IsTransitGateway reports whether the format has fields that only Transit
// Gateway flow logs have (resource-type, tgw-id, packets-lost-*, ...).
func (f *Format) IsTransitGateway() bool { return f.tgw }

// String returns the column names separated by single spaces, as in an S3
// header line.
func (f *Format) String() string { return strings.Join(f.names, " ") }

// LogFormat returns the format in AWS's --log-format syntax:
// "${version} ${account-id} ...".
func (f *Format) LogFormat() string {
	var b strings.Builder
	for i, n := range f.names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("${")
		b.WriteString(n)
		b.WriteByte('}')
	}
	return b.String()
}

// Equal reports whether f and g have the same columns in the same order.
func (f *Format) Equal(g *Format) bool {
	if f == g {
		return true
	}
	if f == nil || g == nil || len(f.cols) != len(g.cols) {
		return false
	}
	for i := range f.cols {
		if f.cols[i] != g.cols[i] || (f.cols[i] == FieldInvalid && f.names[i] != g.names[i]) {
			return false
		}
	}
	return true
}

// short renders the format for error messages, eliding the middle of long
// formats: "version account-id interface-id ... log-status".
func (f *Format) short() string {
	if len(f.names) <= 5 {
		return f.String()
	}
	n := f.names
	return strings.Join(n[:3], " ") + " ... " + n[len(n)-1]
}

// ErrUnknownField is wrapped by ParseFormat errors for a field name flowdiag
// does not know.
var ErrUnknownField = errors.New("unknown field")

// ParseFormat parses a custom format as given to --log-format: AWS's own
// syntax ("${version} ${account-id} ..."), or plain names separated by white
// space, in hyphen or underscore spelling ("account_id") and any letter case.
//
// A name flowdiag does not know is kept as an extra column, as in a header
// line, since AWS keeps adding fields (Format.Extra lists them, so that the
// caller can warn). It is an error, suggesting the known name, when it is
// most likely a misspelling: within two edits of a known field the format
// does not already have, or that field spelled with different hyphens. A
// repeated field is an error. Error messages start with "--log-format: ".
func ParseFormat(s string) (*Format, error) {
	toks, err := formatTokens(s)
	if err != nil {
		return nil, fmt.Errorf("--log-format: %w", err)
	}
	if len(toks) == 0 {
		return nil, errors.New("--log-format: no fields given; want names such as ${version} ${account-id} ...")
	}
	f := &Format{}
	seen := make(map[string]bool, len(toks))
	var unknown []string
	for _, t := range toks {
		fl, ok := LookupField(t)
		key := normalizeName(t)
		if ok {
			key = fl.String()
		}
		if seen[key] {
			return nil, fmt.Errorf("--log-format: field %s given twice", key)
		}
		seen[key] = true
		if ok {
			f.add(fl, fl.String())
			continue
		}
		if !plausibleName([]byte(t)) {
			return nil, fmt.Errorf("--log-format: %w %q: want letters, digits, '-' and '_', as in the AWS documentation", ErrUnknownField, t)
		}
		unknown = append(unknown, t)
		f.add(FieldInvalid, t)
	}
	for _, t := range unknown {
		if near := misspelt(t, f); near != "" {
			return nil, fmt.Errorf("--log-format: %w %q (did you mean %s?)", ErrUnknownField, t, near)
		}
	}
	return f, nil
}

// misspelt returns the known fields, joined by " or ", that name is most
// likely a misspelling of: those within two edits, or equal but for hyphens,
// that the format f does not already have. It returns "" when name looks
// like a field of its own.
func misspelt(name string, f *Format) string {
	n := normalizeName(name)
	best := 3
	var names []string
	for fl := FieldVersion; fl < numFields; fl++ {
		if f.Has(fl) {
			continue
		}
		k := fl.String()
		d := suggest.Distance(n, k)
		if strings.ReplaceAll(n, "-", "") == strings.ReplaceAll(k, "-", "") {
			d = 0 // only hyphens differ: "dst-port" vs "dstport"
		}
		switch {
		case d >= 3:
		case d < best:
			best, names = d, []string{k}
		case d == best:
			names = append(names, k)
		}
	}
	if len(names) == 0 || len(names) > 3 || len(n) <= best {
		return ""
	}
	return strings.Join(names, " or ")
}

// Suggest returns " (did you mean x?)" naming the known fields closest to
// name, or "" when none is close: for warnings about extra columns.
func Suggest(name string) string {
	s := didYouMean(name)
	if strings.HasPrefix(s, " (did you mean") {
		return s
	}
	return ""
}

// formatTokens splits a --log-format value into field names, removing the
// ${...} wrapping. "${a}${b}" (no space) is accepted too.
func formatTokens(s string) ([]string, error) {
	var out []string
	for _, w := range strings.Fields(s) {
		if !strings.Contains(w, "${") && !strings.Contains(w, "}") {
			out = append(out, w)
			continue
		}
		rest := w
		for rest != "" {
			if !strings.HasPrefix(rest, "${") {
				return nil, fmt.Errorf("malformed field reference %q: want ${name}", w)
			}
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				return nil, fmt.Errorf("malformed field reference %q: missing closing }", w)
			}
			name := rest[2:end]
			if name == "" || strings.ContainsAny(name, "${") {
				return nil, fmt.Errorf("malformed field reference %q: want ${name}", w)
			}
			out = append(out, name)
			rest = rest[end+1:]
		}
	}
	return out, nil
}

// didYouMean returns " (did you mean x?)" naming the known fields closest to
// name by edit distance, or a hint when none is close.
func didYouMean(name string) string {
	n := normalizeName(name)
	best := -1
	var names []string
	for fl := FieldVersion; fl < numFields; fl++ {
		k := fl.String()
		d := suggest.Distance(n, k)
		if strings.ReplaceAll(n, "-", "") == strings.ReplaceAll(k, "-", "") {
			d = 0 // only hyphens differ: "dst-port" vs "dstport"
		}
		switch {
		case best < 0 || d < best:
			best, names = d, []string{k}
		case d == best:
			names = append(names, k)
		}
	}
	limit := max(2, len(n)/3)
	if best > limit || len(names) > 3 {
		return " (field names are as in the AWS documentation, e.g. srcaddr, dstport, log-status)"
	}
	return " (did you mean " + strings.Join(names, " or ") + "?)"
}

func normalizeName(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"))
}

// ParseHeader parses the header line S3 delivery writes as the first line of
// each file: field names separated by white space. Names flowdiag does not
// know are kept as extra columns (their values go to Record.Extra) and are
// returned in unknown so that the caller can warn about each once. A
// repeated name or a name that is not a plausible field name (lower-case
// letters, digits, '-' and '_') is an error.
func ParseHeader(line string) (f *Format, unknown []string, err error) {
	line = strings.TrimPrefix(line, "\ufeff")
	toks := strings.Fields(line)
	if len(toks) == 0 {
		return nil, nil, errors.New("header line: no field names")
	}
	f = &Format{}
	seen := make(map[string]bool, len(toks))
	for i, t := range toks {
		fl, ok := LookupField(t)
		key := normalizeName(t)
		if ok {
			key = fl.String()
		}
		if seen[key] {
			return nil, nil, fmt.Errorf("header line: field %s given twice (column %d)", key, i+1)
		}
		seen[key] = true
		if ok {
			f.add(fl, fl.String())
			continue
		}
		if !plausibleName([]byte(t)) {
			return nil, nil, fmt.Errorf("header line: %q (column %d) is not a field name", t, i+1)
		}
		f.add(FieldInvalid, t)
		unknown = append(unknown, t)
	}
	return f, unknown, nil
}

// plausibleName reports whether b could be a field name: it starts with a
// letter and holds only letters, digits, '-' and '_'.
func plausibleName(b []byte) bool {
	if len(b) == 0 || !isLetter(b[0]) {
		return false
	}
	for _, c := range b {
		if !isLetter(c) && !(c >= '0' && c <= '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// LooksLikeHeader reports whether line is a header line rather than a record:
// its first token is "version" (any case), or every token is a lower-case
// field name (letters, digits, '-' and '_', starting with a letter), none is
// a number, and at least one is a field flowdiag knows. A leading UTF-8 BOM
// is ignored. It does not allocate.
func LooksLikeHeader(line []byte) bool {
	if len(line) >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
		line = line[3:]
	}
	i := skipSpace(line, 0)
	if i == len(line) || !isLetter(line[i]) {
		return false // records almost always start with a digit, "-" or an id
	}
	first := true
	known := false
	for i < len(line) {
		j := skipToken(line, i)
		tok := line[i:j]
		if first && string(lowerASCII(tok)) == "version" {
			return true
		}
		first = false
		for _, c := range tok {
			if c >= 'A' && c <= 'Z' {
				return false
			}
		}
		if !plausibleName(tok) {
			return false
		}
		if !known {
			_, known = lookupFieldBytes(tok)
		}
		i = skipSpace(line, j)
	}
	return known
}

// lowerASCII returns tok lower-cased into a small stack buffer when it is
// short, for comparisons; longer tokens are returned unchanged.
func lowerASCII(tok []byte) []byte {
	if len(tok) != len("version") {
		return tok
	}
	var b [7]byte
	for i, c := range tok {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return b[:]
}

// lookupFieldBytes is LookupField for an exact lower-case hyphen or
// underscore spelling, without allocating.
func lookupFieldBytes(tok []byte) (Field, bool) {
	for fl := FieldVersion; fl < numFields; fl++ {
		if sameName(tok, fieldTable[fl].name) {
			return fl, true
		}
	}
	return FieldInvalid, false
}

func sameName(tok []byte, name string) bool {
	if len(tok) != len(name) {
		return false
	}
	for i, c := range tok {
		n := name[i]
		if c == n || (c == '_' && n == '-') {
			continue
		}
		if c >= 'A' && c <= 'Z' && c+'a'-'A' == n {
			continue
		}
		return false
	}
	return true
}

// AppendRecord appends rec as one line of format f (without a line
// terminator) to dst: the inverse of Parser.Parse. Fields absent from rec
// (Has false) and empty extra values are written as "-"; numbers are
// decimal, the protocol is its number, addresses are in netip form.
func (f *Format) AppendRecord(dst []byte, rec *Record) []byte {
	extra := 0
	for i, fl := range f.cols {
		if i > 0 {
			dst = append(dst, ' ')
		}
		if fl == FieldInvalid {
			v := ""
			if extra < len(rec.Extra) {
				v = rec.Extra[extra]
			}
			extra++
			dst = appendString(dst, v)
			continue
		}
		if !rec.Has(fl) {
			dst = append(dst, '-')
			continue
		}
		dst = appendField(dst, rec, fl)
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, '-')
	}
	return append(dst, s...)
}

func appendAddr(dst []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(dst, '-')
	}
	return a.AppendTo(dst)
}

func appendField(dst []byte, rec *Record, fl Field) []byte {
	switch fl {
	case FieldVersion:
		return strconv.AppendInt(dst, int64(rec.Version), 10)
	case FieldSrcAddr:
		return appendAddr(dst, rec.SrcAddr)
	case FieldDstAddr:
		return appendAddr(dst, rec.DstAddr)
	case FieldPktSrcAddr:
		return appendAddr(dst, rec.PktSrcAddr)
	case FieldPktDstAddr:
		return appendAddr(dst, rec.PktDstAddr)
	case FieldSrcPort:
		return strconv.AppendUint(dst, uint64(rec.SrcPort), 10)
	case FieldDstPort:
		return strconv.AppendUint(dst, uint64(rec.DstPort), 10)
	case FieldProtocol:
		return strconv.AppendUint(dst, uint64(rec.Protocol), 10)
	case FieldPackets:
		return strconv.AppendInt(dst, rec.Packets, 10)
	case FieldBytes:
		return strconv.AppendInt(dst, rec.Bytes, 10)
	case FieldStart:
		return strconv.AppendInt(dst, rec.Start, 10)
	case FieldEnd:
		return strconv.AppendInt(dst, rec.End, 10)
	case FieldPacketsLostNoRoute:
		return strconv.AppendInt(dst, rec.TGW.PacketsLostNoRoute, 10)
	case FieldPacketsLostBlackhole:
		return strconv.AppendInt(dst, rec.TGW.PacketsLostBlackhole, 10)
	case FieldPacketsLostMTUExceeded:
		return strconv.AppendInt(dst, rec.TGW.PacketsLostMTUExceeded, 10)
	case FieldPacketsLostTTLExpired:
		return strconv.AppendInt(dst, rec.TGW.PacketsLostTTLExpired, 10)
	case FieldTCPFlags:
		return strconv.AppendUint(dst, uint64(rec.TCPFlags), 10)
	case FieldTrafficPath:
		return strconv.AppendUint(dst, uint64(rec.TrafficPath), 10)
	case FieldEncryptionStatus:
		return strconv.AppendUint(dst, uint64(rec.EncryptionStatus), 10)
	case FieldAction:
		return append(dst, rec.Action.String()...)
	case FieldLogStatus:
		return append(dst, rec.LogStatus.String()...)
	case FieldFlowDirection:
		return append(dst, rec.FlowDirection.String()...)
	case FieldType:
		return appendString(dst, rec.Type)
	}
	return appendString(dst, *stringField(rec, fl))
}
