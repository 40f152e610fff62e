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

// TestInferRoles covers each inference of inferRoles on two views of one
// conversation, including two views that claim the same end (one of them
// forwards the packets).
func TestInferRoles(t *testing.T) {
	acc := Leg{Seen: true, Accept: Tally{Records: 1}}
	rej := Leg{Seen: true, Reject: Tally{Records: 1}}
	none := Leg{}
	tests := []struct {
		name         string
		a, b         View
		wantA, wantB Role
	}{
		{"one known gives the other",
			View{Role: RoleClient, Request: acc}, View{Request: acc},
			RoleClient, RoleServer},
		{"request rejected second is the server",
			View{Request: acc}, View{Request: rej},
			RoleClient, RoleServer},
		{"request rejected first is the server too (order by ENI)",
			View{Request: rej}, View{Request: acc},
			RoleServer, RoleClient},
		{"reply seen on one only: that is the server",
			View{Request: acc, Reply: none}, View{Request: acc, Reply: acc},
			RoleClient, RoleServer},
		{"reply accepted on one, rejected on the other",
			View{Request: acc, Reply: rej}, View{Request: acc, Reply: acc},
			RoleClient, RoleServer},
		{"nothing tells",
			View{Request: acc, Reply: acc}, View{Request: acc, Reply: acc},
			RoleUnknown, RoleUnknown},
		{"both claim client: the rejecting one forwards",
			View{Role: RoleClient, Request: acc}, View{Role: RoleClient, Request: rej},
			RoleClient, RoleTransit},
		{"both claim server: the accepting one forwarded",
			View{Role: RoleServer, Request: rej}, View{Role: RoleServer, Request: acc},
			RoleServer, RoleTransit},
		{"both claim client, no reject: cannot tell",
			View{Role: RoleClient, Request: acc}, View{Role: RoleClient, Request: acc},
			RoleClient, RoleClient},
		{"a transit view is left alone",
			View{Role: RoleTransit, Request: acc}, View{Request: rej},
			RoleTransit, RoleUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			views := []View{tt.a, tt.b}
			inferRoles(views)
			if views[0].Role != tt.wantA || views[1].Role != tt.wantB {
				t.Errorf("roles = %v, %v; want %v, %v", views[0].Role, views[1].Role, tt.wantA, tt.wantB)
			}
		})
	}
}

// TestInferEnds: with three or more ENIs whose roles the logs do not show, a
// request rejected on one ENI and accepted on every other ends its path at
// the server's; a reply likewise at the client's. Anything else tells
// nothing, and a view that knows its role leaves them all as they are.
func TestInferEnds(t *testing.T) {
	acc := Leg{Seen: true, Accept: Tally{Records: 1}}
	rej := Leg{Seen: true, Reject: Tally{Records: 1}}
	for _, tc := range []struct {
		name  string
		views []View
		want  []Role
	}{
		{"request rejected on the third of four",
			[]View{{Request: acc}, {Request: acc}, {Request: rej}, {Request: acc}},
			[]Role{RoleUnknown, RoleUnknown, RoleServer, RoleUnknown}},
		{"reply rejected on the first of three",
			[]View{{Request: acc, Reply: rej}, {Request: acc, Reply: acc}, {Request: acc, Reply: acc}},
			[]Role{RoleClient, RoleUnknown, RoleUnknown}},
		{"two rejections tell nothing",
			[]View{{Request: rej}, {Request: acc}, {Request: rej}},
			[]Role{RoleUnknown, RoleUnknown, RoleUnknown}},
		{"all accepted tells nothing",
			[]View{{Request: acc, Reply: acc}, {Request: acc, Reply: acc}, {Request: acc, Reply: acc}},
			[]Role{RoleUnknown, RoleUnknown, RoleUnknown}},
		{"a known role is left alone",
			[]View{{Role: RoleClient, Request: acc}, {Request: acc}, {Request: rej}},
			[]Role{RoleClient, RoleUnknown, RoleUnknown}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inferRoles(tc.views)
			for i, v := range tc.views {
				if v.Role != tc.want[i] {
					t.Errorf("view %d: %v; want %v", i, v.Role, tc.want[i])
				}
			}
		})
	}
}

// TestPublicPeerIsNotOwnAddress: every record of a NAT gateway's ENI may
// share one address, the internet server it talks to; AWS logs an ENI's side
// by its private IPv4, so that public address is not the ENI's own. The ENI
// is the client of its translated connection, and not the server of the
// instance's.
func TestPublicPeerIsNotOwnAddress(t *testing.T) {
	rs := recs(t, "nat.log", `
eni-nat 10.0.1.10:40400 -> 93.184.216.34:443 tcp ACCEPT t=100-150
eni-nat 10.0.0.50:61000 -> 93.184.216.34:443 tcp ACCEPT t=100-150
eni-nat 93.184.216.34:443 -> 10.0.0.50:61000 tcp REJECT t=101-151
`)
	cs, _ := run(t, Options{}, rs)
	if len(cs) != 2 {
		t.Fatalf("%d conversations; want 2", len(cs))
	}
	for _, c := range cs {
		v, ok := c.View("eni-nat")
		if !ok {
			t.Fatalf("%s: no view of eni-nat", c)
		}
		switch c.Client.Addr().String() {
		case "10.0.0.50":
			if v.Role != RoleClient {
				t.Errorf("translated connection: eni-nat is %v; want client", v.Role)
			}
		case "10.0.1.10":
			if v.Role == RoleServer {
				t.Errorf("instance's connection: eni-nat taken for the server")
			}
		default:
			t.Errorf("unexpected conversation %s", c)
		}
	}
}
