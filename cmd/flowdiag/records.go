package main

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/flowdiag/flowdiag/flowlog"
)

// recordsParams are the settings of one `flowdiag records` run.
type recordsParams struct {
	inputs *inputFlags
	format string
}

const recordsUsage = `Usage: flowdiag records [--format text|json] [--log-format F] [--strict] [filters] FILE|DIR|-...

Prints flow log records normalized, from S3 text or gzip files, directories, CloudWatch Logs
JSON or text, subscription payloads and Parquet; '-' reads standard input.

JSON objects use the AWS field names with '_' for '-' (account_id, log_status), as Parquet
and Athena do; absent fields are omitted; start/end are Unix seconds plus start_time/end_time.

NODATA/SKIPDATA records name no flow: under --action, --addr, --port or --protocol they are
counted on stderr rather than listed, unless --eni names their interface.`

func runRecords(args []string, s stdio) int {
	fs := newFlagSet("records", s, recordsUsage)
	p := recordsParams{inputs: addInputFlags(fs)}
	fs.StringVar(&p.format, "format", "text", "output format: text (aligned table) or json (one object per record)")
	if code, done := parseFlags(fs, args, s); done {
		return code
	}
	code, err := records(p, fs.Args(), s)
	if err != nil {
		fmt.Fprintf(s.err, "flowdiag records: %s\n", safe(err.Error()))
	}
	return code
}

// records prints the filtered records of the inputs. It returns exitUsage
// for bad flags, unreadable inputs (also inputs read only in part) and
// write errors.
func records(p recordsParams, args []string, s stdio) (int, error) {
	if p.format != "text" && p.format != "json" {
		return exitUsage, fmt.Errorf("--format: %q is not a format: want text or json", p.format)
	}
	filter, err := p.inputs.filter()
	if err != nil {
		return exitUsage, err
	}
	stream, err := p.inputs.open(args, s)
	if err != nil {
		return exitUsage, err
	}
	defer stream.Close()

	out := bufio.NewWriterSize(s.out, 64<<10)
	var pr recordPrinter
	if p.format == "json" {
		pr = newJSONPrinter(out)
	} else {
		pr = newTablePrinter(out)
	}
	// A gap record carries no flow, so a filter on the flow (action, address,
	// port, protocol) cannot tell whether it concerns the traffic asked for:
	// listing every gap of the dump under "--protocol udp" buries the answer.
	// Gaps are listed when no such filter is given or --eni names the
	// interface; otherwise they are counted on stderr.
	listGaps := len(filter.Actions) == 0 && len(filter.Addrs) == 0 && len(filter.Ports) == 0 && len(filter.Protos) == 0 ||
		len(filter.ENIs) > 0
	var hiddenGaps int64
	var rec flowlog.Record
	var readErr error
	for {
		err := stream.Read(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		if !filter.Match(&rec) {
			continue
		}
		if !listGaps && rec.IsGap() {
			hiddenGaps++
			continue
		}
		if err := pr.print(&rec); err != nil {
			readErr = err
			break
		}
	}
	if err := pr.flush(); err != nil && readErr == nil {
		readErr = err
	}
	if err := out.Flush(); err != nil && readErr == nil {
		readErr = err
	}
	st := stream.Stats()
	p.inputs.summary(s.err, st)
	if hiddenGaps > 0 {
		fmt.Fprintf(s.err, "flowdiag: %s not listed: they name no flow; add --eni to list an interface's gaps\n",
			plural(hiddenGaps, "NODATA/SKIPDATA record", "NODATA/SKIPDATA records"))
	}
	if readErr != nil {
		return exitUsage, readErr
	}
	if len(st.Failed) > 0 {
		return exitUsage, nil // named in the summary
	}
	return exitOK, nil
}

type recordPrinter interface {
	print(r *flowlog.Record) error
	flush() error
}

// tablePrinter prints an aligned table. Every value that came from the
// input goes through safe, so control characters cannot reach the terminal.
type tablePrinter struct {
	tw   *tabwriter.Writer
	buf  []byte
	rows int
}

// tableBlock is how many rows are aligned together: a tabwriter holds its
// rows until flushed, so flushing every block keeps memory flat and the
// first rows on screen at once, whatever the input size.
const tableBlock = 512

// tableHeader names the table's columns.
const tableHeader = "TIME\tENI\tACTION\tPROTO\tFLOW\tPACKETS\tBYTES\tFLAGS\tDIR\tSTATUS\tSOURCE\n"

func newTablePrinter(w io.Writer) *tablePrinter {
	t := &tablePrinter{tw: tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)}
	io.WriteString(t.tw, tableHeader)
	return t
}

func (t *tablePrinter) print(r *flowlog.Record) error {
	b := t.buf[:0]
	col := func(s string) {
		if s == "" {
			s = "-"
		}
		b = appendSafe(b, s)
		b = append(b, '\t')
	}
	if r.Has(flowlog.FieldStart) {
		b = r.StartTime().AppendFormat(b, time.RFC3339)
		b = append(b, '\t')
	} else {
		col("")
	}
	eni := r.InterfaceID
	if eni == "" && r.Kind == flowlog.KindTransitGateway {
		eni = r.TGW.AttachmentID
	}
	col(eni)
	if r.Has(flowlog.FieldAction) {
		col(r.Action.String())
	} else {
		col("")
	}
	if r.Has(flowlog.FieldProtocol) {
		col(r.Protocol.String())
	} else {
		col("")
	}
	if r.IsGap() && !r.Has(flowlog.FieldSrcAddr) && !r.Has(flowlog.FieldDstAddr) {
		col("")
	} else {
		col(endpoint(r, r.SrcAddr, r.SrcPort, flowlog.FieldSrcPort) + " -> " + endpoint(r, r.DstAddr, r.DstPort, flowlog.FieldDstPort))
	}
	b = appendCount(b, r, flowlog.FieldPackets, r.Packets)
	b = appendCount(b, r, flowlog.FieldBytes, r.Bytes)
	if r.Has(flowlog.FieldTCPFlags) {
		col(tcpFlags(r.TCPFlags))
	} else {
		col("")
	}
	if r.Kind == flowlog.KindTransitGateway {
		col("tgw " + r.FlowDirection.String())
	} else {
		col(r.FlowDirection.String())
	}
	col(r.LogStatus.String())
	b = appendSafe(b, r.Pos.Source)
	b = append(b, ':')
	b = strconv.AppendInt(b, r.Pos.Line, 10)
	b = append(b, '\n')
	t.buf = b
	if _, err := t.tw.Write(b); err != nil {
		return err
	}
	if t.rows++; t.rows%tableBlock == 0 {
		return t.tw.Flush()
	}
	return nil
}

func (t *tablePrinter) flush() error { return t.tw.Flush() }

func appendCount(b []byte, r *flowlog.Record, f flowlog.Field, n int64) []byte {
	if !r.Has(f) {
		return append(b, "-\t"...)
	}
	b = strconv.AppendInt(b, n, 10)
	return append(b, '\t')
}

// endpoint renders addr:port ("[2001:db8::1]:22" for IPv6), the address
// alone when the port is absent, "-" when the address is.
func endpoint(r *flowlog.Record, a netip.Addr, port uint16, pf flowlog.Field) string {
	if !a.IsValid() {
		return "-"
	}
	if !r.Has(pf) {
		return a.String()
	}
	return netip.AddrPortFrom(a, port).String()
}

// tcpFlags names the bits AWS reports: "SYN", "SYN-ACK,FIN", or the number
// when other bits are set.
func tcpFlags(v uint8) string {
	if v == 0 {
		return "0"
	}
	var parts []string
	rest := v
	if v&flowlog.FlagSYN != 0 && v&flowlog.FlagACK != 0 {
		parts = append(parts, "SYN-ACK")
		rest &^= flowlog.FlagSYN | flowlog.FlagACK
	} else if v&flowlog.FlagSYN != 0 {
		parts = append(parts, "SYN")
		rest &^= flowlog.FlagSYN
	}
	if v&flowlog.FlagFIN != 0 {
		parts = append(parts, "FIN")
		rest &^= flowlog.FlagFIN
	}
	if v&flowlog.FlagRST != 0 {
		parts = append(parts, "RST")
		rest &^= flowlog.FlagRST
	}
	if rest != 0 {
		return strconv.Itoa(int(v))
	}
	return strings.Join(parts, ",")
}

// appendSafe appends s with control characters, C1 controls and invalid
// UTF-8 escaped as \xNN or \uNNNN (an ESC is printed as \x1b), and tabs,
// which would break the table, escaped too.
func appendSafe(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			b = append(b, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1, r < 0x20, r == 0x7f:
			b = append(b, '\\', 'x', hexDigit(c>>4), hexDigit(c&0xf))
		case r >= 0x80 && r < 0xa0:
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}

func hexDigit(n byte) byte { return "0123456789abcdef"[n&0xf] }

// jsonPrinter prints one JSON object per record. Keys are the AWS field
// names with "_" for "-" (the Parquet and Athena spelling), in field order
// after "source", "line" and "kind"; absent fields are omitted; numbers are
// JSON numbers, addresses and enumerations strings; start and end are Unix
// seconds, with start_time and end_time in RFC 3339 UTC; unknown header
// columns are in "extra".
type jsonPrinter struct {
	w      io.Writer
	fields []jsonField // every known field, in Field order
	buf    []byte
}

type jsonField struct {
	f      flowlog.Field
	key    string
	format *flowlog.Format // single-column format, to render the value
	number bool
}

func newJSONPrinter(w io.Writer) *jsonPrinter {
	p := &jsonPrinter{w: w}
	for _, name := range flowlog.FieldNames() {
		f, _ := flowlog.LookupField(name)
		p.fields = append(p.fields, jsonField{
			f: f, key: strings.ReplaceAll(name, "-", "_"),
			format: flowlog.NewFormat(f), number: numericField(f),
		})
	}
	return p
}

func numericField(f flowlog.Field) bool {
	switch f {
	case flowlog.FieldVersion, flowlog.FieldSrcPort, flowlog.FieldDstPort, flowlog.FieldProtocol,
		flowlog.FieldPackets, flowlog.FieldBytes, flowlog.FieldStart, flowlog.FieldEnd,
		flowlog.FieldTCPFlags, flowlog.FieldTrafficPath, flowlog.FieldEncryptionStatus,
		flowlog.FieldPacketsLostNoRoute, flowlog.FieldPacketsLostBlackhole,
		flowlog.FieldPacketsLostMTUExceeded, flowlog.FieldPacketsLostTTLExpired:
		return true
	}
	return false
}

func (p *jsonPrinter) print(r *flowlog.Record) error {
	b := append(p.buf[:0], `{"source":`...)
	b = appendJSONString(b, r.Pos.Source)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, r.Pos.Line, 10)
	b = append(b, `,"kind":"`...)
	b = append(b, r.Kind.String()...)
	b = append(b, '"')
	for i := range p.fields {
		jf := &p.fields[i]
		if !r.Has(jf.f) {
			continue
		}
		b = append(b, ',', '"')
		b = append(b, jf.key...)
		b = append(b, '"', ':')
		start := len(b)
		b = jf.format.AppendRecord(b, r)
		if !jf.number {
			v := string(b[start:])
			b = appendJSONString(b[:start], v)
		}
		switch jf.f {
		case flowlog.FieldProtocol:
			b = append(b, `,"protocol_name":`...)
			b = appendJSONString(b, r.Protocol.String())
		case flowlog.FieldStart:
			b = append(b, `,"start_time":"`...)
			b = r.StartTime().AppendFormat(b, time.RFC3339)
			b = append(b, '"')
		case flowlog.FieldEnd:
			b = append(b, `,"end_time":"`...)
			b = r.EndTime().AppendFormat(b, time.RFC3339)
			b = append(b, '"')
		}
	}
	if len(r.Extra) > 0 {
		b = append(b, `,"extra":[`...)
		for i, v := range r.Extra {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	b = append(b, '}', '\n')
	p.buf = b
	_, err := p.w.Write(b)
	return err
}

func (p *jsonPrinter) flush() error { return nil }

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == 0x7f:
				b = append(b, `\u00`...)
				b = append(b, hexDigit(c>>4), hexDigit(c&0xf))
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' || r >= 0x80 && r < 0xa0 {
			b = fmt.Appendf(b, `\u%04x`, r)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
