package flowlog

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// fieldText renders field column i of rec as the parser would read it ("-"
// when absent), for comparisons with published expected values.
func fieldText(f *Format, i int, rec *Record) string {
	fl, _ := f.Column(i)
	if fl == FieldInvalid {
		k := 0
		for j := 0; j < i; j++ {
			if g, _ := f.Column(j); g == FieldInvalid {
				k++
			}
		}
		if k >= len(rec.Extra) || rec.Extra[k] == "" {
			return "-"
		}
		return rec.Extra[k]
	}
	if !rec.Has(fl) {
		return "-"
	}
	return string(appendField(nil, rec, fl))
}

// sameRecord compares records ignoring Extra.
func sameRecord(a, b *Record) bool {
	x, y := *a, *b
	x.Extra, y.Extra = nil, nil
	return reflect.DeepEqual(x, y)
}

func mustParse(t *testing.T, format, line string) (*Format, Record) {
	t.Helper()
	f := DefaultFormat()
	if format != "" {
		var err error
		f, _, err = ParseHeader(format)
		if err != nil {
			t.Fatalf("ParseHeader(%q): %v", format, err)
		}
	}
	var rec Record
	if err := NewParser(f).Parse([]byte(line), &rec); err != nil {
		t.Fatalf("Parse(%q): %v", line, err)
	}
	return f, rec
}

// The example records of the AWS documentation (DOMAIN.md section 1.12),
// checked against the values the documentation states.
func TestParseAWSDocExamples(t *testing.T) {
	const (
		tcpFlagFmt = "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status"
		natFmt     = "instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr"
		tgwFmt     = "version interface-id account-id vpc-id subnet-id instance-id srcaddr dstaddr srcport dstport protocol tcp-flags type pkt-srcaddr pkt-dstaddr action log-status"
		v5Fmt      = "version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status"
	)
	a := netip.MustParseAddr
	tests := []struct {
		name, format, line string
		check              func(t *testing.T, r *Record)
	}{
		{"accepted ssh", "", "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
			func(t *testing.T, r *Record) {
				want := Record{Version: 2, AccountID: "123456789010", InterfaceID: "eni-1235b8ca123456789",
					SrcAddr: a("172.31.16.139"), DstAddr: a("172.31.16.21"), SrcPort: 20641, DstPort: 22,
					Protocol: ProtoTCP, Packets: 20, Bytes: 4249, Start: 1418530010, End: 1418530070,
					Action: ActionAccept, LogStatus: LogStatusOK}
				want.Present = DefaultFormat().Set()
				if got := *r; !sameRecord(&got, &want) {
					t.Errorf("got %+v\nwant %+v", *r, want)
				}
			}},
		{"rejected rdp", "", "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
			func(t *testing.T, r *Record) {
				if r.Action != ActionReject || r.DstPort != 3389 || r.SrcAddr != a("172.31.9.69") {
					t.Errorf("got %+v", *r)
				}
			}},
		{"nodata", "", "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
			func(t *testing.T, r *Record) {
				if r.LogStatus != LogStatusNoData || !r.IsGap() || r.Start != 1431280876 || r.End != 1431280934 {
					t.Errorf("got %+v", *r)
				}
				for _, fl := range []Field{FieldSrcAddr, FieldDstAddr, FieldSrcPort, FieldDstPort, FieldProtocol, FieldPackets, FieldBytes, FieldAction} {
					if r.Has(fl) {
						t.Errorf("Has(%s) = true for \"-\"", fl)
					}
				}
				if r.SrcAddr.IsValid() || r.Action != ActionNone {
					t.Errorf("absent fields not zero: %+v", *r)
				}
			}},
		{"skipdata", "", "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA",
			func(t *testing.T, r *Record) {
				if r.LogStatus != LogStatusSkipData || r.InterfaceID != "eni-11111111aaaaaaaaa" {
					t.Errorf("got %+v", *r)
				}
			}},
		{"icmp request", "", "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK",
			func(t *testing.T, r *Record) {
				if r.Protocol != ProtoICMP || !r.Has(FieldSrcPort) || r.SrcPort != 0 || r.Action != ActionAccept {
					t.Errorf("got %+v", *r)
				}
			}},
		{"icmp reply", "", "2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK",
			func(t *testing.T, r *Record) {
				if r.Protocol != ProtoICMP || r.Action != ActionReject || r.Start != 1432917094 {
					t.Errorf("got %+v", *r)
				}
			}},
		{"ipv6 ssh", "", "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK",
			func(t *testing.T, r *Record) {
				if r.SrcAddr != a("2001:db8:1234:a100:8d6e:3477:df66:f105") || r.DstAddr != a("2001:db8:1234:a102:3304:8879:34cf:4071") || r.DstPort != 22 || r.Packets != 54 || r.Bytes != 8855 {
					t.Errorf("got %+v", *r)
				}
			}},
		{"tcp flags syn", tcpFlagFmt, "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK",
			func(t *testing.T, r *Record) {
				// bytes comes before packets in this format.
				if r.TCPFlags != FlagSYN || r.Bytes != 568 || r.Packets != 8 || r.VPCID != "vpc-abcdefab012345678" || r.Type != "IPv4" || r.PktSrcAddr != a("52.213.180.42") {
					t.Errorf("got %+v", *r)
				}
			}},
		{"tcp flags syn-ack", tcpFlagFmt, "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43416 10.0.0.62 52.213.180.42 6 376 7 1566848875 1566848933 ACCEPT 18 OK",
			func(t *testing.T, r *Record) {
				if r.TCPFlags != FlagSYN|FlagACK || r.Bytes != 376 || r.Packets != 7 {
					t.Errorf("got %+v", *r)
				}
			}},
		{"tcp flags fin", tcpFlagFmt, "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43418 5001 52.213.180.42 10.0.0.62 6 23294588 15774 1566848933 1566849113 ACCEPT 1 OK",
			func(t *testing.T, r *Record) {
				if r.TCPFlags != FlagFIN || r.Bytes != 23294588 || r.Packets != 15774 {
					t.Errorf("got %+v", *r)
				}
			}},
		{"tcp flags syn+fin", tcpFlagFmt, "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43638 5001 52.213.180.42 10.0.0.62 6 1260 17 1566933133 1566933193 ACCEPT 3 OK",
			func(t *testing.T, r *Record) {
				if r.TCPFlags != FlagSYN|FlagFIN {
					t.Errorf("got %+v", *r)
				}
			}},
		{"tcp flags double space", tcpFlagFmt, "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43638  10.0.0.62 52.213.180.42 6 967 14 1566933133 1566933193 ACCEPT 19 OK",
			func(t *testing.T, r *Record) {
				if r.TCPFlags != 19 || r.DstPort != 43638 || r.PktSrcAddr != a("10.0.0.62") || r.Bytes != 967 {
					t.Errorf("got %+v", *r)
				}
			}},
		{"nat gateway eni", natFmt, "- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5",
			func(t *testing.T, r *Record) {
				if r.Has(FieldInstanceID) || r.InstanceID != "" || r.DstAddr != a("10.0.0.220") || r.PktDstAddr != a("203.0.113.5") || r.PacketDst() != a("203.0.113.5") {
					t.Errorf("got %+v", *r)
				}
				if r.Has(FieldVersion) || r.Version != 0 {
					t.Errorf("version present without a version column: %+v", *r)
				}
			}},
		{"nat reply", natFmt, "- eni-1235b8ca123456789 10.0.0.220 10.0.1.5 203.0.113.5 10.0.1.5",
			func(t *testing.T, r *Record) {
				if r.SrcAddr != a("10.0.0.220") || r.PacketSrc() != a("203.0.113.5") {
					t.Errorf("got %+v", *r)
				}
			}},
		{"nat instance eni", natFmt, "i-01234567890123456 eni-1111aaaa2222bbbb3 10.0.1.5 203.0.113.5 10.0.1.5 203.0.113.5",
			func(t *testing.T, r *Record) {
				if r.InstanceID != "i-01234567890123456" || r.SrcAddr != r.PktSrcAddr || r.DstAddr != r.PktDstAddr {
					t.Errorf("got %+v", *r)
				}
			}},
		{"tgw attachment eni", tgwFmt, "3 eni-11111111111111111 123456789010 vpc-abcdefab012345678 subnet-11111111aaaaaaaaa - 10.40.1.175 10.40.2.236 39812 80 6 3 IPv4 10.20.33.164 10.40.2.236 ACCEPT OK",
			func(t *testing.T, r *Record) {
				// A VPC flow log of a TGW attachment ENI is a VPC record.
				if r.Kind != KindVPC || r.SrcAddr != a("10.40.1.175") || r.PacketSrc() != a("10.20.33.164") || r.Has(FieldInstanceID) {
					t.Errorf("got %+v", *r)
				}
			}},
		{"tgw response eni", tgwFmt, "3 eni-22222222222222222 123456789010 vpc-abcdefab012345678 subnet-22222222bbbbbbbbb - 10.40.2.236 10.40.2.31 80 39812 6 19 IPv4 10.40.2.236 10.20.33.164 ACCEPT OK",
			func(t *testing.T, r *Record) {
				if r.DstAddr != a("10.40.2.31") || r.PacketDst() != a("10.20.33.164") || r.TCPFlags != 19 {
					t.Errorf("got %+v", *r)
				}
			}},
		{"v5 ingress from s3", v5Fmt, "5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK",
			func(t *testing.T, r *Record) {
				if r.FlowDirection != DirIngress || r.PktSrcAWSService != "S3" || r.Has(FieldPktDstAWSService) || r.Has(FieldTrafficPath) || r.Region != "ap-southeast-2" || r.AZID != "apse2-az3" || r.Has(FieldSublocationType) {
					t.Errorf("got %+v", *r)
				}
			}},
		{"v5 egress to s3", v5Fmt, "5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK",
			func(t *testing.T, r *Record) {
				if r.FlowDirection != DirEgress || r.PktDstAWSService != "S3" || r.TrafficPath != 8 || !r.Has(FieldTrafficPath) || r.Packets != 7 || r.Bytes != 471 {
					t.Errorf("got %+v", *r)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rec := mustParse(t, tt.format, tt.line)
			tt.check(t, &rec)
		})
	}
}

// Bad values: each error names the field, the column and what was expected.
func TestParseErrors(t *testing.T) {
	line := func(sport, dport, proto, action, status string) string {
		r := strings.NewReplacer("SP", sport, "DP", dport, "PR", proto, "AC", action, "LS", status)
		return r.Replace("2 123456789010 eni-1 10.0.0.1 10.0.0.2 SP DP PR 1 2 3 4 AC LS")
	}
	tests := []struct {
		name, format, line string
		want               string // FieldError.Error() or FieldCountError.Error()
		col                int
		cause              error
	}{
		{"port name", "", line("51234", "http", "6", "ACCEPT", "OK"), `field dstport: "http" is not a port number (0-65535)`, 46, strconv.ErrSyntax},
		{"port too big", "", line("70000", "443", "6", "ACCEPT", "OK"), `field srcport: "70000" is not a port number (0-65535)`, 40, strconv.ErrRange},
		{"negative port", "", line("-1", "443", "6", "ACCEPT", "OK"), `field srcport: "-1" is not a port number (0-65535)`, 40, strconv.ErrSyntax},
		{"protocol > 255", "", line("1", "2", "256", "ACCEPT", "OK"), `field protocol: "256" is not a protocol number (0-255)`, 44, strconv.ErrRange},
		{"protocol name", "", line("1", "2", "tcp", "ACCEPT", "OK"), `field protocol: "tcp" is not a protocol number (0-255)`, 44, strconv.ErrSyntax},
		{"unknown action", "", line("1", "2", "6", "DROP", "OK"), `field action: "DROP" is not an action (ACCEPT, REJECT or -)`, 54, strconv.ErrSyntax},
		{"unknown log-status", "", line("1", "2", "6", "ACCEPT", "PARTIAL"), `field log-status: "PARTIAL" is not a log status (OK, NODATA, SKIPDATA or -)`, 61, strconv.ErrSyntax},
		{"negative count", "", "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 -5 2 3 4 ACCEPT OK", `field packets: "-5" is not a count (a non-negative integer)`, 46, strconv.ErrSyntax},
		{"count overflow", "", "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 99999999999999999999 3 4 ACCEPT OK", `field bytes: "99999999999999999999" is not a count (a non-negative integer)`, 48, strconv.ErrRange},
		{"start not a number", "", "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 2 2015-01-01 4 ACCEPT OK", `field start: "2015-01-01" is not a time in Unix seconds (a non-negative integer, before 2100: a larger one is milliseconds or a typo)`, 50, strconv.ErrSyntax},
		// QA 9, E6: an extra digit (the year 2538) or milliseconds would move
		// the log clock centuries ahead and split every open conversation.
		{"start with an extra digit", "", "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 2 17951830000 17951830050 ACCEPT OK", `field start: "17951830000" is not a time in Unix seconds (a non-negative integer, before 2100: a larger one is milliseconds or a typo)`, 50, strconv.ErrRange},
		{"end in milliseconds", "", "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 2 1795183000 1795183050000 ACCEPT OK", `field end: "1795183050000" is not a time in Unix seconds (a non-negative integer, before 2100: a larger one is milliseconds or a typo)`, 61, strconv.ErrRange},
		{"bad ipv4", "", "2 123456789010 eni-1 10.0.0.256 10.0.0.2 1 2 6 1 2 3 4 ACCEPT OK", `field srcaddr: "10.0.0.256" is not an IPv4 or IPv6 address`, 22, strconv.ErrSyntax},
		{"ipv4 leading zero", "", "2 123456789010 eni-1 10.0.0.1 10.0.0.02 1 2 6 1 2 3 4 ACCEPT OK", `field dstaddr: "10.0.0.02" is not an IPv4 or IPv6 address`, 31, strconv.ErrSyntax},
		{"bad ipv6", "", "2 123456789010 eni-1 2001:db8::1::2 10.0.0.2 1 2 6 1 2 3 4 ACCEPT OK", `field srcaddr: "2001:db8::1::2" is not an IPv4 or IPv6 address`, 22, strconv.ErrSyntax},
		{"zone", "", "2 123456789010 eni-1 fe80::1%eth0 10.0.0.2 1 2 6 1 2 3 4 ACCEPT OK", `field srcaddr: "fe80::1%eth0" is not an IPv4 or IPv6 address`, 22, strconv.ErrSyntax},
		{"mixed families", "", "2 123456789010 eni-1 2600:1f18::1 10.0.0.220 2957 22 6 1 60 3 4 ACCEPT OK", `field dstaddr: "10.0.0.220" is not of the address family of srcaddr 2600:1f18::1`, 35, nil},
		{"mixed packet families", "srcaddr dstaddr pkt-srcaddr pkt-dstaddr", "10.0.0.1 10.0.0.2 10.0.0.1 2001:db8::9", `field pkt-dstaddr: "2001:db8::9" is not of the address family of pkt-srcaddr 10.0.0.1`, 28, nil},
		{"end before start", "", "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 2 200 160 ACCEPT OK", `field end: "160" is not at or after start 200`, 54, nil},
		{"version text", "", "v2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 2 3 4 ACCEPT OK", `field version: "v2" is not a version number (a non-negative integer)`, 1, strconv.ErrSyntax},
		{"control char", "", "2 123456789010 eni-\x1b[31m 10.0.0.1 10.0.0.2 1 2 6 1 2 3 4 ACCEPT OK", `field interface-id: "eni-\x1b[31m" is not printable text (control characters or invalid UTF-8 found)`, 16, nil},
		{"invalid utf8", "", "2 123456789010 eni-\xff 10.0.0.1 10.0.0.2 1 2 6 1 2 3 4 ACCEPT OK", `field interface-id: "eni-\xff" is not printable text (control characters or invalid UTF-8 found)`, 16, nil},
		{"tcp-flags > 255", "version tcp-flags", "3 256", `field tcp-flags: "256" is not a number from 0 to 255`, 3, strconv.ErrRange},
		{"direction", "version flow-direction", "5 inbound", `field flow-direction: "inbound" is not a flow direction (ingress, egress or -)`, 3, strconv.ErrSyntax},
		{"type", "version type", "3 IPv5", `field type: "IPv5" is not a traffic type (IPv4, IPv6, EFA or -)`, 3, strconv.ErrSyntax},
		{"long value cut", "version interface-id", "3 " + strings.Repeat("\x01", 100), `field interface-id: "` + strings.Repeat(`\x01`, 64) + `..." is not printable text (control characters or invalid UTF-8 found)`, 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := DefaultFormat()
			if tt.format != "" {
				f, _, _ = ParseHeader(tt.format)
			}
			var rec Record
			err := NewParser(f).Parse([]byte(tt.line), &rec)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse(%q) = %v; want a *FieldError", tt.line, err)
			}
			if fe.Error() != tt.want {
				t.Errorf("error = %s\nwant    %s", fe.Error(), tt.want)
			}
			if fe.Column != tt.col {
				t.Errorf("Column = %d; want %d", fe.Column, tt.col)
			}
			if !errors.Is(err, tt.cause) && tt.cause != nil || tt.cause == nil && fe.Err != nil {
				t.Errorf("cause = %v; want %v", fe.Err, tt.cause)
			}
			if got := tt.line[fe.Column-1:]; !strings.HasPrefix(got, fe.Value[:min(len(fe.Value), 8)]) {
				t.Errorf("Column %d points at %q, not at the value %q", fe.Column, got, fe.Value)
			}
		})
	}
}

func TestParseFieldCount(t *testing.T) {
	tests := []struct {
		line      string
		got, want int
		msg       string
	}{
		{"2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 2 3 4 ACCEPT", 13, 14, "13 fields, format has 14 (version account-id interface-id ... log-status)"},
		{"2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 2 3 4 ACCEPT OK extra", 15, 14, "15 fields, format has 14 (version account-id interface-id ... log-status)"},
		{"2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 2 3 4 ACCEPT OK a b c", 17, 14, "17 fields, format has 14 (version account-id interface-id ... log-status)"},
		// A bad value in a line of the wrong length reports the length.
		{"Phony unsupported log format.", 4, 14, "4 fields, format has 14 (version account-id interface-id ... log-status)"},
		{"\x00\x01\x02 garbage \xff\xfe", 3, 14, "3 fields, format has 14 (version account-id interface-id ... log-status)"},
	}
	p := NewParser(DefaultFormat())
	for _, tt := range tests {
		var rec Record
		err := p.Parse([]byte(tt.line), &rec)
		var ce *FieldCountError
		if !errors.As(err, &ce) || !errors.Is(err, ErrFieldCount) {
			t.Fatalf("Parse(%q) = %v; want a *FieldCountError matching ErrFieldCount", tt.line, err)
		}
		if ce.Got != tt.got || ce.Want != tt.want || ce.Error() != tt.msg {
			t.Errorf("Parse(%q) = %q (%d/%d); want %q", tt.line, ce.Error(), ce.Got, ce.Want, tt.msg)
		}
	}
}

// Every known field is parsed from a representative value and formatted
// back unchanged; the record's Present set is exactly the format's fields.
func TestParseEveryField(t *testing.T) {
	sample := map[Field]string{
		FieldVersion: "6", FieldSrcAddr: "2001:db8::2", FieldDstAddr: "2001:db8::1", FieldPktSrcAddr: "::ffff:10.1.2.3",
		FieldPktDstAddr: "192.0.2.7", FieldSrcPort: "65535", FieldDstPort: "0", FieldProtocol: "255",
		FieldPackets: "9223372036854775807", FieldBytes: "0", FieldStart: "1700000000", FieldEnd: "1700000060",
		FieldAction: "REJECT", FieldLogStatus: "SKIPDATA", FieldTCPFlags: "255", FieldType: "EFA",
		FieldFlowDirection: "egress", FieldTrafficPath: "8", FieldEncryptionStatus: "3",
		FieldPacketsLostNoRoute: "1", FieldPacketsLostBlackhole: "2", FieldPacketsLostMTUExceeded: "3", FieldPacketsLostTTLExpired: "4",
	}
	var names, vals []string
	for fl := FieldVersion; fl < numFields; fl++ {
		names = append(names, fl.String())
		v, ok := sample[fl]
		if !ok {
			v = "val-" + fl.String() // a string field
		}
		vals = append(vals, v)
	}
	f, unknown, err := ParseHeader(strings.Join(names, " ") + " future-field")
	if err != nil || len(unknown) != 1 {
		t.Fatalf("ParseHeader: %v, unknown %v", err, unknown)
	}
	line := strings.Join(vals, "\t") + " extra-value"
	var rec Record
	if err := NewParser(f).Parse([]byte(line), &rec); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if rec.Present != f.Set() {
		t.Errorf("Present = %b; want %b", rec.Present, f.Set())
	}
	if rec.Kind != KindTransitGateway {
		t.Errorf("Kind = %v; want tgw (format has TGW fields)", rec.Kind)
	}
	if rec.PktSrcAddr != netip.MustParseAddr("10.1.2.3") {
		t.Errorf("v4-mapped pkt-srcaddr = %v; want unmapped 10.1.2.3", rec.PktSrcAddr)
	}
	for i := range f.Len() {
		want := strings.Fields(line)[i]
		if fl, _ := f.Column(i); fl == FieldPktSrcAddr { // unmapped on purpose
			want = "10.1.2.3"
		}
		if got := fieldText(f, i, &rec); got != want {
			_, n := f.Column(i)
			t.Errorf("column %d (%s) = %q; want %q", i+1, n, got, want)
		}
	}
	if len(rec.Extra) != 1 || rec.Extra[0] != "extra-value" {
		t.Errorf("Extra = %q", rec.Extra)
	}
}

func TestParseDashEverywhere(t *testing.T) {
	var names, dashes []string
	for fl := FieldVersion; fl < numFields; fl++ {
		names = append(names, fl.String())
		dashes = append(dashes, "-")
	}
	f, _, err := ParseHeader(strings.Join(names, " ") + " x-new")
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	if err := NewParser(f).Parse([]byte(strings.Join(dashes, " ")+" -"), &rec); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := Record{Kind: KindTransitGateway}
	if !sameRecord(&rec, &want) || len(rec.Extra) != 1 || rec.Extra[0] != "" {
		t.Errorf("all-dash record = %+v; want zero with Kind tgw and one empty extra", rec)
	}
}

func TestParseSpecialValues(t *testing.T) {
	// account-id "unknown" (AWS-managed ENIs), leading/trailing white space,
	// tabs, a CR, and lower-case enum spellings.
	_, rec := mustParse(t, "", " \t2 unknown eni-1 10.0.0.1 10.0.0.2 1 2 6 1 2 3 4 accept ok \r")
	if rec.AccountID != "unknown" || !rec.Has(FieldAccountID) || rec.Action != ActionAccept || rec.LogStatus != LogStatusOK {
		t.Errorf("got %+v", rec)
	}
	// IPv4-mapped addresses are unmapped; other IPv6 forms parse as netip does.
	_, rec = mustParse(t, "srcaddr dstaddr", "::ffff:192.0.2.1 192.0.2.2")
	if rec.SrcAddr != netip.MustParseAddr("192.0.2.1") || !rec.SrcAddr.Is4() || rec.DstAddr != netip.MustParseAddr("192.0.2.2") {
		t.Errorf("got %v %v", rec.SrcAddr, rec.DstAddr)
	}
	// Port 65535, protocol 255 and tcp-flags 255 are the largest accepted.
	_, rec = mustParse(t, "srcport protocol tcp-flags", "65535 255 255")
	if rec.SrcPort != 65535 || rec.Protocol != 255 || rec.TCPFlags != 255 {
		t.Errorf("got %+v", rec)
	}
}

// The hand-written address parser agrees with netip.ParseAddr.
func TestParseAddrMatchesNetip(t *testing.T) {
	inputs := []string{
		"0.0.0.0", "255.255.255.255", "1.2.3.4", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "256.1.1.1",
		"1.2.3.4a", "::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
		"1::8", "1:::8", "1::2::3", "12345::", "fffff::1", "FFFF::1", "::ffff:1.2.3.4", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4",
		"1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:1.2.3.4", "1::1.2.3.4", "::ffff:1.2.3", ":1::2", "1::2:", "1:2", "",
		"2001:db8:1234:a100:8d6e:3477:df66:f105", "g::1", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "::1:2:3:4:5:6:7",
		"1.2.3.4:80", "[::1]", "::ffff:0.0.0.0",
	}
	for _, s := range inputs {
		got, ok := parseAddr([]byte(s))
		want, err := netip.ParseAddr(s)
		if ok != (err == nil) || ok && got != want.Unmap() {
			t.Errorf("parseAddr(%q) = %v, %v; netip: %v, %v", s, got, ok, want, err)
		}
	}
}

// A warm Parser allocates nothing per line, for every kind of field.
func TestParseNoAllocs(t *testing.T) {
	tests := []struct{ format, line string }{
		{"", "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"},
		{"", "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8::5 34892 22 6 54 8855 1477913708 1477913820 REJECT OK"},
		{"", "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"},
		{"version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status",
			"5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK"},
		{"version resource-type account-id tgw-id tgw-attachment-id srcaddr dstaddr packets-lost-no-route log-status ecs-task-arn instance-tag",
			"6 TransitGateway 123456789012 tgw-0abc tgw-attach-0abc 10.0.0.1 10.1.0.1 3 OK arn:aws:ecs:us-east-1:123456789012:task/c/abcd web"},
	}
	for _, tt := range tests {
		f := DefaultFormat()
		if tt.format != "" {
			f, _, _ = ParseHeader(tt.format)
		}
		p := NewParser(f)
		line := []byte(tt.line)
		var rec Record
		if err := p.Parse(line, &rec); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(200, func() { p.Parse(line, &rec) }); n != 0 {
			t.Errorf("Parse(%.40q...) allocates %v times; want 0", tt.line, n)
		}
	}
}

func ExampleParser() {
	f, _ := ParseFormat("${version} ${interface-id} ${srcaddr} ${dstaddr} ${dstport} ${protocol} ${action} ${tcp-flags} ${flow-direction}")
	p := NewParser(f)
	var rec Record
	for _, line := range []string{
		"5 eni-0a1b 10.0.1.5 10.0.2.9 443 6 REJECT 2 ingress",
		"5 eni-0a1b 10.0.2.9 - - 6 ACCEPT - egress",
		"5 eni-0a1b 10.0.2.9 10.0.1.5 443 tcp ACCEPT 18 egress",
	} {
		if err := p.Parse([]byte(line), &rec); err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(rec.SrcAddr, rec.DstAddr, rec.Has(FieldDstAddr), rec.DstPort, rec.Action, rec.TCPFlags, rec.FlowDirection)
	}
	// Output:
	// 10.0.1.5 10.0.2.9 true 443 REJECT 2 ingress
	// 10.0.2.9 invalid IP false 0 ACCEPT 0 egress
	// field protocol: "tcp" is not a protocol number (0-255)
}

// stringField covers exactly the string-valued fields: every other field
// is handled by Parser.set before it, and asking for one panics.
func TestStringFieldPanicsForNonString(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("stringField(dstport) did not panic")
		}
	}()
	var rec Record
	stringField(&rec, FieldDstPort)
}

func TestParseEdgeValues(t *testing.T) {
	f, _ := ParseFormat("interface-id packets")
	p := NewParser(f)
	if p.Format() != f {
		t.Errorf("Parser.Format() is not the format it was made with")
	}
	var rec Record
	// U+009B is a C1 control (CSI): a terminal may act on it.
	if err := p.Parse([]byte("eni-\u009b31m 1"), &rec); err == nil {
		t.Errorf("C1 control character accepted")
	}
	if err := p.Parse([]byte("eni-é 1"), &rec); err != nil || rec.InterfaceID != "eni-é" {
		t.Errorf("UTF-8 id: %v %q", err, rec.InterfaceID)
	}
	// Zero padding beyond 19 digits is still a number; 20 significant digits are not.
	if err := p.Parse([]byte("eni-1 0000000000000000000000042"), &rec); err != nil || rec.Packets != 42 {
		t.Errorf("zero-padded count: %v %d", err, rec.Packets)
	}
	if err := p.Parse([]byte("eni-1 18446744073709551615"), &rec); err == nil {
		t.Errorf("count above int64 accepted")
	}
	var fe *FieldError
	if err := p.Parse([]byte("eni-1 9223372036854775808"), &rec); !errors.As(err, &fe) || fe.Err != strconv.ErrRange {
		t.Errorf("count 2^63: %v", err)
	}
	if err := p.Parse([]byte("eni-1"), &rec); err == nil || err.Error() != "1 fields, format has 2 (interface-id packets)" {
		t.Errorf("short format count error: %v", err)
	}
}

// skipToken reads eight bytes at a time; it must stop exactly where the
// byte-by-byte definition does, for every byte value at every offset of
// the word.
func TestSkipTokenEveryByte(t *testing.T) {
	ref := func(b []byte, i int) int {
		for i < len(b) && !isSpace(b[i]) {
			i++
		}
		return i
	}
	// A control character (part of the token) before a separator, both
	// within one word or in two.
	for c := 0; c <= ' '; c++ {
		for at := 0; at < 20; at++ {
			for sep := at + 1; sep < 24; sep++ {
				b := []byte(strings.Repeat("eni-0a1b2c3d4e5f6a7b8", 2))
				b[at], b[sep] = byte(c), '\t'
				if got, want := skipToken(b, 0), ref(b, 0); got != want {
					t.Fatalf("byte %#x at %d, tab at %d: skipToken = %d, want %d", c, at, sep, got, want)
				}
			}
		}
	}
	for c := 0; c < 256; c++ {
		for at := 0; at < 24; at++ {
			b := []byte(strings.Repeat("eni-0a1b2c3d4e5f6a7b8", 2))
			b[at] = byte(c)
			for from := 0; from <= at; from++ {
				if got, want := skipToken(b, from), ref(b, from); got != want {
					t.Fatalf("byte %#x at %d, from %d: skipToken = %d, want %d", c, at, from, got, want)
				}
			}
		}
	}
}

// Two ids that share an entry of the parser's cache of recent values are
// each read as themselves, however they alternate.
func TestParserRecentCollision(t *testing.T) {
	first := "eni-00000000000000000"
	var second string
	for i := 1; second == ""; i++ {
		s := fmt.Sprintf("eni-%017x", i)
		if recentIndex([]byte(s)) == recentIndex([]byte(first)) {
			second = s
		}
	}
	p := NewParser(DefaultFormat())
	var rec Record
	for i, eni := range []string{first, second, second, first, second, first, first} {
		line := "2 123456789012 " + eni + " 10.0.1.5 10.0.2.9 51234 443 6 10 840 1700000000 1700000060 ACCEPT OK"
		if err := p.Parse([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.InterfaceID != eni {
			t.Fatalf("line %d: interface-id %q, want %q", i, rec.InterfaceID, eni)
		}
	}
}

// parseUint reads eight digits at a time; it must agree with strconv on
// every length, on every non-digit byte at every position, and at the
// limits.
func TestParseUintAgainstStrconv(t *testing.T) {
	check := func(s string, limit uint64) {
		t.Helper()
		got, ok := parseUint([]byte(s), limit)
		want, err := strconv.ParseUint(s, 10, 64)
		wok := err == nil && want <= limit && !strings.ContainsAny(s, "+-_")
		if ok != wok || (ok && got != want) {
			t.Fatalf("parseUint(%q, %d) = %d, %v; strconv says %d, %v", s, limit, got, ok, want, wok)
		}
	}
	for _, s := range []string{"0", "9", "12345678", "99999999", "100000000", "1700000000", "1741942860",
		"18446744073709551615", "18446744073709551616", "9223372036854775807", "9223372036854775808",
		"0000000000000000000001700000000", "00000000", "0000000012345678"} {
		check(s, 1<<63-1) // the largest limit callers use
		check(s, 65535)
	}
	for c := 0; c < 256; c++ {
		for n := 1; n <= 20; n++ {
			for at := 0; at < n; at++ {
				b := []byte(strings.Repeat("7", n))
				b[at] = byte(c)
				check(string(b), 1<<63-1)
			}
		}
	}
}

// The default format's fast path takes generated lines of every kind
// (IPv4, IPv6, rejects, NODATA with "-") and gives what the general loop
// gives, or declines them.
func TestParseV2MatchesGeneral(t *testing.T) {
	data := genFlowLog(20_000, false)
	data = append(data, "2 123456789012 eni-1 - - - - - - - 1700000000 1700000060 - NODATA\n"+
		"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1700000060 1700000000 ACCEPT OK\n"+
		"2 123456789012 eni-1 10.0.0.1 2001:db8::2 1 2 6 1 1 1700000000 1700000060 ACCEPT OK\n"+
		"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1700000000 1700000060 accept ok\n"...)
	fast, general := NewParser(DefaultFormat()), NewParser(DefaultFormat())
	general.v2 = false
	taken := 0
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var got, want Record
		gerr := general.Parse(line, &want)
		if !fast.parseV2(line, &got) {
			continue
		}
		taken++
		if gerr != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nparseV2 %+v\ngeneral %+v (%v)", line, got, want, gerr)
		}
	}
	if taken < 19_000 {
		t.Errorf("the fast path took %d of 20,004 lines", taken)
	}
}
