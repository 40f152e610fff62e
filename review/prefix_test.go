package review

import (
	"fmt"
	"net/netip"
	"testing"
)

func pfxs(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func TestMinus(t *testing.T) {
	tests := []struct {
		in, ex []netip.Prefix
		want   string
	}{
		{pfxs("10.0.0.0/8"), pfxs("10.0.0.0/9"), "[10.128.0.0/9]"},
		{pfxs("10.0.0.0/24"), pfxs("10.0.0.0/26", "10.0.0.128/25"), "[10.0.0.64/26]"},
		{pfxs("10.0.0.0/24"), pfxs("192.168.0.0/16"), "[10.0.0.0/24]"},
		{pfxs("10.0.0.0/24"), pfxs("10.0.0.0/16"), "[]"},
		{pfxs("0.0.0.0/0"), pfxs("128.0.0.0/2"), "[0.0.0.0/1 192.0.0.0/2]"},
		{pfxs("2001:db8::/32"), pfxs("2001:db8:8000::/33"), "[2001:db8::/33]"},
		{pfxs("0.0.0.0/0", "::/0"), pfxs("::/1"), "[0.0.0.0/0 8000::/1]"},
	}
	for _, tc := range tests {
		if got := fmt.Sprint(minus(tc.in, tc.ex)); got != tc.want {
			t.Errorf("minus(%v, %v) = %s; want %s", tc.in, tc.ex, got, tc.want)
		}
	}
}

// TestMinusExact checks minus address by address on a small space.
func TestMinusExact(t *testing.T) {
	in := pfxs("10.0.0.0/26")
	ex := pfxs("10.0.0.5/32", "10.0.0.16/30", "10.0.0.32/27")
	got := minus(in, ex)
	for i := 0; i < 64; i++ {
		a := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
		want := true
		for _, e := range ex {
			if e.Contains(a) {
				want = false
			}
		}
		n := 0
		for _, p := range got {
			if p.Contains(a) {
				n++
			}
		}
		if (n == 1) != want || n > 1 {
			t.Errorf("%s is in %d result prefixes; want in=%v", a, n, want)
		}
	}
}
