package correlate

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/flowdiag/flowdiag/flowlog"
)

// want describes the expected shape of one conversation.
type want struct {
	client, server string
	basis          Basis
	conf           Confidence
	views          []wantView // by ENI
}

type wantView struct {
	eni      string
	role     Role
	req, rep string // legSummary
}

func check(t *testing.T, c *Conversation, w want) {
	t.Helper()
	if got := c.Client.String(); got != w.client {
		t.Errorf("Client = %s; want %s\n%s", got, w.client, c)
	}
	if got := c.Server.String(); got != w.server {
		t.Errorf("Server = %s; want %s\n%s", got, w.server, c)
	}
	if c.Basis != w.basis || c.Confidence != w.conf {
		t.Errorf("decided by %s/%s; want %s/%s\n%s", c.Basis, c.Confidence, w.basis, w.conf, c)
	}
	if len(c.Views) != len(w.views) {
		t.Fatalf("%d views; want %d\n%s", len(c.Views), len(w.views), c)
	}
	for i, wv := range w.views {
		v := &c.Views[i]
		if v.ENI != wv.eni || v.Role != wv.role {
			t.Errorf("view %d = %s %s; want %s %s\n%s", i, v.ENI, v.Role, wv.eni, wv.role, c)
		}
		if got := legSummary(&v.Request); got != wv.req {
			t.Errorf("%s request = %s; want %s\n%s", v.ENI, got, wv.req, c)
		}
		if got := legSummary(&v.Reply); got != wv.rep {
			t.Errorf("%s reply = %s; want %s\n%s", v.ENI, got, wv.rep, c)
		}
	}
}

// The four classic cases of DOMAIN.md 4.3 on one ENI (eni-a, 10.0.1.5),
// default format: no flow-direction, no tcp-flags. The peer is on the
// internet, so the ENI's own address is its private one.
func TestClassicCasesOneENI(t *testing.T) {
	tests := []struct {
		name string
		recs string
		want want
	}{{
		name: "inbound REJECT",
		recs: `eni-a 198.51.100.7:51234 -> 10.0.1.5:22 tcp REJECT t=100-160`,
		want: want{"198.51.100.7:51234", "10.0.1.5:22", BasisPort, Medium,
			[]wantView{{"eni-a", RoleServer, "REJECT", "-"}}},
	}, {
		name: "inbound ACCEPT, outbound reply REJECT",
		recs: `eni-a 198.51.100.7:51234 -> 10.0.1.5:22 tcp ACCEPT t=100-160
		       eni-a 10.0.1.5:22 -> 198.51.100.7:51234 tcp REJECT t=100-160`,
		want: want{"198.51.100.7:51234", "10.0.1.5:22", BasisFlowDirection, Medium,
			[]wantView{{"eni-a", RoleServer, "ACCEPT", "REJECT"}}},
	}, {
		name: "outbound REJECT",
		recs: `eni-a 10.0.1.5:40001 -> 198.51.100.7:443 tcp REJECT t=100-160`,
		want: want{"10.0.1.5:40001", "198.51.100.7:443", BasisPort, Medium,
			[]wantView{{"eni-a", RoleClient, "REJECT", "-"}}},
	}, {
		name: "outbound ACCEPT, inbound reply REJECT",
		// Reply listed first: arrival order must not matter.
		recs: `eni-a 198.51.100.7:443 -> 10.0.1.5:40001 tcp REJECT t=100-160
		       eni-a 10.0.1.5:40001 -> 198.51.100.7:443 tcp ACCEPT t=100-160`,
		want: want{"10.0.1.5:40001", "198.51.100.7:443", BasisFlowDirection, Medium,
			[]wantView{{"eni-a", RoleClient, "ACCEPT", "REJECT"}}},
	}, {
		name: "outbound ACCEPT, inbound reply REJECT, high ports both sides",
		// Ports alone would say 8080 serves either way; the actions agree.
		recs: `eni-a 10.0.1.5:8080 -> 198.51.100.7:50000 udp ACCEPT t=100-160
		       eni-a 198.51.100.7:50000 -> 10.0.1.5:8080 udp REJECT t=100-160`,
		want: want{"10.0.1.5:8080", "198.51.100.7:50000", BasisFlowDirection, Medium,
			[]wantView{{"eni-a", RoleClient, "ACCEPT", "REJECT"}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, _ := run(t, Options{}, recs(t, "flows.log", tt.recs))
			check(t, one(t, cs), tt.want)
		})
	}
}

// The same four cases between two monitored ENIs of one VPC: client eni-c
// (10.0.1.5) and server eni-s (10.0.2.9), version 5 records with
// flow-direction.
func TestClassicCasesTwoENIs(t *testing.T) {
	const (
		reqOut = "eni-c 10.0.1.5:51234 -> 10.0.2.9:443 tcp %s t=100-160 dir=egress\n"
		reqIn  = "eni-s 10.0.1.5:51234 -> 10.0.2.9:443 tcp %s t=101-161 dir=ingress\n"
		repOut = "eni-s 10.0.2.9:443 -> 10.0.1.5:51234 tcp %s t=101-161 dir=egress\n"
		repIn  = "eni-c 10.0.2.9:443 -> 10.0.1.5:51234 tcp %s t=100-160 dir=ingress\n"
	)
	tests := []struct {
		name  string
		recs  string
		basis Basis
		c, s  wantView
	}{{
		name:  "server rejects request inbound",
		recs:  fmt.Sprintf(reqOut+reqIn, "ACCEPT", "REJECT"),
		basis: BasisPort,
		c:     wantView{"eni-c", RoleClient, "ACCEPT", "-"},
		s:     wantView{"eni-s", RoleServer, "REJECT", "-"},
	}, {
		name:  "server accepts, its reply is rejected outbound",
		recs:  fmt.Sprintf(reqOut+reqIn+repOut, "ACCEPT", "ACCEPT", "REJECT"),
		basis: BasisFlowDirection,
		c:     wantView{"eni-c", RoleClient, "ACCEPT", "-"},
		s:     wantView{"eni-s", RoleServer, "ACCEPT", "REJECT"},
	}, {
		name:  "client rejects request outbound",
		recs:  fmt.Sprintf(reqOut, "REJECT") + "eni-s 10.0.2.9:22 -> 10.0.7.7:33000 tcp ACCEPT t=100-160 dir=egress\n",
		basis: BasisPort,
		c:     wantView{"eni-c", RoleClient, "REJECT", "-"},
	}, {
		name:  "client's ENI rejects the reply inbound",
		recs:  fmt.Sprintf(reqOut+reqIn+repOut+repIn, "ACCEPT", "ACCEPT", "ACCEPT", "REJECT"),
		basis: BasisFlowDirection,
		c:     wantView{"eni-c", RoleClient, "ACCEPT", "REJECT"},
		s:     wantView{"eni-s", RoleServer, "ACCEPT", "ACCEPT"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, _ := run(t, Options{}, recs(t, "flows.log", tt.recs))
			var c *Conversation
			for _, x := range cs {
				if x.Server.Port() == 443 {
					c = x
				}
			}
			if c == nil {
				t.Fatalf("no conversation to :443 in %v", cs)
			}
			w := want{"10.0.1.5:51234", "10.0.2.9:443", tt.basis, Medium, []wantView{tt.c}}
			if tt.s.eni != "" {
				w.views = append(w.views, tt.s)
			}
			check(t, c, w)
			cv, ok := c.ClientView()
			if !ok || cv.ENI != "eni-c" {
				t.Errorf("ClientView() = %v, %v; want eni-c", cv, ok)
			}
			sv, ok := c.ServerView()
			if (tt.s.eni != "") != ok || (ok && sv.ENI != "eni-s") {
				t.Errorf("ServerView() = %v, %v; want %q", sv, ok, tt.s.eni)
			}
			if cv.Request.Direction != flowlog.DirEgress {
				t.Errorf("client request direction = %s; want egress", cv.Request.Direction)
			}
		})
	}
}

// AWS documentation, flow log record examples, "security group and network
// ACL rules": ping from 203.0.113.12 to 172.31.16.139, request ACCEPT, reply
// REJECT (the NACL denies outbound ICMP).
func TestAWSPingExample(t *testing.T) {
	rs := recs(t, "aws-docs.log", `
eni-1235b8ca123456789 203.0.113.12 -> 172.31.16.139 icmp ACCEPT t=1432917027-1432917142 pk=4 by=336 acct=123456789010
eni-1235b8ca123456789 172.31.16.139 -> 203.0.113.12 icmp REJECT t=1432917094-1432917142 pk=4 by=336 acct=123456789010
`)
	c := one(t, mustRun(t, rs))
	check(t, c, want{"203.0.113.12:0", "172.31.16.139:0", BasisFlowDirection, Medium,
		[]wantView{{"eni-1235b8ca123456789", RoleServer, "ACCEPT", "REJECT"}}})
	v := c.Views[0]
	if v.Account != "123456789010" || v.Request.Packets() != 4 || v.Reply.Bytes() != 336 {
		t.Errorf("view = %+v; want account 123456789010, 4 packets, 336 bytes", v)
	}
	if c.First != 1432917027 || c.Last != 1432917142 {
		t.Errorf("time = %d-%d; want 1432917027-1432917142", c.First, c.Last)
	}
	if got := v.Reply.Evidence; len(got) != 1 || got[0] != (flowlog.Pos{Source: "aws-docs.log", Line: 3}) {
		t.Errorf("reply evidence = %v; want aws-docs.log:3", got)
	}

	// The SG-denies variant: a single inbound REJECT, no reply.
	c = one(t, mustRun(t, rs[:1:1]))
	if c.Client.Addr().String() != "203.0.113.12" || c.Basis != BasisFirstSeen || c.Confidence != Low {
		t.Errorf("single ICMP record: %s", c)
	}
}

func mustRun(t *testing.T, rs []*flowlog.Record) []*Conversation {
	t.Helper()
	cs, _ := run(t, Options{}, rs)
	return cs
}

// AWS documentation "TCP flag sequence": two connections from
// 52.213.180.42 to 10.0.0.62:5001, the second closing in the next window,
// and a short connection (flags 3 and 19) a day later.
func TestAWSTCPFlagsExample(t *testing.T) {
	const f = "eni-1235b8ca123456789 %s -> %s tcp ACCEPT t=%s flags=%d pkt=%s subnet=subnet-aaaaaaaa012345678 vpc=vpc-abcdefab012345678"
	line := func(src, dst, tm string, flags int) string {
		s, _, _ := strings.Cut(src, ":")
		d, _, _ := strings.Cut(dst, ":")
		return fmt.Sprintf(f, src, dst, tm, flags, s+"->"+d) + "\n"
	}
	text := line("52.213.180.42:43416", "10.0.0.62:5001", "1566848875-1566848933", 2) +
		line("10.0.0.62:5001", "52.213.180.42:43416", "1566848875-1566848933", 18) +
		line("52.213.180.42:43418", "10.0.0.62:5001", "1566848875-1566848933", 2) +
		line("10.0.0.62:5001", "52.213.180.42:43418", "1566848875-1566848933", 18) +
		line("10.0.0.62:5001", "52.213.180.42:43418", "1566848933-1566849113", 1) +
		line("52.213.180.42:43418", "10.0.0.62:5001", "1566848933-1566849113", 1) +
		line("52.213.180.42:43638", "10.0.0.62:5001", "1566933133-1566933193", 3) +
		line("10.0.0.62:5001", "52.213.180.42:43638", "1566933133-1566933193", 19)
	cs := mustRun(t, recs(t, "tcp-flags.log", text))
	if len(cs) != 3 {
		t.Fatalf("got %d conversations; want 3", len(cs))
	}
	for i, port := range []uint16{43416, 43418, 43638} {
		c := cs[i]
		check(t, c, want{fmt.Sprintf("52.213.180.42:%d", port), "10.0.0.62:5001", BasisTCPFlags, High,
			[]wantView{{"eni-1235b8ca123456789", RoleServer, "ACCEPT", "ACCEPT"}}})
		if c.Views[0].Subnet != "subnet-aaaaaaaa012345678" || c.Views[0].VPC != "vpc-abcdefab012345678" {
			t.Errorf("view subnet/vpc = %q/%q", c.Views[0].Subnet, c.Views[0].VPC)
		}
	}
	long := cs[1]
	if long.First != 1566848875 || long.Last != 1566849113 || long.Views[0].Request.Records() != 2 {
		t.Errorf("43418 spans two windows: %s", long)
	}
	if got := long.Views[0].Request.Flags(); got != 3 {
		t.Errorf("43418 request flags = %d; want 3 (SYN|FIN)", got)
	}
}

// AWS documentation, NAT gateway: the format has no ports, protocol or
// action. The instance's ENI and the NAT gateway's ENI records of the
// instance -> internet leg join on pkt-srcaddr/pkt-dstaddr.
func TestAWSNATGatewayExample(t *testing.T) {
	rs := recs(t, "nat.log", `
eni-1235b8ca123456789 10.0.1.5 -> 10.0.0.220 - pkt=10.0.1.5->203.0.113.5
eni-1235b8ca123456789 10.0.0.220 -> 203.0.113.5 - pkt=10.0.0.220->203.0.113.5
eni-1235b8ca123456789 203.0.113.5 -> 10.0.0.220 - pkt=203.0.113.5->10.0.0.220
eni-1235b8ca123456789 10.0.0.220 -> 10.0.1.5 - pkt=203.0.113.5->10.0.1.5
eni-1111aaaa2222bbbb3 10.0.1.5 -> 203.0.113.5 - pkt=10.0.1.5->203.0.113.5
eni-1111aaaa2222bbbb3 203.0.113.5 -> 10.0.1.5 - pkt=203.0.113.5->10.0.1.5
`)
	cs := mustRun(t, rs)
	if len(cs) != 2 {
		t.Fatalf("got %d conversations; want 2", len(cs))
	}
	byClient := map[string]*Conversation{}
	for _, c := range cs {
		byClient[c.Client.Addr().String()] = c
	}
	inst := byClient["10.0.1.5"]
	if inst == nil {
		t.Fatalf("no conversation from 10.0.1.5: %v", cs)
	}
	check(t, inst, want{"10.0.1.5:0", "203.0.113.5:0", BasisFirstSeen, Low, []wantView{
		{"eni-1111aaaa2222bbbb3", RoleClient, "NOACTION", "NOACTION"},
		{"eni-1235b8ca123456789", RoleTransit, "NOACTION", "NOACTION"},
	}})
	if tv, ok := inst.TransitView(); !ok || tv.ENI != "eni-1235b8ca123456789" {
		t.Errorf("TransitView() = %v, %v", tv, ok)
	}
	nat := byClient["10.0.0.220"]
	if nat == nil {
		t.Fatalf("no conversation from the NAT address: %v", cs)
	}
	check(t, nat, want{"10.0.0.220:0", "203.0.113.5:0", BasisFirstSeen, Low, []wantView{
		{"eni-1235b8ca123456789", RoleClient, "NOACTION", "NOACTION"},
	}})
}

// AWS documentation, transit gateway: the web server's ENI and two TGW
// attachment ENIs log one connection; all four records are one
// conversation. The web server's own address cannot be told from these
// records alone (both ends private, no flow-direction), so its role is
// unknown; the attachment ENIs are transit.
func TestAWSTransitGatewayExample(t *testing.T) {
	rs := recs(t, "tgw.log", `
eni-33333333333333333 10.20.33.164:39812 -> 10.40.2.236:80 tcp ACCEPT flags=3 pkt=10.20.33.164->10.40.2.236
eni-33333333333333333 10.40.2.236:80 -> 10.20.33.164:39812 tcp ACCEPT flags=19 pkt=10.40.2.236->10.20.33.164
eni-11111111111111111 10.40.1.175:39812 -> 10.40.2.236:80 tcp ACCEPT flags=3 pkt=10.20.33.164->10.40.2.236
eni-22222222222222222 10.40.2.236:80 -> 10.40.2.31:39812 tcp ACCEPT flags=19 pkt=10.40.2.236->10.20.33.164
`)
	c := one(t, mustRun(t, rs))
	check(t, c, want{"10.20.33.164:39812", "10.40.2.236:80", BasisTCPFlags, High, []wantView{
		{"eni-11111111111111111", RoleTransit, "ACCEPT", "-"},
		{"eni-22222222222222222", RoleTransit, "-", "ACCEPT"},
		{"eni-33333333333333333", RoleUnknown, "ACCEPT", "ACCEPT"},
	}})

	// Once the web server's ENI has logged a second peer, its address is
	// known and its role follows.
	more := recs(t, "tgw.log", `eni-33333333333333333 10.40.2.236:80 -> 10.40.9.9:40000 tcp ACCEPT flags=18`)
	c = mustRun(t, append(more, rs...))[1]
	if v, _ := c.View("eni-33333333333333333"); v == nil || v.Role != RoleServer {
		t.Errorf("after learning its address, eni-333 = %+v; want server\n%s", v, c)
	}
}

// A SYN record that arrives after data records of the same connection
// revises the decision: the ports alone would make 1000 the server.
func TestSYNArrivingLateRevisesDecision(t *testing.T) {
	rs := recs(t, "f.log", `
eni-a 10.0.0.1:50000 -> 10.0.0.2:1000 tcp ACCEPT t=700-760 flags=0
eni-a 10.0.0.2:1000 -> 10.0.0.1:50000 tcp ACCEPT t=700-760 flags=0
eni-a 10.0.0.2:1000 -> 10.0.0.1:50000 tcp ACCEPT t=100-160 flags=2
`)
	c := one(t, mustRun(t, rs[:2]))
	if c.Server.Port() != 1000 || c.Basis != BasisPort {
		t.Fatalf("before the SYN: %s; want server :1000 by port", c)
	}
	c = one(t, mustRun(t, rs))
	if c.Client.String() != "10.0.0.2:1000" || c.Basis != BasisTCPFlags || c.Confidence != High {
		t.Errorf("after the SYN: %s; want client 10.0.0.2:1000 by tcp-flags", c)
	}
	if c.First != 100 || c.Last != 760 {
		t.Errorf("range %d-%d; want 100-760", c.First, c.Last)
	}
	// Evidence is in log-time order, not arrival order.
	if ev := c.Views[0].Request.Evidence; len(ev) != 2 || ev[0].Line != 4 || ev[1].Line != 3 {
		t.Errorf("request evidence = %v; want lines 4, 3", ev)
	}
}

// Conflicting flags (a bare SYN both ways: simultaneous open, or a reused
// tuple with roles swapped) do not decide; weaker evidence does, and says so.
func TestConflictingFlagsFallThrough(t *testing.T) {
	rs := recs(t, "f.log", `
eni-a 10.0.0.1:50000 -> 10.0.0.2:443 tcp ACCEPT t=100-160 flags=2
eni-a 10.0.0.2:443 -> 10.0.0.1:50000 tcp ACCEPT t=100-160 flags=2
`)
	c := one(t, mustRun(t, rs))
	if c.Basis != BasisPort || c.Server.Port() != 443 {
		t.Errorf("got %s; want server :443 by port", c)
	}
}

type fakeHints map[netip.AddrPort]bool // servers

func (h fakeHints) ServerHint(_ flowlog.Proto, a, b netip.AddrPort) (int, bool) {
	switch {
	case h[a] && !h[b]:
		return 0, true
	case h[b] && !h[a]:
		return 1, true
	}
	return 0, false
}

func TestHintsDecideBeforePorts(t *testing.T) {
	rs := recs(t, "f.log", `eni-a 10.0.0.1:80 -> 10.0.0.2:50000 tcp ACCEPT t=100-160`)
	hints := fakeHints{netip.MustParseAddrPort("10.0.0.2:50000"): true}
	cs, _ := run(t, Options{Hints: hints}, rs)
	c := one(t, cs)
	if c.Server.String() != "10.0.0.2:50000" || c.Basis != BasisTopology || c.Confidence != Medium {
		t.Errorf("got %s; want server 10.0.0.2:50000 by topology", c)
	}
	cs, _ = run(t, Options{Hints: fakeHints{}}, rs)
	if c := one(t, cs); c.Basis != BasisPort || c.Server.Port() != 80 {
		t.Errorf("undecided hints: got %s; want port", c)
	}
}

func TestPortHeuristics(t *testing.T) {
	tests := []struct {
		src, dst string
		server   string
		conf     Confidence
		basis    Basis
	}{
		{"10.0.0.1:51000", "10.0.0.2:443", "10.0.0.2:443", Medium, BasisPort},
		{"10.0.0.2:443", "10.0.0.1:51000", "10.0.0.2:443", Medium, BasisPort},
		// 8080 is a common server port (medium); otherwise the lower port
		// tier serves (low): a lone packet between two high ports is
		// ambiguous (a NodePort reply, or a scanner's fixed source port).
		{"10.0.0.1:40000", "10.0.0.2:8080", "10.0.0.2:8080", Medium, BasisPort},
		{"10.0.0.1:50000", "10.0.0.2:40000", "10.0.0.2:40000", Low, BasisPort},
		{"10.0.1.11:30080", "10.0.0.10:45000", "10.0.1.11:30080", Low, BasisPort},
		{"10.0.0.10:50051", "10.0.1.11:30080", "10.0.1.11:30080", Low, BasisPort},
		{"10.0.2.20:5432", "10.0.1.11:61500", "10.0.2.20:5432", Medium, BasisPort},
		{"10.0.0.1:1023", "10.0.0.2:514", "10.0.0.2:514", Low, BasisPort},
		// Same tier: the sender of the earliest record is the client.
		{"10.0.0.9:50001", "10.0.0.2:50000", "10.0.0.2:50000", Low, BasisFirstSeen},
		{"[2001:db8::1]:50001", "[2001:db8::2]:22", "[2001:db8::2]:22", Medium, BasisPort},
	}
	for _, tt := range tests {
		rs := recs(t, "f.log", fmt.Sprintf("eni-a %s -> %s udp ACCEPT t=100-160", tt.src, tt.dst))
		c := one(t, mustRun(t, rs))
		if c.Server.String() != tt.server || c.Confidence != tt.conf || c.Basis != tt.basis {
			t.Errorf("%s -> %s: server %s by %s/%s; want %s by %s/%s", tt.src, tt.dst, c.Server, c.Basis, c.Confidence, tt.server, tt.basis, tt.conf)
		}
	}
}

// A conversation over 20 ten-minute windows, logged on two ENIs, is one
// conversation; evidence keeps the earliest 8 records per leg.
func TestLongConversation(t *testing.T) {
	var b strings.Builder
	for w := range 20 {
		s := int64(1_700_000_000 + 600*w)
		fmt.Fprintf(&b, "eni-c 10.0.1.5:51234 -> 10.0.2.9:5432 tcp ACCEPT t=%d-%d dir=egress\n", s+5, s+590)
		fmt.Fprintf(&b, "eni-s 10.0.1.5:51234 -> 10.0.2.9:5432 tcp ACCEPT t=%d-%d dir=ingress\n", s+7, s+592)
		fmt.Fprintf(&b, "eni-s 10.0.2.9:5432 -> 10.0.1.5:51234 tcp ACCEPT t=%d-%d dir=egress\n", s+7, s+592)
		fmt.Fprintf(&b, "eni-c 10.0.2.9:5432 -> 10.0.1.5:51234 tcp ACCEPT t=%d-%d dir=ingress\n", s+5, s+590)
	}
	var open []int
	var out []*Conversation
	c := New(Options{}, func(cv *Conversation) { out = append(out, cv) })
	for _, r := range recs(t, "long.log", b.String()) {
		c.Add(r)
		open = append(open, c.Open())
	}
	if len(out) != 0 || slices.Max(open) != 1 {
		t.Fatalf("emitted %d before the end, max open %d; want 0 and 1", len(out), slices.Max(open))
	}
	c.Flush()
	conv := one(t, out)
	if conv.First != 1_700_000_005 || conv.Last != 1_700_000_000+600*19+592 {
		t.Errorf("range %d-%d", conv.First, conv.Last)
	}
	for _, v := range conv.Views {
		for _, l := range []*Leg{&v.Request, &v.Reply} {
			if l.Records() != 20 || len(l.Evidence) != 8 || l.MoreEvidence != 12 {
				t.Errorf("%s leg: %d records, %d evidence, %d more; want 20, 8, 12", v.ENI, l.Records(), len(l.Evidence), l.MoreEvidence)
			}
			if l.Accept.First >= l.Accept.Last || l.Packets() != 20 {
				t.Errorf("%s leg tally %+v", v.ENI, l.Accept)
			}
		}
	}
	if v, ok := conv.ServerView(); !ok || v.ENI != "eni-s" || v.Request.Evidence[0].Line != 2 {
		t.Errorf("server view %+v", v)
	}
}

// The same 5-tuple an hour later is a new conversation, whether or not the
// first one was still open.
func TestReusedTuple(t *testing.T) {
	rs := recs(t, "f.log", `
eni-a 10.0.0.1:40000 -> 10.0.0.2:53 udp ACCEPT t=1000-1010
eni-a 10.0.0.2:53 -> 10.0.0.1:40000 udp ACCEPT t=1000-1010
eni-a 10.0.0.1:40000 -> 10.0.0.2:53 udp ACCEPT t=4600-4610
eni-a 10.0.0.2:53 -> 10.0.0.1:40000 udp ACCEPT t=4600-4610
# back within IdleSplit of the second: joins it
eni-a 10.0.0.1:40000 -> 10.0.0.2:53 udp ACCEPT t=5400-5410
`)
	for _, opts := range []Options{{}, {Horizon: 86400}} {
		cs, c := run(t, opts, rs)
		if len(cs) != 2 {
			t.Fatalf("Horizon %d: %d conversations; want 2", opts.Horizon, len(cs))
		}
		if cs[0].First != 1000 || cs[0].Last != 1010 || cs[1].First != 4600 || cs[1].Last != 5410 {
			t.Errorf("Horizon %d: ranges %d-%d, %d-%d", opts.Horizon, cs[0].First, cs[0].Last, cs[1].First, cs[1].Last)
		}
		// The first was still open (not yet past the horizon) when the
		// second began.
		if st := c.Stats(); st.Splits != 1 || st.LateRecords != 0 || cs[1].Continued {
			t.Errorf("Horizon %d: stats %+v", opts.Horizon, c.Stats())
		}
	}
}

// Two files read one after the other: file A (eni-c) then file B (eni-s),
// covering the same time. Within the horizon the views join; past it, B's
// records arrive late and start continued conversations.
func TestOutOfOrderAcrossFiles(t *testing.T) {
	var a, b strings.Builder
	for w := range 6 {
		s := 10_000 + 60*w
		fmt.Fprintf(&a, "eni-c 10.0.1.5:51234 -> 10.0.2.9:443 tcp ACCEPT t=%d-%d dir=egress\n", s, s+59)
		fmt.Fprintf(&b, "eni-s 10.0.1.5:51234 -> 10.0.2.9:443 tcp ACCEPT t=%d-%d dir=ingress\n", s+1, s+59)
	}
	ra, rb := recs(t, "a.log", a.String()), recs(t, "b.log", b.String())
	cs, c := run(t, Options{}, ra, rb)
	conv := one(t, cs)
	if len(conv.Views) != 2 || c.Stats().LateRecords != 0 {
		t.Errorf("within horizon: %s\nstats %+v", conv, c.Stats())
	}
	if v, _ := conv.View("eni-s"); v == nil || len(v.Request.Evidence) != 6 || v.Request.Evidence[0].Source != "b.log" {
		t.Errorf("eni-s view = %+v", v)
	}

	// A much longer file A pushes the newest log time an hour ahead.
	more := recs(t, "a.log", "eni-c 10.0.1.7:40000 -> 10.0.2.9:443 tcp ACCEPT t=13600-13660 dir=egress")
	cs, c = run(t, Options{}, ra, more, rb)
	if len(cs) != 3 {
		t.Fatalf("past horizon: %d conversations; want 3", len(cs))
	}
	// a.log's conversation went first, at the horizon; at the end, b.log's
	// (First 10001) before the new one (First 13600).
	st := c.Stats()
	late := cs[1]
	if st.LateRecords != 1 || !late.Continued || cs[0].Continued || len(late.Views) != 1 || late.Views[0].ENI != "eni-s" {
		t.Errorf("past horizon: stats %+v\n%s\n%s", st, cs[0], late)
	}
	if late.Views[0].Request.Records() != 6 {
		t.Errorf("all of b.log's late records join one continued conversation: %s", late)
	}
}

// A conversation seen only on the client's side, while the server's ENI is
// known (it logged other traffic) and has a SKIPDATA gap then: the gap is
// attached, so the diagnosis can say the server's evidence is incomplete.
// Gaps attach only where they overlap the conversation.
func TestSeenOnlyOnOneSideWithGaps(t *testing.T) {
	rs := recs(t, "f.log", `
eni-s 10.0.2.9:22 -> 10.0.3.3:40000 tcp ACCEPT t=100-160 dir=egress
eni-s SKIPDATA t=1000-1060
eni-s NODATA t=5000-5060
eni-c NODATA t=900-960
eni-x SKIPDATA t=1000-1060
eni-c 10.0.1.5:51234 -> 10.0.2.9:443 tcp ACCEPT t=1000-1060 dir=egress flags=2
`)
	cs, c := run(t, Options{}, rs)
	var conv *Conversation
	for _, x := range cs {
		if x.Server.Port() == 443 {
			conv = x
		}
	}
	if conv == nil {
		t.Fatalf("no :443 conversation in %v", cs)
	}
	if _, ok := conv.ServerView(); ok {
		t.Errorf("server view present: %s", conv)
	}
	if cv, ok := conv.ClientView(); !ok || !cv.Request.Seen || cv.Reply.Seen {
		t.Errorf("client view %+v", cv)
	}
	// eni-c's NODATA ends 40 s before the conversation: beside it, not
	// overlapping, so it says nothing about it (QA 9, E3). eni-s's gap is
	// attached as the server's (Of).
	var got []string
	for _, g := range conv.Gaps {
		got = append(got, fmt.Sprintf("%s %s %d %s:%d of=%v", g.ENI, g.Status, g.Start, g.Pos.Source, g.Pos.Line, g.Of))
	}
	want := []string{"eni-s SKIPDATA 1000 f.log:3 of=10.0.2.9"}
	if !slices.Equal(got, want) {
		t.Errorf("gaps = %q; want %q", got, want)
	}
	if st := c.Stats(); st.Gaps != 4 || st.Keyed != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestIgnoredRecords(t *testing.T) {
	rs := recs(t, "f.log", `
eni-a 10.0.0.1:1 -> 10.0.0.2:2 tcp ACCEPT t=1-2 kind=tgw
eni-a :: -> 10.0.0.2:2 tcp ACCEPT t=1-2
`)
	rs[1].SrcAddr = netip.Addr{}
	cs, c := run(t, Options{}, rs)
	if st := c.Stats(); len(cs) != 0 || st.TransitGateway != 1 || st.Unkeyed != 1 || st.Records != 2 {
		t.Errorf("got %d conversations, stats %+v", len(cs), st)
	}
}

func TestPartition(t *testing.T) {
	rs := recs(t, "f.log", `
eni-c 10.0.1.5:51234 -> 10.0.2.9:443 tcp ACCEPT t=100-160
eni-s 10.0.2.9:443 -> 10.0.1.5:51234 tcp ACCEPT t=100-160
eni-n 10.0.0.220:51234 -> 10.0.2.9:443 tcp ACCEPT t=100-160 pkt=10.0.1.5->10.0.2.9
eni-s NODATA t=100-160
`)
	for _, n := range []int{2, 3, 7, 64} {
		p := Partition(rs[0], n)
		if p < 0 || p >= n || Partition(rs[1], n) != p || Partition(rs[2], n) != p {
			t.Errorf("n=%d: partitions %d %d %d; want equal in [0,%d)", n, p, Partition(rs[1], n), Partition(rs[2], n), n)
		}
		if got := Partition(rs[3], n); got != AllPartitions {
			t.Errorf("n=%d: gap partition %d; want AllPartitions", n, got)
		}
	}
	if Partition(rs[3], 1) != 0 {
		t.Errorf("n=1: gap not in partition 0")
	}
	// Many tuples spread over all partitions.
	seen := map[int]int{}
	for i := range 1000 {
		r := *rs[0]
		r.SrcPort = uint16(30000 + i)
		seen[Partition(&r, 8)]++
	}
	for p := range 8 {
		if seen[p] < 60 {
			t.Errorf("partition %d got %d of 1000 tuples", p, seen[p])
		}
	}
}

// Emission order and content depend only on the input.
func TestDeterministic(t *testing.T) {
	rs := genRecords(20000, 1)
	render := func() string {
		var b strings.Builder
		c := New(Options{}, func(cv *Conversation) { b.WriteString(cv.String() + "\n") })
		for i := range rs {
			c.Add(&rs[i])
		}
		c.Flush()
		return b.String()
	}
	a, b := render(), render()
	if a != b {
		t.Fatal("two runs over the same input differ")
	}
	if strings.Count(a, "\n") < 1000 {
		t.Fatalf("only %d lines of output", strings.Count(a, "\n"))
	}
}

// The ENIs attached to a conversation's ends are cached per address; an
// ENI that learns its own address after a conversation with that address
// was emitted gets its gaps attached to the later conversations.
func TestGapsAfterAddressLearned(t *testing.T) {
	rs := recs(t, "f.log", `
eni-b 10.0.1.5:40000 -> 10.0.2.9:443 tcp ACCEPT t=1000-1060 dir=ingress
eni-z 10.0.9.9:5000 -> 10.0.9.8:53 udp ACCEPT t=2500-2560 dir=egress
eni-a 10.0.1.5:40001 -> 10.0.3.3:443 tcp ACCEPT t=3000-3060 dir=egress
eni-a NODATA t=3000-3060
eni-b 10.0.1.5:40002 -> 10.0.2.9:443 tcp ACCEPT t=3010-3060 dir=ingress
`)
	cs, _ := run(t, Options{}, rs)
	gaps := map[uint16]int{}
	for _, x := range cs {
		if x.Server.Port() == 443 {
			gaps[x.Client.Port()] = len(x.Gaps)
		}
	}
	want := map[uint16]int{40000: 0, 40001: 1, 40002: 1}
	if !maps.Equal(gaps, want) {
		t.Errorf("gaps per client port = %v; want %v", gaps, want)
	}
}

// eniHandle answers from a cache keyed by the id string's address; equal
// ids held in different strings share a handle, different ids never do.
func TestENIHandleCache(t *testing.T) {
	c := New(Options{}, nil)
	ids := make([]string, 9000)
	for i := range ids {
		ids[i] = fmt.Sprintf("eni-%017x", i)
	}
	want := make([]uint32, len(ids))
	for i, id := range ids {
		want[i] = c.eniHandle(id)
	}
	for round := range 3 {
		for i, id := range ids {
			if round == 1 {
				id = strings.Clone(id) // same id, another string
			}
			if h := c.eniHandle(id); h != want[i] {
				t.Fatalf("round %d: %s: handle %d, want %d", round, id, h, want[i])
			}
			if got := c.eniList[want[i]].id; got != ids[i] {
				t.Fatalf("handle %d is %s, want %s", want[i], got, ids[i])
			}
		}
	}
	if len(c.eniList) != len(ids) {
		t.Fatalf("%d ENIs for %d ids", len(c.eniList), len(ids))
	}
}

// Conversations completed together are emitted by first record, then key
// (compareKeys), then last record, whatever order their records came in:
// here many share a start second and an address, across families and
// protocols.
func TestEmissionOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	addrs := []string{"10.0.0.1", "10.0.0.2", "10.0.1.1", "2001:db8::1", "2001:db8::1:0:0:1", "192.168.0.9"}
	var text strings.Builder
	for range 3000 {
		a, b := addrs[rng.IntN(len(addrs))], addrs[rng.IntN(len(addrs))]
		if strings.Contains(a, ":") != strings.Contains(b, ":") || a == b {
			continue
		}
		proto := []string{"tcp", "udp"}[rng.IntN(2)]
		start := 1700000000 + rng.IntN(3)
		fmt.Fprintf(&text, "eni-%d %s -> %s %s ACCEPT t=%d-%d\n", rng.IntN(3),
			netip.AddrPortFrom(netip.MustParseAddr(a), uint16(1000+rng.IntN(50))),
			netip.AddrPortFrom(netip.MustParseAddr(b), uint16(1+rng.IntN(3))), proto, start, start+rng.IntN(5))
	}
	cs, _ := run(t, Options{}, recs(t, "f.log", text.String()))
	if len(cs) < 500 {
		t.Fatalf("only %d conversations", len(cs))
	}
	for i := 1; i < len(cs); i++ {
		a, b := cs[i-1], cs[i]
		ka, _, _ := keyFrom(a.Client.Addr(), a.Server.Addr(), a.Client.Port(), a.Server.Port(), a.Proto)
		kb, _, _ := keyFrom(b.Client.Addr(), b.Server.Addr(), b.Client.Port(), b.Server.Port(), b.Proto)
		x := cmp.Compare(a.First, b.First)
		if x == 0 {
			x = compareKeys(ka, kb)
		}
		if x == 0 {
			x = cmp.Compare(a.Last, b.Last)
		}
		if x > 0 {
			t.Fatalf("conversation %d (%s) emitted before %d (%s)", i-1, a, i, b)
		}
	}
}

type ownerOf map[string]string

func (o ownerOf) ServerHint(flowlog.Proto, netip.AddrPort, netip.AddrPort) (int, bool) {
	return 0, false
}
func (o ownerOf) OwnerENI(a netip.Addr) (string, bool) {
	id, ok := o[a.String()]
	return id, ok
}

// Records of a format without interface-id belong to the ENI the topology
// says owns one of their addresses (exactly one); otherwise to an unnamed
// ENI whose id is never empty in reports (QA 9, E5).
func TestUnnamedENI(t *testing.T) {
	rs := recs(t, "f.log", `
- 203.0.113.9:51000 -> 10.50.0.5:22 tcp REJECT t=100-150
- 10.50.1.10:40000 -> 10.50.2.10:5432 tcp ACCEPT t=100-150
`)
	for _, r := range rs {
		r.InterfaceID = ""
		r.Present.Remove(flowlog.FieldInterfaceID)
	}
	cs, _ := run(t, Options{}, rs)
	for _, cv := range cs {
		if len(cv.Views) != 1 || cv.Views[0].ENI != UnnamedENI {
			t.Errorf("without topology: %s", cv)
		}
	}
	hints := ownerOf{"10.50.0.5": "eni-bastion", "10.50.1.10": "eni-app1", "10.50.2.10": "eni-db1"}
	cs, _ = run(t, Options{Hints: hints}, rs)
	got := map[uint16]string{}
	for _, cv := range cs {
		got[cv.Server.Port()] = cv.Views[0].ENI
	}
	if got[22] != "eni-bastion" || got[5432] != UnnamedENI {
		t.Errorf("with topology: %v", got)
	}
}
