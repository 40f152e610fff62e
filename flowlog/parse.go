package flowlog

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Parser parses record lines of one Format into Records. It interns the
// strings it produces, so once warm it allocates nothing per line. A Parser
// is not safe for concurrent use.
type Parser struct {
	f    *Format
	cols []Field
	tgw  bool
	in   *interner
	last []string // per column: the previous string value, a one-entry cache
	// recent is a direct-mapped cache of interned values in front of the
	// interner, for the ids that change from line to line (interface-id):
	// one cheap hash of the value's last bytes and one comparison, where
	// the interner hashes the whole value and scans two sets.
	recent *[recentSize]string
	// v2 is set when the format is the default one, whose lines parseV2
	// reads in straight-line code; v2All is its columns as a FieldSet.
	v2    bool
	v2All FieldSet
}

// NewParser returns a parser for lines of format f.
func NewParser(f *Format) *Parser { return newParser(f, newInterner(0, 0)) }

func newParser(f *Format, in *interner) *Parser {
	p := &Parser{f: f, cols: f.cols, tgw: f.tgw, in: in, last: make([]string, len(f.cols)), recent: new([recentSize]string)}
	if slices.Equal(f.cols, defaultFields) {
		p.v2 = true
		for _, fl := range defaultFields {
			p.v2All.Add(fl)
		}
	}
	return p
}

// Format returns the parser's format.
func (p *Parser) Format() *Format { return p.f }

// What each kind of field holds, for error messages.
const (
	expPort      = "a port number (0-65535)"
	expProto     = "a protocol number (0-255)"
	expCount     = "a count (a non-negative integer)"
	expTime      = "a time in Unix seconds (a non-negative integer, before 2100: a larger one is milliseconds or a typo)"
	expVersion   = "a version number (a non-negative integer)"
	expUint8     = "a number from 0 to 255"
	expAddr      = "an IPv4 or IPv6 address"
	expAction    = "an action (ACCEPT, REJECT or -)"
	expLogStatus = "a log status (OK, NODATA, SKIPDATA or -)"
	expDirection = "a flow direction (ingress, egress or -)"
	expType      = "a traffic type (IPv4, IPv6, EFA or -)"
	expText      = "printable text (control characters or invalid UTF-8 found)"
)

// Parse parses one line (without its line terminator) into rec. It resets
// rec first, then sets every field of the format, the Present bit of each
// field that is not "-", Kind, and Extra. Fields are separated by runs of
// spaces or tabs; leading and trailing white space is ignored.
//
// A bad value returns a *FieldError naming the field, the 1-based byte
// column and what was expected; a wrong number of fields returns a
// *FieldCountError (errors.Is ErrFieldCount). rec is then partly filled and
// must not be used.
func (p *Parser) Parse(line []byte, rec *Record) error {
	if p.v2 && p.parseV2(line, rec) {
		return nil
	}
	rec.Reset()
	if p.tgw {
		rec.Kind = KindTransitGateway
	}
	i, n := 0, len(line)
	var cols [3]int // columns of dstaddr, pkt-dstaddr and end, for consistent
	for c, fl := range p.cols {
		i = skipSpace(line, i)
		if i == n {
			return &FieldCountError{Got: c, Want: len(p.cols), Format: p.f.short()}
		}
		start := i
		i = skipToken(line, i)
		tok := line[start:i]
		if len(tok) == 1 && tok[0] == '-' {
			if fl == FieldInvalid {
				rec.Extra = append(rec.Extra, "")
			}
			continue
		}
		if exp := p.set(rec, c, fl, tok); exp != "" {
			if got := countTokens(line); got != len(p.cols) {
				// A wrong field count explains the bad value better.
				return &FieldCountError{Got: got, Want: len(p.cols), Format: p.f.short()}
			}
			var cause error = strconv.ErrSyntax
			if exp == expText {
				cause = nil
			} else if isDigits(tok) {
				cause = strconv.ErrRange
			}
			return newFieldError(p.f.names[c], start+1, tok, exp, cause)
		}
		if fl != FieldInvalid {
			rec.Present.Add(fl)
		}
		switch fl {
		case FieldDstAddr:
			cols[0] = start + 1
		case FieldPktDstAddr:
			cols[1] = start + 1
		case FieldEnd:
			cols[2] = start + 1
		}
	}
	if i = skipSpace(line, i); i < n {
		return &FieldCountError{Got: len(p.cols) + countTokens(line[i:]), Want: len(p.cols), Format: p.f.short()}
	}
	return consistent(rec, &cols)
}

// parseV2 reads a line of the default format in its common shape: fourteen
// fields, none "-" (NODATA and SKIPDATA lines have some), every value as
// Parse accepts it. For anything else it returns false and Parse reads the
// line the general way, which also words the errors; when it returns true,
// rec is exactly what the general way gives (FuzzParseV2MatchesGeneral).
// It saves the general loop's per-field dispatch on the bulk of a dump.
func (p *Parser) parseV2(line []byte, rec *Record) bool {
	var toks [14][]byte
	i, n := 0, len(line)
	for k := range toks {
		i = skipSpace(line, i)
		if i == n {
			return false
		}
		start := i
		i = skipToken(line, i)
		t := line[start:i]
		if len(t) == 1 && t[0] == '-' {
			return false
		}
		toks[k] = t
	}
	if skipSpace(line, i) != n {
		return false
	}
	rec.Reset()
	version, ok1 := parseUint(toks[0], 1<<31-1)
	srcPort, ok2 := parseUint(toks[5], 65535)
	dstPort, ok3 := parseUint(toks[6], 65535)
	proto, ok4 := parseUint(toks[7], 255)
	packets, ok5 := parseUint(toks[8], 1<<63-1)
	nbytes, ok6 := parseUint(toks[9], 1<<63-1)
	start, ok7 := parseUint(toks[10], MaxUnixSeconds)
	end, ok8 := parseUint(toks[11], MaxUnixSeconds)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8) || end < start {
		return false
	}
	var ok bool
	if rec.SrcAddr, ok = parseAddr(toks[3]); !ok {
		return false
	}
	if rec.DstAddr, ok = parseAddr(toks[4]); !ok || rec.SrcAddr.Is4() != rec.DstAddr.Is4() {
		return false
	}
	switch string(toks[12]) {
	case "ACCEPT":
		rec.Action = ActionAccept
	case "REJECT":
		rec.Action = ActionReject
	default:
		return false
	}
	if string(toks[13]) != "OK" {
		return false
	}
	rec.LogStatus = LogStatusOK
	if rec.AccountID, ok = p.str(1, toks[1]); !ok {
		return false
	}
	if rec.InterfaceID, ok = p.str(2, toks[2]); !ok {
		return false
	}
	rec.Version = int(version)
	rec.SrcPort, rec.DstPort, rec.Protocol = uint16(srcPort), uint16(dstPort), Proto(proto)
	rec.Packets, rec.Bytes, rec.Start, rec.End = int64(packets), int64(nbytes), int64(start), int64(end)
	rec.Present = p.v2All
	return true
}

// MaxUnixSeconds is the latest start or end accepted: the last second
// before 2100-01-01. A larger
// value is a millisecond timestamp or a typo (an extra digit is the year
// 2538); taken as seconds it would move the log clock centuries ahead and
// close every open conversation, splitting requests from their replies.
const MaxUnixSeconds = 4102444799

// consistent checks what no single field shows: the two ends of a flow are
// of one address family (an IPv4 rule must never be matched against half
// of an IPv6 flow), and a window does not end before it starts.
func consistent(rec *Record, cols *[3]int) error {
	if a, b := rec.SrcAddr, rec.DstAddr; a.IsValid() && b.IsValid() && a.Is4() != b.Is4() {
		return &FieldError{Field: "dstaddr", Column: cols[0], Value: b.String(), Expected: "of the address family of srcaddr " + a.String()}
	}
	if a, b := rec.PktSrcAddr, rec.PktDstAddr; a.IsValid() && b.IsValid() && a.Is4() != b.Is4() {
		return &FieldError{Field: "pkt-dstaddr", Column: cols[1], Value: b.String(), Expected: "of the address family of pkt-srcaddr " + a.String()}
	}
	if rec.Has(FieldStart) && rec.Has(FieldEnd) && rec.End < rec.Start {
		return &FieldError{Field: "end", Column: cols[2], Value: strconv.FormatInt(rec.End, 10), Expected: "at or after start " + strconv.FormatInt(rec.Start, 10)}
	}
	return nil
}

// set stores tok into the field fl of rec; it returns "" or, for a bad
// value, what was expected.
func (p *Parser) set(rec *Record, c int, fl Field, tok []byte) string {
	var ok bool
	switch fl {
	case FieldInvalid:
		var s string
		if s, ok = p.str(c, tok); ok {
			rec.Extra = append(rec.Extra, s)
			return ""
		}
		return expText
	case FieldVersion:
		var v uint64
		if v, ok = parseUint(tok, 1<<31-1); ok {
			rec.Version = int(v)
			return ""
		}
		return expVersion
	case FieldSrcAddr:
		if rec.SrcAddr, ok = parseAddr(tok); ok {
			return ""
		}
		return expAddr
	case FieldDstAddr:
		if rec.DstAddr, ok = parseAddr(tok); ok {
			return ""
		}
		return expAddr
	case FieldPktSrcAddr:
		if rec.PktSrcAddr, ok = parseAddr(tok); ok {
			return ""
		}
		return expAddr
	case FieldPktDstAddr:
		if rec.PktDstAddr, ok = parseAddr(tok); ok {
			return ""
		}
		return expAddr
	case FieldSrcPort, FieldDstPort:
		v, ok := parseUint(tok, 65535)
		if !ok {
			return expPort
		}
		if fl == FieldSrcPort {
			rec.SrcPort = uint16(v)
		} else {
			rec.DstPort = uint16(v)
		}
		return ""
	case FieldProtocol:
		v, ok := parseUint(tok, 255)
		if !ok {
			return expProto
		}
		rec.Protocol = Proto(v)
		return ""
	case FieldPackets, FieldBytes, FieldPacketsLostNoRoute, FieldPacketsLostBlackhole,
		FieldPacketsLostMTUExceeded, FieldPacketsLostTTLExpired:
		v, ok := parseUint(tok, 1<<63-1)
		if !ok {
			return expCount
		}
		*p.countField(rec, fl) = int64(v)
		return ""
	case FieldStart, FieldEnd:
		v, ok := parseUint(tok, MaxUnixSeconds)
		if !ok {
			return expTime
		}
		if fl == FieldStart {
			rec.Start = int64(v)
		} else {
			rec.End = int64(v)
		}
		return ""
	case FieldTCPFlags, FieldTrafficPath, FieldEncryptionStatus:
		v, ok := parseUint(tok, 255)
		if !ok {
			return expUint8
		}
		switch fl {
		case FieldTCPFlags:
			rec.TCPFlags = uint8(v)
		case FieldTrafficPath:
			rec.TrafficPath = uint8(v)
		default:
			rec.EncryptionStatus = uint8(v)
		}
		return ""
	case FieldAction:
		switch {
		case string(tok) == "ACCEPT":
			rec.Action = ActionAccept
		case string(tok) == "REJECT":
			rec.Action = ActionReject
		case bytes.EqualFold(tok, []byte("ACCEPT")):
			rec.Action = ActionAccept
		case bytes.EqualFold(tok, []byte("REJECT")):
			rec.Action = ActionReject
		default:
			return expAction
		}
		return ""
	case FieldLogStatus:
		switch {
		case string(tok) == "OK":
			rec.LogStatus = LogStatusOK
		case bytes.EqualFold(tok, []byte("OK")):
			rec.LogStatus = LogStatusOK
		case bytes.EqualFold(tok, []byte("NODATA")):
			rec.LogStatus = LogStatusNoData
		case bytes.EqualFold(tok, []byte("SKIPDATA")):
			rec.LogStatus = LogStatusSkipData
		default:
			return expLogStatus
		}
		return ""
	case FieldFlowDirection:
		switch {
		case bytes.EqualFold(tok, []byte("ingress")):
			rec.FlowDirection = DirIngress
		case bytes.EqualFold(tok, []byte("egress")):
			rec.FlowDirection = DirEgress
		default:
			return expDirection
		}
		return ""
	case FieldType:
		switch {
		case bytes.EqualFold(tok, []byte("IPv4")):
			rec.Type = "IPv4"
		case bytes.EqualFold(tok, []byte("IPv6")):
			rec.Type = "IPv6"
		case bytes.EqualFold(tok, []byte("EFA")):
			rec.Type = "EFA"
		default:
			return expType
		}
		return ""
	}
	// Every other field is a string.
	s, ok := p.str(c, tok)
	if !ok {
		return expText
	}
	*stringField(rec, fl) = s
	return ""
}

// str returns the interned string for tok, checking that it is printable
// text. Column c's previous value is tried first: consecutive records
// usually share ids.
func (p *Parser) str(c int, tok []byte) (string, bool) {
	if s := p.last[c]; s == string(tok) { // comparison does not allocate
		return s, true
	}
	slot := &p.recent[recentIndex(tok)]
	if s := *slot; s == string(tok) {
		p.last[c] = s
		return s, true
	}
	if !printable(tok) {
		return "", false
	}
	s := p.in.get(tok)
	p.last[c] = s
	*slot = s
	return s, true
}

// recentSize is the number of entries of Parser.recent (64 KiB of string
// headers): room for the ENIs of a large VPC.
const (
	recentBits = 12
	recentSize = 1 << recentBits
)

// recentIndex hashes tok's length and last eight bytes (where AWS ids
// differ) into an index of Parser.recent.
func recentIndex(tok []byte) uint32 {
	var x uint64
	if n := len(tok); n >= 8 {
		x = binary.LittleEndian.Uint64(tok[n-8:])
	} else {
		for _, c := range tok {
			x = x<<8 | uint64(c)
		}
	}
	return uint32(((x ^ uint64(len(tok))) * 0x9e3779b97f4a7c15) >> (64 - recentBits))
}

func (p *Parser) countField(rec *Record, fl Field) *int64 {
	switch fl {
	case FieldPackets:
		return &rec.Packets
	case FieldBytes:
		return &rec.Bytes
	case FieldPacketsLostNoRoute:
		return &rec.TGW.PacketsLostNoRoute
	case FieldPacketsLostBlackhole:
		return &rec.TGW.PacketsLostBlackhole
	case FieldPacketsLostMTUExceeded:
		return &rec.TGW.PacketsLostMTUExceeded
	}
	return &rec.TGW.PacketsLostTTLExpired
}

// stringField returns the address of the string field fl of rec. fl must be
// a string-valued field.
func stringField(rec *Record, fl Field) *string {
	switch fl {
	case FieldAccountID:
		return &rec.AccountID
	case FieldInterfaceID:
		return &rec.InterfaceID
	case FieldVPCID:
		return &rec.VPCID
	case FieldSubnetID:
		return &rec.SubnetID
	case FieldInstanceID:
		return &rec.InstanceID
	case FieldRegion:
		return &rec.Region
	case FieldAZID:
		return &rec.AZID
	case FieldSublocationType:
		return &rec.SublocationType
	case FieldSublocationID:
		return &rec.SublocationID
	case FieldPktSrcAWSService:
		return &rec.PktSrcAWSService
	case FieldPktDstAWSService:
		return &rec.PktDstAWSService
	case FieldECSClusterARN:
		return &rec.ECSClusterARN
	case FieldECSClusterName:
		return &rec.ECSClusterName
	case FieldECSContainerInstanceARN:
		return &rec.ECSContainerInstanceARN
	case FieldECSContainerInstanceID:
		return &rec.ECSContainerInstanceID
	case FieldECSContainerID:
		return &rec.ECSContainerID
	case FieldECSSecondContainerID:
		return &rec.ECSSecondContainerID
	case FieldECSServiceName:
		return &rec.ECSServiceName
	case FieldECSTaskDefinitionARN:
		return &rec.ECSTaskDefinitionARN
	case FieldECSTaskARN:
		return &rec.ECSTaskARN
	case FieldECSTaskID:
		return &rec.ECSTaskID
	case FieldRejectReason:
		return &rec.RejectReason
	case FieldResourceID:
		return &rec.ResourceID
	case FieldResourceType:
		return &rec.TGW.ResourceType
	case FieldTGWID:
		return &rec.TGW.TGWID
	case FieldTGWAttachmentID:
		return &rec.TGW.AttachmentID
	case FieldTGWSrcVPCAccountID:
		return &rec.TGW.SrcVPCAccountID
	case FieldTGWDstVPCAccountID:
		return &rec.TGW.DstVPCAccountID
	case FieldTGWSrcVPCID:
		return &rec.TGW.SrcVPCID
	case FieldTGWDstVPCID:
		return &rec.TGW.DstVPCID
	case FieldTGWSrcSubnetID:
		return &rec.TGW.SrcSubnetID
	case FieldTGWDstSubnetID:
		return &rec.TGW.DstSubnetID
	case FieldTGWSrcENI:
		return &rec.TGW.SrcENI
	case FieldTGWDstENI:
		return &rec.TGW.DstENI
	case FieldTGWSrcAZID:
		return &rec.TGW.SrcAZID
	case FieldTGWDstAZID:
		return &rec.TGW.DstAZID
	case FieldTGWPairAttachmentID:
		return &rec.TGW.PairAttachmentID
	}
	panic("flowlog: stringField called for non-string field " + fl.String())
}

// isSpace reports whether c separates fields: space, tab, and the other
// ASCII white space (a stray CR, vertical tab, form feed).
func isSpace(c byte) bool {
	return c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f')
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func skipToken(b []byte, i int) int {
	// Eight bytes at a time while none of them can be white space: a byte
	// below 0x21 (all separators are) sets its high bit in
	// (x - 0x21...) &^ x; bytes from 0x80 up are excluded by the &^ x.
	// The lowest flagged byte is exact (a borrow only flags bytes above a
	// true one), so it is where the token ends when it is a separator.
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		m := (x - 0x21*ones) &^ x & highs
		if m == 0 {
			i += 8
			continue
		}
		j := i + bits.TrailingZeros64(m)/8
		if isSpace(b[j]) {
			return j
		}
		i = j + 1 // a control character inside the token
	}
	for i < len(b) {
		if c := b[i]; c <= ' ' && isSpace(c) {
			break
		}
		i++
	}
	return i
}

func countTokens(b []byte) int {
	n := 0
	for i := skipSpace(b, 0); i < len(b); i = skipSpace(b, i) {
		i = skipToken(b, i)
		n++
	}
	return n
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// printable reports whether b is valid UTF-8 without control characters.
func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.Valid(b) && !hasC1(b)
		}
	}
	return true
}

// hasC1 reports whether b holds a C1 control character (U+0080-U+009F),
// which some terminals act on like an escape sequence.
func hasC1(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] == 0xC2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9F {
			return true
		}
	}
	return false
}

// parseUint parses a decimal number no larger than limit. Signs, spaces
// and empty input are rejected; leading zeros are accepted.
func parseUint(b []byte, limit uint64) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	if len(b) > 19 {
		// Longer than any uint64 below 10^19, unless zero-padded.
		for len(b) > 19 && b[0] == '0' {
			b = b[1:]
		}
		if len(b) > 19 {
			return 0, false
		}
	}
	var v uint64 // 19 digits cannot overflow a uint64
	// Eight digits at a time (start and end times have ten): check that
	// each byte is 0x30-0x39, then combine pairs, quads and the two halves
	// with three multiplications.
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		if x&0xF0F0F0F0F0F0F0F0 != 0x3030303030303030 || (x+0x0606060606060606)&0xF0F0F0F0F0F0F0F0 != 0x3030303030303030 {
			return 0, false
		}
		x &= 0x0F0F0F0F0F0F0F0F
		x = (x * (10<<8 + 1)) >> 8 & 0x00FF00FF00FF00FF
		x = (x * (100<<16 + 1)) >> 16 & 0x0000FFFF0000FFFF
		x = (x * (10000<<32 + 1)) >> 32
		v = v*100_000_000 + x
		b = b[8:]
	}
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	return v, v <= limit
}

// parseAddr parses an IPv4 or IPv6 address with the rules of
// netip.ParseAddr, without allocating. Zones are rejected (flow logs never
// carry them) and IPv4-mapped IPv6 addresses are unmapped to IPv4.
func parseAddr(b []byte) (netip.Addr, bool) {
	if a, ok := parseIPv4(b); ok {
		return netip.AddrFrom4(a), true
	}
	if bytes.IndexByte(b, ':') < 0 {
		return netip.Addr{}, false
	}
	a, ok := parseIPv6(b)
	return a.Unmap(), ok
}

// parseIPv4 parses dotted-quad b: four decimal octets 0-255 without leading
// zeros.
func parseIPv4(b []byte) (out [4]byte, ok bool) {
	octet, digits, k := 0, 0, 0
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if digits == 1 && octet == 0 {
				return out, false // leading zero
			}
			octet = octet*10 + int(c-'0')
			digits++
			if octet > 255 {
				return out, false
			}
		case c == '.':
			if digits == 0 || k == 3 || i == len(b)-1 {
				return out, false
			}
			out[k] = byte(octet)
			k++
			octet, digits = 0, 0
		default:
			return out, false
		}
	}
	if k != 3 || digits == 0 {
		return out, false
	}
	out[3] = byte(octet)
	return out, true
}

// parseIPv6 parses b as an IPv6 address in any RFC 4291 text form (groups
// of up to four hex digits, one "::", an optional trailing dotted quad).
func parseIPv6(b []byte) (netip.Addr, bool) {
	var ip [16]byte
	gap := -1 // byte offset in ip where "::" stands
	n := 0    // bytes of ip filled
	s := b
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		gap = 0
		s = s[2:]
	}
	for len(s) > 0 {
		if n == 16 {
			return netip.Addr{}, false
		}
		digits, v := 0, 0
		for digits < len(s) {
			h, isHex := hexVal(s[digits])
			if !isHex {
				break
			}
			if digits == 4 {
				return netip.Addr{}, false
			}
			v = v<<4 | h
			digits++
		}
		if digits == 0 {
			return netip.Addr{}, false
		}
		if digits < len(s) && s[digits] == '.' {
			// Trailing dotted quad: must end the address and fill its
			// last four bytes (or sit after "::").
			if (gap < 0 && n != 12) || n > 12 {
				return netip.Addr{}, false
			}
			q, ok := parseIPv4(s)
			if !ok {
				return netip.Addr{}, false
			}
			copy(ip[n:], q[:])
			n += 4
			s = nil
			break
		}
		ip[n], ip[n+1] = byte(v>>8), byte(v)
		n += 2
		s = s[digits:]
		if len(s) == 0 {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return netip.Addr{}, false
		}
		s = s[1:]
		if s[0] == ':' {
			if gap >= 0 {
				return netip.Addr{}, false
			}
			gap = n
			s = s[1:]
		}
	}
	switch {
	case n < 16:
		if gap < 0 {
			return netip.Addr{}, false
		}
		shift := 16 - n
		copy(ip[gap+shift:], ip[gap:n])
		clear(ip[gap : gap+shift])
	case gap >= 0:
		return netip.Addr{}, false // "::" must stand for at least one group
	}
	return netip.AddrFrom16(ip), true
}

func hexVal(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}
