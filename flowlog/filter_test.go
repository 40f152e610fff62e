package flowlog

import (
	"net/netip"
	"testing"
)

// frec builds a record from the AWS documentation examples (DOMAIN.md 1.12)
// without depending on the text parser.
func frec(eni, src string, sport uint16, dst string, dport uint16, p Proto, a Action, start, end int64) Record {
	r := Record{
		Version: 2, AccountID: "123456789010", InterfaceID: eni,
		SrcAddr: netip.MustParseAddr(src), DstAddr: netip.MustParseAddr(dst),
		SrcPort: sport, DstPort: dport, Protocol: p, Packets: 20, Bytes: 4249,
		Start: start, End: end, Action: a, LogStatus: LogStatusOK,
	}
	for _, f := range []Field{FieldVersion, FieldAccountID, FieldInterfaceID, FieldSrcAddr, FieldDstAddr,
		FieldSrcPort, FieldDstPort, FieldProtocol, FieldPackets, FieldBytes, FieldStart, FieldEnd,
		FieldAction, FieldLogStatus} {
		r.Present.Add(f)
	}
	return r
}

func gap(eni string, st LogStatus, start, end int64) Record {
	r := Record{Version: 2, AccountID: "123456789010", InterfaceID: eni, Start: start, End: end, LogStatus: st}
	for _, f := range []Field{FieldVersion, FieldAccountID, FieldInterfaceID, FieldStart, FieldEnd, FieldLogStatus} {
		r.Present.Add(f)
	}
	return r
}

func TestFilterMatch(t *testing.T) {
	ssh := frec("eni-1235b8ca123456789", "172.31.16.139", 20641, "172.31.16.21", 22, ProtoTCP, ActionAccept, 1418530010, 1418530070)
	rdp := frec("eni-1235b8ca123456789", "172.31.9.69", 49761, "172.31.9.12", 3389, ProtoTCP, ActionReject, 1418530010, 1418530070)
	pingReply := frec("eni-1235b8ca123456789", "172.31.16.139", 0, "203.0.113.12", 0, ProtoICMP, ActionReject, 1432917094, 1432917142)
	v6 := frec("eni-1235b8ca123456789", "2001:db8:1234:a100:8d6e:3477:df66:f105", 34892, "2001:db8:1234:a102:3304:8879:34cf:4071", 22, ProtoTCP, ActionAccept, 1477913708, 1477913820)
	nodata := gap("eni-1235b8ca123456789", LogStatusNoData, 1431280876, 1431280934)
	skip := gap("eni-11111111aaaaaaaaa", LogStatusSkipData, 1431280876, 1431280934)
	natReq := frec("eni-nat", "10.0.1.5", 40000, "10.0.0.220", 443, ProtoTCP, ActionAccept, 100, 160)
	natReq.PktDstAddr = netip.MustParseAddr("203.0.113.5")
	natReq.Present.Add(FieldPktDstAddr)
	tgw := Record{Kind: KindTransitGateway, TGW: TGWFields{SrcENI: "eni-0abc12345def67890", DstENI: "eni-0def12345abc67890"}}

	pfx := func(s string) netip.Prefix { return netip.MustParsePrefix(s) }
	tests := []struct {
		name string
		f    Filter
		r    Record
		want bool
	}{
		{"zero filter keeps all", Filter{}, rdp, true},
		{"zero filter keeps gaps", Filter{}, nodata, true},
		// --action
		{"action reject drops accept", Filter{Actions: []Action{ActionReject}}, ssh, false},
		{"action reject keeps reject", Filter{Actions: []Action{ActionReject}}, rdp, true},
		{"action list is OR", Filter{Actions: []Action{ActionAccept, ActionReject}}, ssh, true},
		{"action ignores gap", Filter{Actions: []Action{ActionReject}}, nodata, true},
		// --eni
		{"eni match", Filter{ENIs: []string{"eni-1235b8ca123456789"}}, ssh, true},
		{"eni other", Filter{ENIs: []string{"eni-0"}}, ssh, false},
		{"eni applies to gaps", Filter{ENIs: []string{"eni-1235b8ca123456789"}}, skip, false},
		{"eni gap same eni", Filter{ENIs: []string{"eni-11111111aaaaaaaaa"}}, skip, true},
		{"eni tgw dst eni", Filter{ENIs: []string{"eni-0def12345abc67890"}}, tgw, true},
		// --addr: either side, single address, CIDR, v6, pkt-* addresses
		{"addr src", Filter{Addrs: []netip.Prefix{pfx("172.31.16.139/32")}}, ssh, true},
		{"addr dst cidr", Filter{Addrs: []netip.Prefix{pfx("172.31.16.0/24")}}, ssh, true},
		{"addr neither", Filter{Addrs: []netip.Prefix{pfx("10.0.0.0/8")}}, ssh, false},
		{"addr v6 cidr", Filter{Addrs: []netip.Prefix{pfx("2001:db8:1234:a102::/64")}}, v6, true},
		{"addr v4 cidr vs v6 record", Filter{Addrs: []netip.Prefix{pfx("0.0.0.0/0")}}, v6, false},
		{"addr pkt-dstaddr", Filter{Addrs: []netip.Prefix{pfx("203.0.113.5/32")}}, natReq, true},
		{"addr ignores gap", Filter{Addrs: []netip.Prefix{pfx("10.0.0.0/8")}}, nodata, true},
		// --port: either side
		{"port dst", Filter{Ports: []uint16{22}}, ssh, true},
		{"port src", Filter{Ports: []uint16{20641}}, ssh, true},
		{"port none", Filter{Ports: []uint16{443, 3389}}, ssh, false},
		{"port 0 icmp", Filter{Ports: []uint16{0}}, pingReply, true},
		// --protocol
		{"proto tcp", Filter{Protos: []Proto{ProtoTCP}}, rdp, true},
		{"proto icmp vs tcp", Filter{Protos: []Proto{ProtoICMP}}, rdp, false},
		{"proto icmp", Filter{Protos: []Proto{ProtoICMP, ProtoICMPv6}}, pingReply, true},
		{"proto ignores gap", Filter{Protos: []Proto{ProtoUDP}}, skip, true},
		// --since/--until: overlap of [start,end]
		{"since before end", Filter{Since: 1418530070}, ssh, true},
		{"since after end", Filter{Since: 1418530071}, ssh, false},
		{"until at start", Filter{Until: 1418530010}, ssh, true},
		{"until before start", Filter{Until: 1418530009}, ssh, false},
		{"window applies to gaps", Filter{Since: 1431280935}, nodata, false},
		{"window keeps gap inside", Filter{Since: 1431280900, Until: 1431280900}, nodata, true},
		// combinations are AND
		{"reject and port 22", Filter{Actions: []Action{ActionReject}, Ports: []uint16{22}}, rdp, false},
		{"reject and port 3389 and addr", Filter{Actions: []Action{ActionReject}, Ports: []uint16{3389}, Addrs: []netip.Prefix{pfx("172.31.9.12/32")}}, rdp, true},
	}
	for _, tt := range tests {
		r := tt.r
		if got := tt.f.Match(&r); got != tt.want {
			t.Errorf("%s: Match = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestFilterMatchNoAllocs(t *testing.T) {
	r := frec("eni-1235b8ca123456789", "172.31.9.69", 49761, "172.31.9.12", 3389, ProtoTCP, ActionReject, 1418530010, 1418530070)
	f := Filter{
		Actions: []Action{ActionReject}, ENIs: []string{"eni-1235b8ca123456789"},
		Addrs: []netip.Prefix{netip.MustParsePrefix("172.31.0.0/16")}, Ports: []uint16{3389},
		Protos: []Proto{ProtoTCP}, Since: 1418530000, Until: 1418530100,
	}
	if !f.Match(&r) {
		t.Fatal("Match = false; want true before measuring")
	}
	if n := testing.AllocsPerRun(1000, func() { f.Match(&r) }); n != 0 {
		t.Errorf("Match allocates %v times per call; want 0", n)
	}
}

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"10.0.1.5", "10.0.1.5/32", ""},
		{" 10.0.0.0/16 ", "10.0.0.0/16", ""},
		{"2001:db8::1", "2001:db8::1/128", ""},
		{"2001:db8::/32", "2001:db8::/32", ""},
		{"::ffff:10.0.0.1", "10.0.0.1/32", ""},
		{"10.0.1.5/16", "", `"10.0.1.5/16" has host bits set: did you mean 10.0.0.0/16?`},
		{"10.0.0.0/33", "", `"10.0.0.0/33" is not an address or CIDR prefix`},
		{"eni-123", "", `"eni-123" is not an address or CIDR prefix`},
		{"fe80::1%eth0", "", `"fe80::1%eth0" is not an address or CIDR prefix`},
	}
	for _, tt := range tests {
		p, err := ParsePrefix(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParsePrefix(%q) error = %v; want %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || p.String() != tt.want {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", tt.in, p, err, tt.want)
		}
	}
}

func TestParsePort(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint16
		ok   bool
	}{{"22", 22, true}, {"0", 0, true}, {"65535", 65535, true}, {"65536", 0, false}, {"http", 0, false}, {"-1", 0, false}} {
		got, err := ParsePort(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParsePort(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if _, err := ParsePort("http"); err == nil || err.Error() != `"http" is not a port number (0-65535)` {
		t.Errorf("ParsePort(http) error = %v", err)
	}
}

func TestParseTime(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1418530010", 1418530010, true},
		{"2014-12-14T04:06:50Z", 1418530010, true},
		{"2014-12-14T05:06:50+01:00", 1418530010, true},
		{"2014-12-14T04:06:50.999Z", 1418530010, true},
		{"2014-12-14", 0, false},
		{"yesterday", 0, false},
		{"0", 0, false},
		{"-5", 0, false},
		{"", 0, false},
	} {
		got, err := ParseTime(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseTime(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
