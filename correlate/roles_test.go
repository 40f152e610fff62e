package correlate

import (
	"strings"
	"testing"
)

// TestReassignedAddressForgetsOldOwner: when an ENI's own address is learned
// anew (the ENI was re-addressed), its old address no longer leads to it, so
// its NODATA/SKIPDATA records are not attached to conversations of whoever
// holds that address now.
func TestReassignedAddressForgetsOldOwner(t *testing.T) {
	rs := recs(t, "t.log", `
eni-a 10.0.0.1:5000 -> 10.0.2.2:80 tcp ACCEPT t=100-160 dir=egress
eni-a 10.0.0.9:5001 -> 10.0.2.2:80 tcp ACCEPT t=200-260 dir=egress
eni-a NODATA t=300-900
eni-x 10.0.5.5:6000 -> 10.0.0.1:443 tcp ACCEPT t=400-460 dir=egress
`)
	cs, _ := run(t, Options{}, rs)
	for _, c := range cs {
		if c.Server.Addr().String() != "10.0.0.1" {
			continue
		}
		for _, g := range c.Gaps {
			if g.ENI == "eni-a" {
				t.Errorf("%s: eni-a's gap attached through its old address", c)
			}
		}
		return
	}
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.String() + "\n")
	}
	t.Fatalf("no conversation to 10.0.0.1:\n%s", b.String())
}
