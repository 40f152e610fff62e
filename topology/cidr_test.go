package topology

import (
	"net/netip"
	"testing"
)

// TestCIDRMatchesNetip checks the compiled prefix test against netip on
// prefix lengths at word boundaries and across families.
func TestCIDRMatchesNetip(t *testing.T) {
	prefixes := []string{"0.0.0.0/0", "10.0.0.0/8", "10.0.1.0/24", "10.0.1.17/32", "::/0", "2001:db8::/32",
		"2001:db8:0:1::/64", "2001:db8:0:1:8000::/65", "2001:db8::17/128", "::ffff:0:0/96", "fd00::/8"}
	addrs := []string{"10.0.1.17", "10.0.1.18", "10.9.0.1", "192.0.2.1", "0.0.0.0", "255.255.255.255", "2001:db8::17",
		"2001:db8:0:1::1", "2001:db8:0:1:8000::1", "2001:db9::1", "::", "fd12::1", "::ffff:10.0.1.17"}
	for _, ps := range prefixes {
		p := netip.MustParsePrefix(ps)
		c := cidrOf(p)
		for _, as := range addrs {
			a := netip.MustParseAddr(as)
			if got, want := c.contains(keyOf(a)), p.Contains(a); got != want {
				t.Errorf("cidrOf(%s).contains(%s) = %v; want %v", ps, as, got, want)
			}
		}
	}
}
