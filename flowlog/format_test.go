package flowlog

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultFormat(t *testing.T) {
	f := DefaultFormat()
	const want = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
	if f.String() != want || f.Len() != 14 || len(f.Extra()) != 0 || f.IsTransitGateway() {
		t.Errorf("DefaultFormat() = %q (len %d, extra %v, tgw %v)", f.String(), f.Len(), f.Extra(), f.IsTransitGateway())
	}
	if !f.Has(FieldDstPort) || f.Has(FieldVPCID) {
		t.Errorf("Has(dstport) = %v, Has(vpc-id) = %v", f.Has(FieldDstPort), f.Has(FieldVPCID))
	}
	g, err := ParseFormat(f.LogFormat())
	if err != nil || !g.Equal(f) {
		t.Errorf("ParseFormat(LogFormat()) = %v, %v", g, err)
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want string // String() of the result
	}{
		{"${version} ${account-id} ${interface-id}", "version account-id interface-id"},
		{"version account-id interface-id", "version account-id interface-id"},
		{"${version}${vpc-id}  ${srcaddr}", "version vpc-id srcaddr"},
		{"VERSION Account_ID pkt_srcaddr\tTCP-FLAGS", "version account-id pkt-srcaddr tcp-flags"},
		{"  ${tgw-id} ${packets-lost-no-route}\n", "tgw-id packets-lost-no-route"},
	}
	for _, tt := range tests {
		f, err := ParseFormat(tt.in)
		if err != nil {
			t.Errorf("ParseFormat(%q): %v", tt.in, err)
			continue
		}
		if f.String() != tt.want {
			t.Errorf("ParseFormat(%q) = %q; want %q", tt.in, f.String(), tt.want)
		}
	}
	f, _ := ParseFormat("${tgw-id} ${srcaddr}")
	if !f.IsTransitGateway() {
		t.Errorf("IsTransitGateway() = false for a format with tgw-id")
	}
}

func TestParseFormatErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"${version} ${dst-port}", `--log-format: unknown field "dst-port" (did you mean dstport?)`},
		{"version srcadr", `--log-format: unknown field "srcadr" (did you mean srcaddr?)`},
		{"version logstatus", `--log-format: unknown field "logstatus" (did you mean log-status?)`},
		{"version src_port", `--log-format: unknown field "src_port" (did you mean srcport?)`},
		{"version pkt_src_aws_service Log_Status", ""}, // underscore spelling, any case
		{"version pkt-src-addr", `--log-format: unknown field "pkt-src-addr" (did you mean pkt-srcaddr?)`},
		{"version srcaddr dstadr", `--log-format: unknown field "dstadr" (did you mean dstaddr?)`},
		{"version srcaddr dstaddr srcadr", ""}, // srcaddr is there: a field of its own
		{"version tgw-src-vpc", ""},            // three edits from tgw-src-vpc-id: kept, the caller warns
		{"version colour", ""},
		{"version instance-tag next-hop-interface-id", ""}, // fields newer than flowdiag
		{"version bad.name", `--log-format: unknown field "bad.name": want letters, digits, '-' and '_', as in the AWS documentation`},
		{"version Next_Hop NEXT-HOP", `--log-format: field next-hop given twice`},
		{"${version} ${version}", `--log-format: field version given twice`},
		{"version account_id ACCOUNT-ID", `--log-format: field account-id given twice`},
		{"", `--log-format: no fields given; want names such as ${version} ${account-id} ...`},
		{"${version", `--log-format: malformed field reference "${version": missing closing }`},
		{"${}", `--log-format: malformed field reference "${}": want ${name}`},
		{"${version}x", `--log-format: malformed field reference "${version}x": want ${name}`},
		{"version}", `--log-format: malformed field reference "version}": want ${name}`},
	}
	for _, tt := range tests {
		_, err := ParseFormat(tt.in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("ParseFormat(%q) error = %q\nwant %q", tt.in, got, tt.want)
		}
	}
	_, err := ParseFormat("dst-port")
	if !errors.Is(err, ErrUnknownField) {
		t.Errorf("errors.Is(%v, ErrUnknownField) = false", err)
	}
}

// TestParseFormatExtraColumns: names flowdiag does not know parse as extra
// columns, exactly as a header line naming them does.
func TestParseFormatExtraColumns(t *testing.T) {
	const names = "version srcaddr dstaddr srcport dstport protocol start end action log-status instance-tag next-hop-interface-id"
	f, err := ParseFormat(names)
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := ParseHeader(names)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Equal(h) {
		t.Errorf("--log-format %q differs from the header: %v vs %v", names, f, h)
	}
	if got := strings.Join(f.Extra(), " "); got != "instance-tag next-hop-interface-id" {
		t.Errorf("Extra() = %q", got)
	}
	var rec Record
	line := "11 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 REJECT OK web eni-1111aaaa2222bbbb3"
	if err := NewParser(f).Parse([]byte(line), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.DstPort != 80 || rec.Action != ActionReject || strings.Join(rec.Extra, " ") != "web eni-1111aaaa2222bbbb3" {
		t.Errorf("parsed %+v", rec)
	}
	if got := Suggest("instance-tag"); got != " (did you mean instance-id?)" {
		t.Errorf("Suggest(instance-tag) = %q", got)
	}
	if got := Suggest("colour"); got != "" {
		t.Errorf("Suggest(colour) = %q", got)
	}
}

func TestParseHeader(t *testing.T) {
	f, unknown, err := ParseHeader("\ufeffversion srcaddr instance_tag next-hop-interface-id dstaddr")
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"version", "srcaddr", "instance_tag", "next-hop-interface-id", "dstaddr"}
	wantFields := []Field{FieldVersion, FieldSrcAddr, FieldInvalid, FieldInvalid, FieldDstAddr}
	if !reflect.DeepEqual(f.Names(), wantNames) || !reflect.DeepEqual(f.Fields(), wantFields) {
		t.Errorf("ParseHeader: names %q fields %v", f.Names(), f.Fields())
	}
	if !reflect.DeepEqual(unknown, []string{"instance_tag", "next-hop-interface-id"}) || !reflect.DeepEqual(f.Extra(), unknown) {
		t.Errorf("unknown = %q, Extra() = %q", unknown, f.Extra())
	}

	for _, tt := range []struct{ in, want string }{
		{"", "header line: no field names"},
		{"version srcaddr srcaddr", "header line: field srcaddr given twice (column 3)"},
		{"version x-new X_NEW", "header line: field x-new given twice (column 3)"},
		{"version 10.0.0.1", `header line: "10.0.0.1" (column 2) is not a field name`},
	} {
		_, _, err := ParseHeader(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseHeader(%q) error = %v; want %q", tt.in, err, tt.want)
		}
	}
}

func TestLooksLikeHeader(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status", true},
		{"\ufeffversion account-id", true},
		{"Version Account-ID", true}, // first token "version" decides
		{"account-id bytes dstaddr dstport end instance-id", true},
		{"resource-type tgw-id tgw-attachment-id", true},
		{"srcaddr instance_tag", true},
		{"  version srcaddr", true},
		{"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA", false},
		{"- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5", false},
		{"i-01234567890123456 eni-1111aaaa2222bbbb3 10.0.1.5 203.0.113.5 10.0.1.5 203.0.113.5", false},
		{"TransitGateway 00000000 00000001", false},
		{"eni-0a1b2c vpc-0123", false}, // plausible names but no known field
		{"wavelength outpost", false},
		{"srcaddr 443", false},
		{"bogus line", false},
		{"", false},
		{"\x00version", false},
	}
	for _, tt := range tests {
		if got := LooksLikeHeader([]byte(tt.line)); got != tt.want {
			t.Errorf("LooksLikeHeader(%q) = %v; want %v", tt.line, got, tt.want)
		}
	}
	line := []byte("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status")
	if n := testing.AllocsPerRun(100, func() { LooksLikeHeader(line) }); n != 0 {
		t.Errorf("LooksLikeHeader allocates %v times; want 0", n)
	}
}

func TestAppendRecordRoundTrip(t *testing.T) {
	lines := []struct{ format, line string }{
		{"", "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"},
		{"", "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"},
		{"version srcaddr dstaddr action log-status reject-reason resource-id encryption-status interface-type",
			"11 10.0.0.71 52.95.128.179 REJECT OK BPA nat-0c50d5961bcb2d47b 1 nat_gateway"},
	}
	for _, l := range lines {
		f, rec := mustParse(t, l.format, l.line)
		if got := string(f.AppendRecord(nil, &rec)); got != l.line {
			t.Errorf("AppendRecord = %q; want %q", got, l.line)
		}
	}
}

func ExampleParseFormat() {
	f, err := ParseFormat("${version} ${vpc-id} ${srcaddr} ${dstaddr} ${action}")
	fmt.Println(f, err)
	_, err = ParseFormat("${version} ${dst-port}")
	fmt.Println(err)
	// Output:
	// version vpc-id srcaddr dstaddr action <nil>
	// --log-format: unknown field "dst-port" (did you mean dstport?)
}

func ExampleFormat_AppendRecord() {
	f, _ := ParseFormat("srcaddr dstaddr dstport protocol action")
	var rec Record
	if err := NewParser(f).Parse([]byte("10.0.1.5  10.0.2.9\t443 6 REJECT"), &rec); err != nil {
		fmt.Println(err)
	}
	fmt.Println(strings.ToUpper(rec.Protocol.String()), string(f.AppendRecord(nil, &rec)))
	// Output: TCP 10.0.1.5 10.0.2.9 443 6 REJECT
}

// NewFormat is for formats fixed in code: a programming error panics.
func TestNewFormatPanics(t *testing.T) {
	for _, fields := range [][]Field{{FieldVersion, FieldVersion}, {FieldInvalid}, {Field(NumFields)}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewFormat(%v) did not panic", fields)
				}
			}()
			NewFormat(fields...)
		}()
	}
	if f := TGWDefaultFormat(); f.Len() != 36 || !f.IsTransitGateway() || f.Names()[1] != "resource-type" {
		t.Errorf("TGWDefaultFormat() = %q", f)
	}
}
