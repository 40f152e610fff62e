package correlate

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/flowdiag/flowdiag/flowlog"
)

func rejectRec(src, dst string, dport uint16, end int64) *Rec {
	return &Rec{SrcAddr: netip.MustParseAddr(src), DstAddr: netip.MustParseAddr(dst), SrcPort: 54321, DstPort: dport,
		Protocol: flowlog.ProtoTCP, Start: end - 10, End: end, Action: flowlog.ActionReject}
}

func TestFanOutCounts(t *testing.T) {
	const horizon = 900
	var f fanout
	// 20 ports of one host, each probed twice: 16 (saturated) ports, 1 host.
	for port := uint16(1); port <= 20; port++ {
		f.add(rejectRec("185.220.101.5", "10.0.0.5", port, 1000), horizon, 1000, false)
		f.add(rejectRec("185.220.101.5", "10.0.0.5", port, 1010), horizon, 1010, false)
	}
	// one port of 5 hosts
	for h := 1; h <= 5; h++ {
		f.add(rejectRec("198.51.100.7", fmt.Sprintf("10.0.1.%d", h), 22, 1000), horizon, 1010, false)
	}
	for _, tc := range []struct {
		addr  string
		first int64
		want  FanOut
	}{
		{"185.220.101.5", 1000, FanOut{Ports: 16, Hosts: 1}},
		{"198.51.100.7", 1000, FanOut{Ports: 1, Hosts: 5}},
		{"203.0.113.1", 1000, FanOut{}},
		// a conversation long after the source's last rejection: another episode
		{"185.220.101.5", 1010 + horizon + 1, FanOut{}},
	} {
		if got := f.of(netip.MustParseAddr(tc.addr), tc.first, horizon, false); (FanOut{Ports: got.Ports, Hosts: got.Hosts}) != tc.want {
			t.Errorf("%s at %d: %+v, want %+v", tc.addr, tc.first, got, tc.want)
		}
	}
	// After an idle horizon the source starts again from zero.
	f.add(rejectRec("198.51.100.7", "10.0.9.9", 443, 1010+horizon+1), horizon, 1010+horizon+1, false)
	if got := f.of(netip.MustParseAddr("198.51.100.7"), 1010+horizon, horizon, false); got.Ports != 1 || got.Hosts != 1 {
		t.Errorf("after idle: %+v", got)
	}
}

// A flood from more sources than the bound keeps the table bounded, and
// the sources kept are the most recent.
func TestFanOutBounded(t *testing.T) {
	var f fanout
	n := 3 * fanMax
	for i := range n {
		src := netip.AddrFrom4([4]byte{100, byte(i >> 16), byte(i >> 8), byte(i)})
		end := int64(1000 + i/1000) // all within one horizon
		f.add(&Rec{SrcAddr: src, DstAddr: netip.MustParseAddr("10.0.0.1"), DstPort: 80, Protocol: flowlog.ProtoTCP,
			End: end, Action: flowlog.ActionReject}, 900, end, false)
		if len(f.m) > fanMax {
			t.Fatalf("%d sources tracked after %d, bound %d", len(f.m), i+1, fanMax)
		}
	}
	last := netip.AddrFrom4([4]byte{100, byte((n - 1) >> 16), byte((n - 1) >> 8), byte(n - 1)})
	if got := f.of(last, 1000+int64(n/1000), 900, false); got.Hosts != 1 {
		t.Errorf("newest source forgotten: %+v", got)
	}
}

// An IPv6 scanner probing from a new address of its /64 each time counts as
// one source (QA 11, S15).
func TestFanOutIPv6PerSlash64(t *testing.T) {
	var f fanout
	for i := range 12 {
		f.add(rejectRec(fmt.Sprintf("2001:db8:1:2::%x", 0x100+i), "2600:1f18::10", uint16(20+i), 1000), 900, 1000, false)
	}
	if got := f.of(netip.MustParseAddr("2001:db8:1:2::ffff"), 1000, 900, false); got.Ports != 12 {
		t.Errorf("/64 counts %+v, want 12 ports", got)
	}
	if got := f.of(netip.MustParseAddr("2001:db8:1:3::1"), 1000, 900, false); got.Ports != 0 {
		t.Errorf("another /64 counts %+v", got)
	}
}

// Sessions: an accepted record of 5 or more packets between two addresses
// is remembered for the horizon, whichever way it went.
func TestSessions(t *testing.T) {
	var s sessions
	a, b, c := netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("10.60.0.11"), netip.MustParseAddr("10.60.0.12")
	s.add(&Rec{SrcAddr: a, DstAddr: b, End: 1000, Packets: 40, Action: flowlog.ActionAccept})
	for _, tc := range []struct {
		x, y netip.Addr
		at   int64
		want bool
	}{
		{a, b, 1100, true}, {b, a, 1100, true}, {a, b, 1000 + 901, false}, {a, b, 1000 - 901, false}, {a, c, 1000, false},
	} {
		if got := s.with(tc.x, tc.y, tc.at, 900); got != tc.want {
			t.Errorf("with(%v, %v, %d) = %v", tc.x, tc.y, tc.at, got)
		}
	}
}

// Inside the VPC each IPv6 address is a host of its own: an address an ENI
// owns is not aggregated into its /64 (QA 13, U5); and a rejected reply
// (from a lower port to a higher one, or a SYN-ACK) is no probe (U1).
func TestFanOutOwnAddressesAndReplies(t *testing.T) {
	var f fanout
	for i := range 18 {
		f.add(rejectRec(fmt.Sprintf("2600:1f18:70:1::%x", 0x10+i), "2600:1f18:70:2::5", uint16(8010+i), 1000), 900, 1000, true)
	}
	if got := f.of(netip.MustParseAddr("2600:1f18:70:1::10"), 1000, 900, true); got.Ports != 1 || got.Source.Bits() != 128 {
		t.Errorf("own address: %+v", got)
	}
	reply := &Rec{SrcAddr: netip.MustParseAddr("10.60.2.10"), DstAddr: netip.MustParseAddr("10.60.1.11"), SrcPort: 5432, DstPort: 40001, Protocol: flowlog.ProtoTCP, Action: flowlog.ActionReject}
	if probeLike(reply) {
		t.Error("a reply from 5432 to 40001 taken for a probe")
	}
	reply.SrcPort, reply.DstPort = 40001, 5432
	reply.HasTCPFlags, reply.TCPFlags = true, 0x12 // SYN-ACK
	if probeLike(reply) {
		t.Error("a SYN-ACK taken for a probe")
	}
	reply.TCPFlags = 0x02
	if !probeLike(reply) {
		t.Error("a SYN not taken for a probe")
	}
}
