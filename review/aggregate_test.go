package review

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/flowdiag/flowdiag/topology"
)

func TestAggregate(t *testing.T) {
	for _, tc := range []struct {
		in, want []netip.Prefix
	}{
		{pfxs("10.0.0.128/25", "10.0.0.0/25"), pfxs("10.0.0.0/24")},
		{pfxs("10.2.0.0/31", "10.2.0.3/32", "10.2.0.2/32"), pfxs("10.2.0.0/30")},
		{pfxs("10.0.0.0/8", "10.1.2.0/24"), pfxs("10.0.0.0/8")},
		{pfxs("10.0.0.128/25", "10.0.1.0/25"), pfxs("10.0.0.128/25", "10.0.1.0/25")}, // adjacent, not siblings
		{pfxs("2001:db8::/33", "2001:db8:8000::/33", "10.0.0.0/24"), pfxs("10.0.0.0/24", "2001:db8::/32")},
		{pfxs("0.0.0.0/1", "128.0.0.0/1"), pfxs("0.0.0.0/0")},
		{nil, nil},
	} {
		if got := aggregate(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("aggregate(%v) = %v; want %v", tc.in, got, tc.want)
		}
	}
}

// Splitting a prefix around random holes and aggregating the pieces with
// the holes gives the prefix back.
func TestAggregateUndoesMinus(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 500; i++ {
		bits := 8 + r.IntN(17)
		base := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}), bits).Masked()
		var holes []netip.Prefix
		for j := 0; j < 1+r.IntN(4); j++ {
			a := base.Addr().As4()
			off := r.Uint32N(1 << (32 - bits))
			v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) | off
			h := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits+r.IntN(33-bits)).Masked()
			holes = append(holes, h)
		}
		pieces := minus([]netip.Prefix{base}, holes)
		if got := aggregate(append(pieces, holes...)); len(got) != 1 || got[0] != base {
			t.Fatalf("%v minus %v = %v; aggregated with the holes: %v", base, holes, pieces, got)
		}
	}
}

func TestCompactHits(t *testing.T) {
	unfiltered := pfxs("10.2.0.2/32", "169.254.169.254/32")
	var bs []box
	for _, p := range minus(pfxs("10.2.0.0/16"), unfiltered) {
		bs = append(bs, box{p, protoAny, topology.AllPorts})
	}
	if len(bs) < 4 {
		t.Fatalf("fixture: %d boxes", len(bs))
	}
	got, ok := compactHits(bs, unfiltered)
	if want := "10.2.0.0/16 except 10.2.0.2, which no rule filters"; !ok || got != want {
		t.Errorf("compactHits = %q, %v; want %q", got, ok, want)
	}
	if got := hitText(bs, region{unfiltered: unfiltered}); got != "10.2.0.0/16 except 10.2.0.2, which no rule filters" {
		t.Errorf("hitText = %q", got)
	}
	bs[1].proto = 6
	if _, ok := compactHits(bs, unfiltered); ok {
		t.Error("boxes of two protocols compacted")
	}
}
