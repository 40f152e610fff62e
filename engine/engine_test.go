package engine

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/flowdiag/flowdiag/correlate"
	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/rules"
	"github.com/flowdiag/flowdiag/topology"
)

// testTopology: two subnets with their own NACLs. acl-b (the server side)
// lets 443 in but replies out only to 32768-61000 of 10.0.1.0/25, so clients
// in the upper half of subnet a get no reply; sg-b admits 443 from sg-a only;
// ICMP echo is admitted by sg-b, and acl-b lets echo in but no echo reply out,
// as in AWS's documentation example.
const testTopology = `
vpcs:
  - {id: vpc-1, cidrs: [10.0.0.0/16]}
subnets:
  - {id: subnet-a, vpc: vpc-1, cidrs: [10.0.1.0/24], nacl: acl-a}
  - {id: subnet-b, vpc: vpc-1, cidrs: [10.0.2.0/24], nacl: acl-b}
security_groups:
  - id: sg-a
    vpc: vpc-1
    ingress: []
    egress:
      - {proto: tcp, ports: 443, cidrs: [10.0.0.0/16]}
      - {proto: icmp, icmp_type: -1, icmp_code: -1, cidrs: [0.0.0.0/0]}
  - id: sg-c
    vpc: vpc-1
    egress:
      - {proto: all, cidrs: [0.0.0.0/0]}
  - id: sg-d
    vpc: vpc-1
    egress:
      - {proto: udp, ports: 53, cidrs: [0.0.0.0/0]}
  - id: sg-b
    vpc: vpc-1
    ingress:
      - {proto: tcp, ports: 443, groups: [sg-a]}
      - {proto: icmp, icmp_type: 8, icmp_code: -1, cidrs: [0.0.0.0/0]}
    egress:
      - {proto: all, cidrs: [0.0.0.0/0]}
network_acls:
  - id: acl-a
    vpc: vpc-1
    ingress:
      - {rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow}
    egress:
      - {rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow}
  - id: acl-b
    vpc: vpc-1
    ingress:
      - {rule: 100, proto: tcp, ports: 443, cidr: 10.0.0.0/16, action: allow}
      - {rule: 110, proto: icmp, icmp_type: -1, icmp_code: -1, cidr: 0.0.0.0/0, action: allow}
    egress:
      - {rule: 100, proto: tcp, ports: 32768-61000, cidr: 10.0.1.0/25, action: allow}
enis:
  - {id: eni-a1, subnet: subnet-a, addresses: [10.0.1.10], security_groups: [sg-a]}
  - {id: eni-a2, subnet: subnet-a, addresses: [10.0.1.200], security_groups: [sg-a]}
  - {id: eni-a3, subnet: subnet-a, addresses: [10.0.1.11], security_groups: [sg-c]}
  - {id: eni-a4, subnet: subnet-a, addresses: [10.0.1.12], security_groups: [sg-d]}
  - {id: eni-b1, subnet: subnet-b, addresses: [10.0.2.20], public: [203.0.113.20], security_groups: [sg-b]}
`

const v5Header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status subnet-id tcp-flags flow-direction"

func diagnoseLog(t *testing.T, log string, withTopology bool) []Diagnosis {
	t.Helper()
	set, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	var topo *topology.Topology
	if withTopology {
		if topo, err = topology.ParseYAML("test.yaml", []byte(testTopology)); err != nil {
			t.Fatal(err)
		}
	}
	eng, err := New(set, topo)
	if err != nil {
		t.Fatal(err)
	}
	r := flowlog.NewReader(strings.NewReader(strings.TrimSpace(log)+"\n"), "t.log", flowlog.ReaderOptions{Strict: true})
	var out []Diagnosis
	_, err = eng.Run(r, RunOptions{Correlate: correlate.Options{Hints: Hints(topo)}}, func(d *Diagnosis) error {
		out = append(out, *d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type verdict struct {
	rule, verdict, component string
	naclRule                 int
	direction, leg, eni      string
}

func (d *Diagnosis) short() verdict {
	return verdict{d.Rule, string(d.Verdict), d.Component, d.NACLRule, d.Direction, d.Leg, d.ENI}
}

// TestClassicCases runs the four classic SG-versus-NACL situations (and the
// AWS documentation's ping example) through correlation and the built-in
// rules, from the logs alone and with the topology.
func TestClassicCases(t *testing.T) {
	tests := []struct {
		name     string
		log      string
		logsOnly verdict
		withTopo verdict
	}{{
		// Inbound request rejected on the server's ENI: SG or NACL from the logs; the
		// topology says sg-b admits 443 only from sg-a (eni-a3 is in sg-c).
		name: "inbound request REJECT",
		log: v5Header + `
5 1 eni-b1 10.0.1.11 10.0.2.20 40000 443 6 2 120 1000 1050 REJECT OK subnet-b 2 ingress`,
		logsOnly: verdict{"request-rejected-inbound", "nacl-or-sg", "", 0, "ingress", "request", "eni-b1"},
		withTopo: verdict{"sg-denies-request-entering-server", "sg", "sg-b", 0, "ingress", "request", "eni-b1"},
	}, {
		// Inbound request accepted, reply rejected leaving the server: a NACL, provably;
		// the topology names acl-b's default deny (10.0.1.200 is outside 10.0.1.0/25).
		name: "inbound ACCEPT, outbound reply REJECT",
		log: v5Header + `
5 1 eni-b1 10.0.1.200 10.0.2.20 40000 443 6 2 120 1000 1050 ACCEPT OK subnet-b 2 ingress
5 1 eni-b1 10.0.2.20 10.0.1.200 443 40000 6 2 120 1000 1050 REJECT OK subnet-b 18 egress`,
		logsOnly: verdict{"reply-rejected-leaving-server", "nacl", "", 0, "egress", "reply", "eni-b1"},
		withTopo: verdict{"nacl-denies-reply-leaving-server", "nacl", "acl-b", 32767, "egress", "reply", "eni-b1"},
	}, {
		// Outbound request rejected on the client's ENI: SG or NACL; sg-d lets only
		// DNS out.
		name: "outbound request REJECT",
		log: v5Header + `
5 1 eni-a4 10.0.1.12 10.0.2.20 40000 443 6 2 120 1000 1050 REJECT OK subnet-a 2 egress`,
		logsOnly: verdict{"request-rejected-outbound", "nacl-or-sg", "", 0, "egress", "request", "eni-a4"},
		withTopo: verdict{"sg-denies-request-leaving-client", "sg", "sg-d", 0, "egress", "request", "eni-a4"},
	}, {
		// Outbound request accepted, inbound reply rejected on the client's ENI: a NACL.
		// The topology disagrees (acl-a allows everything): reported as stale.
		name: "outbound ACCEPT, inbound reply REJECT",
		log: v5Header + `
5 1 eni-a1 10.0.1.10 10.0.2.20 40000 443 6 2 120 1000 1050 ACCEPT OK subnet-a 2 egress
5 1 eni-a1 10.0.2.20 10.0.1.10 443 40000 6 2 120 1000 1050 REJECT OK subnet-a 18 ingress`,
		logsOnly: verdict{"reply-rejected-entering-client", "nacl", "", 0, "ingress", "reply", "eni-a1"},
		withTopo: verdict{"stale-topology-reply-rejected-where-allowed", "stale-topology", "", 0, "ingress", "reply", "eni-a1"},
	}, {
		// A flow log of REJECT traffic only: the accepted request is not in it,
		// the rejected SYN-ACK is. SGs let replies out, so a NACL dropped it.
		name: "REJECT-only log: lone reply REJECT",
		log: v5Header + `
5 1 eni-b1 10.0.2.20 10.0.1.200 443 40000 6 2 120 1000 1050 REJECT OK subnet-b 18 egress`,
		logsOnly: verdict{"reply-rejected-request-not-logged", "nacl", "", 0, "egress", "reply", "eni-b1"},
		withTopo: verdict{"nacl-denies-reply-leaving-server", "nacl", "acl-b", 32767, "egress", "reply", "eni-b1"},
	}, {
		// AWS documentation: ping from the internet, echo accepted, echo reply rejected
		// by the NACL outbound (default format, so the reply REJECT is the only clue).
		name: "AWS ping example",
		log: `2 123456789010 eni-b1 203.0.113.12 10.0.2.20 0 0 1 4 336 1432917027 1432917142 ACCEPT OK
2 123456789010 eni-b1 10.0.2.20 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK`,
		logsOnly: verdict{"reply-rejected-leaving-server", "nacl", "", 0, "egress", "reply", "eni-b1"},
		withTopo: verdict{"nacl-denies-reply-leaving-server", "nacl", "acl-b", 32767, "egress", "reply", "eni-b1"},
	}}
	for _, tc := range tests {
		for _, topo := range []bool{false, true} {
			want := tc.logsOnly
			name := tc.name + "/logs only"
			if topo {
				want, name = tc.withTopo, tc.name+"/topology"
			}
			t.Run(name, func(t *testing.T) {
				got := diagnoseLog(t, tc.log, topo)
				if len(got) != 1 {
					t.Fatalf("got %d diagnoses, want 1: %+v", len(got), got)
				}
				if g := got[0].short(); g != want {
					t.Errorf("diagnosis = %+v\nwant        %+v", g, want)
				}
				if len(got[0].Evidence) == 0 {
					t.Errorf("no evidence")
				}
			})
		}
	}
}

// TestBothENIs: the same conversations seen from both ENIs of an intra-VPC
// flow: the client's ENI accepted the request, the server's rejected it.
func TestBothENIs(t *testing.T) {
	log := v5Header + `
5 1 eni-a3 10.0.1.11 10.0.2.20 40000 443 6 2 120 1000 1050 ACCEPT OK subnet-a 2 egress
5 1 eni-b1 10.0.1.11 10.0.2.20 40000 443 6 2 120 1001 1051 REJECT OK subnet-b 2 ingress`
	got := diagnoseLog(t, log, false)
	if len(got) != 1 || got[0].Rule != "request-passed-client-rejected-server" || got[0].ENI != "eni-b1" {
		t.Fatalf("logs only: %+v", got)
	}
	got = diagnoseLog(t, log, true)
	if len(got) != 1 || got[0].short() != (verdict{"sg-denies-request-entering-server", "sg", "sg-b", 0, "ingress", "request", "eni-b1"}) {
		t.Fatalf("topology: %+v", got[0].short())
	}
	if got[0].Subnet != "subnet-b" || got[0].Flow.Client != "10.0.1.11" || got[0].Flow.ServerPort != 443 {
		t.Errorf("subnet/flow: %+v", got[0])
	}
}

func TestHealthyConversationIsNotDiagnosed(t *testing.T) {
	log := v5Header + `
5 1 eni-a1 10.0.1.10 10.0.2.20 40000 443 6 2 120 1000 1050 ACCEPT OK subnet-a 2 egress
5 1 eni-a1 10.0.2.20 10.0.1.10 443 40000 6 2 120 1000 1050 ACCEPT OK subnet-a 18 ingress
5 1 eni-b1 10.0.1.10 10.0.2.20 40000 443 6 2 120 1000 1050 ACCEPT OK subnet-b 2 ingress
5 1 eni-b1 10.0.2.20 10.0.1.10 443 40000 6 2 120 1000 1050 ACCEPT OK subnet-b 18 egress`
	for _, topo := range []bool{false, true} {
		if got := diagnoseLog(t, log, topo); len(got) != 0 {
			t.Errorf("topology=%v: healthy conversation diagnosed: %+v", topo, got)
		}
	}
}

// TestFacts checks the Env the engine states for a conversation: roles to
// sides, legs, unknown tcp-flags, gaps, and the topology's checks.
func TestFacts(t *testing.T) {
	topo, err := topology.ParseYAML("test.yaml", []byte(testTopology))
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort
	c := &correlate.Conversation{
		Proto: flowlog.ProtoTCP, Client: ap("10.0.1.200:40000"), Server: ap("10.0.2.20:443"),
		Basis: correlate.BasisTCPFlags, Confidence: correlate.High, First: 1000, Last: 1050,
		Views: []correlate.View{{
			ENI: "eni-b1", Subnet: "subnet-b", Role: correlate.RoleServer,
			Request: correlate.Leg{Seen: true, Accept: correlate.Tally{Records: 1, Packets: 2, Bytes: 120, First: 1000, Last: 1050}},
			Reply:   correlate.Leg{Seen: true, Reject: correlate.Tally{Records: 1, Packets: 2, Bytes: 120, First: 1000, Last: 1050, Flags: 18}},
		}},
		Gaps: []correlate.Gap{{ENI: "eni-a2", Status: flowlog.LogStatusSkipData, Start: 900, End: 1500}},
	}
	var env rules.Env
	mask := buildEnv(&env, c, nil)
	if mask != rules.OnReject|rules.OnAccept|rules.OnGap {
		t.Errorf("mask = %v", mask)
	}
	if env.Client.Seen || !env.Server.Seen || env.Server.ENI != "eni-b1" || env.Unknown.Seen {
		t.Errorf("sides: client %+v server %+v", env.Client, env.Server)
	}
	if !env.Server.Request.Accepted || env.Server.Request.Rejected || !env.Server.Reply.Rejected {
		t.Errorf("legs: %+v", env.Server)
	}
	if env.Server.Reply.Flags != -1 || env.Server.Reply.RejectFlags != -1 {
		t.Errorf("flags without a tcp-flags field must be -1: %+v", env.Server.Reply)
	}
	if env.Client.Request.Flags != -1 {
		t.Errorf("unseen leg flags = %d, want -1", env.Client.Request.Flags)
	}
	if !env.Gaps.Any || !env.Gaps.SkipData || env.Gaps.NoData || env.Gaps.ENIs != "eni-a2" {
		t.Errorf("gaps: %+v", env.Gaps)
	}
	if env.Path.ClientLocation != "unknown" || env.Path.ServerLocation != "vpc" || env.Path.Known {
		t.Errorf("path from logs: %+v", env.Path)
	}
	if env.Topo.Present {
		t.Errorf("topology facts without a topology")
	}

	c.Views[0].FlagsKnown = true
	buildEnv(&env, c, topo)
	if env.Server.Reply.Flags != 18 || env.Server.Reply.RejectFlags != 18 {
		t.Errorf("known flags: %+v", env.Server.Reply)
	}
	tp := env.Topo
	if !tp.Present || !tp.RequestAllowed || tp.ReplyAllowed {
		t.Fatalf("topology verdicts: %+v", tp)
	}
	want := rules.Check{Applies: true, Allowed: false, Kind: "nacl", Component: "acl-b", Direction: "egress", Leg: "reply",
		RuleNumber: 32767, FreeBelow: 32766, PlaceBelow: 32767, PlaceFreeBelow: 32766, Implicit: true, ENI: tp.ServerNACLEgress.ENI, Subnet: tp.ServerNACLEgress.Subnet, Where: "server",
		Rule: tp.ServerNACLEgress.Rule}
	if tp.ServerNACLEgress != want || tp.FirstBlock != want {
		t.Errorf("server NACL egress = %+v\nfirst block       = %+v\nwant              %+v", tp.ServerNACLEgress, tp.FirstBlock, want)
	}
	if !tp.ServerSGIngress.Applies || !tp.ServerSGIngress.Allowed || tp.ServerSGIngress.Component != "sg-b" {
		t.Errorf("server SG ingress: %+v", tp.ServerSGIngress)
	}
	if !env.Path.Known || env.Path.SameSubnet || env.Path.ClientLocation != "vpc" || env.Client.Subnet != "subnet-a" || env.Client.ENI != "eni-a2" {
		t.Errorf("path from topology: %+v client %+v", env.Path, env.Client)
	}
	if env.Client.Seen {
		t.Errorf("the topology must not make an unmonitored client look seen")
	}
}

// TestReportDeterministic: the same diagnoses in any order give the same
// groups, counts and examples; examples are capped, everything is counted.
func TestReportDeterministic(t *testing.T) {
	var ds []Diagnosis
	for i := range 500 {
		ds = append(ds, Diagnosis{
			Rule: "r1", Severity: rules.SeverityError, Verdict: "nacl", Component: "acl-1", NACLRule: 32767,
			Direction: "egress", Leg: "reply", ENI: []string{"eni-x", "eni-y"}[i%2],
			Flow:  Flow{Protocol: "tcp", Client: "10.0.1.1", ClientPort: uint16(30000 + i), Server: "10.0.2.2", ServerPort: 5432},
			First: int64(2000 - i), Last: int64(2100 - i), Packets: 2, Bytes: 100,
		})
		if i%10 == 0 {
			ds = append(ds, Diagnosis{Rule: "r2", Severity: rules.SeverityWarning, Verdict: "nacl-or-sg", ENI: "eni-z",
				Flow:  Flow{Protocol: "udp", Client: "10.0.9.9", ClientPort: uint16(i), Server: "10.0.2.2", ServerPort: 53},
				First: int64(i), Last: int64(i + 5)})
		}
		if i%50 == 0 {
			// Two groups alike but for the direction (QA 9, E7: they
			// swapped from run to run).
			for _, dir := range []string{"ingress", "egress"} {
				ds = append(ds, Diagnosis{Rule: "r3", Severity: rules.SeverityWarning, Verdict: "stale-topology", ENI: "eni-w",
					Direction: dir, Leg: "reply", Flow: Flow{Protocol: "tcp", Client: "10.0.9.8", ClientPort: uint16(i), Server: "10.0.2.2", ServerPort: 443},
					First: int64(i), Last: int64(i + 5)})
			}
		}
	}
	render := func(order []Diagnosis) string {
		r := NewReport([]GroupBy{ByPort}, 3)
		for _, d := range order {
			r.Add(d)
		}
		var b strings.Builder
		for _, g := range r.Groups() {
			b.WriteString(g.Rule + " " + g.Component + " " + g.Direction + " " + keyString(g.Keys))
			for _, e := range g.Examples {
				b.WriteString(" " + e.Flow.Client + ":" + string(rune('0'+e.First%10)))
			}
			b.WriteString(" " + strings.Join(g.ENIs, ",") + "\n")
		}
		return b.String()
	}
	want := render(ds)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		shuffled := append([]Diagnosis(nil), ds...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := render(shuffled); got != want {
			t.Fatalf("order-dependent report:\n%s\nwant\n%s", got, want)
		}
	}
	r := NewReport(nil, 3)
	for _, d := range ds {
		r.Add(d)
	}
	groups := r.Groups()
	if len(groups) != 4 || groups[0].Rule != "r1" || groups[0].Conversations != 500 || len(groups[0].Examples) != 3 {
		t.Fatalf("groups: %+v", groups)
	}
	if groups[2].Rule != "r3" || groups[2].Direction != "egress" || groups[3].Direction != "ingress" {
		t.Errorf("groups alike but for the direction: %+v, %+v", groups[2], groups[3])
	}
	if groups[0].Examples[0].First != 1501 || groups[0].Packets != 1000 {
		t.Errorf("earliest example first=%d packets=%d", groups[0].Examples[0].First, groups[0].Packets)
	}
	if groups[1].Rule != "r2" || groups[1].Conversations != 50 {
		t.Errorf("second group: %+v", groups[1])
	}
	if first, last, ok := r.Window(); !ok || first != 0 || last != 2100 {
		t.Errorf("window %d-%d %v", first, last, ok)
	}
}

// errSource fails after n records: Run returns the error and what was
// diagnosed so far has been delivered.
type errSource struct {
	r *flowlog.Reader
	n int
}

func (s *errSource) Read(rec *flowlog.Record) error {
	if s.n == 0 {
		return errors.New("disk on fire")
	}
	s.n--
	return s.r.Read(rec)
}

func TestRunPropagatesErrors(t *testing.T) {
	set, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	eng, _ := New(set, nil)
	log := "2 1 eni-b1 203.0.113.12 10.0.2.20 0 0 1 4 336 1000 1060 ACCEPT OK\n"
	src := &errSource{r: flowlog.NewReader(strings.NewReader(log), "t.log", flowlog.ReaderOptions{}), n: 1}
	_, err = eng.Run(src, RunOptions{}, func(*Diagnosis) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Run error = %v", err)
	}
	sinkErr := errors.New("stdout closed")
	log = "2 1 eni-b1 10.0.2.20 203.0.113.12 0 0 1 4 336 1000 1060 REJECT OK\n"
	_, err = eng.Run(flowlog.NewReader(strings.NewReader(log), "t.log", flowlog.ReaderOptions{}), RunOptions{},
		func(*Diagnosis) error { return sinkErr })
	if !errors.Is(err, sinkErr) {
		t.Fatalf("sink error = %v", err)
	}
	if _, err := New(nil, nil); err == nil {
		t.Error("New(nil) succeeded")
	}
	var _ io.Reader // keep io for readers above
}

// TestStaleTopology: a REJECT where the topology allows everything on that
// side is reported as a stale topology, not pinned on a rule elsewhere.
func TestStaleTopology(t *testing.T) {
	// eni-a4's sg-d denies 443 out, but the server rejected it: the client's
	// side cannot have stopped it, so the topology is stale there. The
	// server's sg-b denies it too, which is the rejection logged: that is
	// the verdict, and the staleness supports it.
	log := v5Header + `
5 1 eni-b1 10.0.1.12 10.0.2.20 40000 443 6 2 120 1001 1051 REJECT OK subnet-b 2 ingress`
	got := diagnoseLog(t, log, true)
	if len(got) != 1 || got[0].Verdict != "sg" || got[0].Component != "sg-b" || !slices.Contains(got[0].Supporting, "stale-topology-denies") {
		t.Fatalf("server rejected what the topology blocks at the client: %+v", got)
	}
	// eni-a1's groups allow 443 out, yet eni-a1 rejected the request.
	log = v5Header + `
5 1 eni-a1 10.0.1.10 10.0.2.20 40000 443 6 2 120 1000 1050 REJECT OK subnet-a 2 egress`
	got = diagnoseLog(t, log, true)
	if len(got) != 1 || got[0].short() != (verdict{"stale-topology-rejected-where-allowed", "stale-topology", "", 0, "egress", "request", "eni-a1"}) {
		t.Fatalf("client rejected what its side allows: %+v", got)
	}
}

// TestPermissiveClientGroupDoesNotFlipDirection: the client's group allows
// everything from the VPC and the server's group lacks the rule. The
// topology must not take the client for the server (an "allow all" rule
// names no listener), or the rejected request would read as a reply.
func TestPermissiveClientGroupDoesNotFlipDirection(t *testing.T) {
	topo, err := topology.ParseYAML("t.yaml", []byte(`
vpcs: [{id: vpc-1, cidrs: [10.0.0.0/16]}]
subnets:
  - {id: subnet-app, vpc: vpc-1, cidrs: [10.0.1.0/24]}
  - {id: subnet-db, vpc: vpc-1, cidrs: [10.0.2.0/24]}
security_groups:
  - id: sg-app
    vpc: vpc-1
    ingress: [{proto: all, cidrs: [10.0.0.0/16]}]
    egress: [{proto: all, cidrs: [0.0.0.0/0]}]
  - id: sg-db
    vpc: vpc-1
    ingress: [{proto: tcp, ports: 6379, cidrs: [10.0.0.0/16]}]
    egress: [{proto: all, cidrs: [0.0.0.0/0]}]
enis:
  - {id: eni-app, subnet: subnet-app, addresses: [10.0.1.11], security_groups: [sg-app]}
  - {id: eni-db, subnet: subnet-db, addresses: [10.0.2.20], security_groups: [sg-db]}
`))
	if err != nil {
		t.Fatal(err)
	}
	set, _ := rules.LoadBuiltin()
	eng, _ := New(set, topo)
	for _, tc := range []struct{ name, log, rule, component, leg, client string }{
		{"tcp, default format", `2 1 eni-app 10.0.1.11 10.0.2.20 40000 5432 6 2 120 1000 1003 ACCEPT OK
2 1 eni-db 10.0.1.11 10.0.2.20 40000 5432 6 2 120 1000 1003 REJECT OK`,
			"sg-denies-request-entering-server", "sg-db", "request", "10.0.1.11"},
		{"icmp echo", `2 1 eni-app 10.0.1.11 10.0.2.20 0 0 1 4 336 1000 1030 ACCEPT OK
2 1 eni-db 10.0.1.11 10.0.2.20 0 0 1 4 336 1000 1030 REJECT OK`,
			"sg-denies-request-entering-server", "sg-db", "request", "10.0.1.11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := flowlog.NewReader(strings.NewReader(tc.log+"\n"), "t.log", flowlog.ReaderOptions{Strict: true})
			var got []Diagnosis
			if _, err := eng.Run(r, RunOptions{Correlate: correlate.Options{Hints: Hints(topo)}}, func(d *Diagnosis) error {
				got = append(got, *d)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Rule != tc.rule || got[0].Component != tc.component || got[0].Leg != tc.leg || got[0].Flow.Client != tc.client {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

// TestReportSourcesAndScans: a group knows its busiest clients and how many
// server ports it spans, in bounded memory and whatever the order, and
// calls many probed ports a scan while a one-port outage is not.
func TestReportSourcesAndScans(t *testing.T) {
	diag := func(client string, port uint16) Diagnosis {
		return Diagnosis{Rule: "r", Severity: rules.SeverityError, Verdict: "sg", Component: "sg-1", Direction: "ingress", Leg: "request",
			Flow: Flow{Protocol: "tcp", Client: client, ClientPort: 40000, Server: "10.0.0.5", ServerPort: port}, First: int64(port)}
	}
	var scan, outage, crowd []Diagnosis
	for p := range 300 {
		scan = append(scan, diag("203.0.113.9", uint16(1+p)))
	}
	scan = append(scan, diag("198.51.100.1", 22))
	for c := range 50 {
		outage = append(outage, diag(fmt.Sprintf("10.0.1.%d", c), 5432))
	}
	for c := range 100 {
		crowd = append(crowd, diag(fmt.Sprintf("10.0.2.%d", c), 443))
	}
	group := func(ds []Diagnosis) *Group {
		r := NewReport(nil, 3)
		for _, d := range ds {
			r.Add(d)
		}
		return r.Groups()[0]
	}
	g := group(scan)
	top, ok := g.TopClients(2)
	if !ok || len(top) != 2 || top[0] != (ClientCount{"203.0.113.9", 300}) || g.ServerPorts() != 300 || !g.LooksLikeScan() {
		t.Errorf("scan: top %v %v, ports %d, scan %v", top, ok, g.ServerPorts(), g.LooksLikeScan())
	}
	if g := group(outage); g.LooksLikeScan() || g.ServerPorts() != 1 {
		t.Errorf("one-port outage taken for a scan: ports %d", g.ServerPorts())
	}
	// An outage on one port with a scan of the same group mixed in is not
	// "scanning": the outage must not be waved away.
	mixed := append([]Diagnosis(nil), scan[:110]...)
	for c := range 300 {
		mixed = append(mixed, diag(fmt.Sprintf("10.0.3.%d", c%200), 9443))
	}
	if g := group(mixed); g.LooksLikeScan() {
		t.Errorf("an outage on port 9443 mixed with a scan taken for a scan")
	}
	if g := group(crowd); g.LooksLikeScan() {
		t.Errorf("many clients on one port taken for a scan")
	} else if _, ok := g.TopClients(3); ok {
		t.Errorf("more than 64 clients counted exactly")
	}
	// Order does not matter.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5 {
		sh := append([]Diagnosis(nil), scan...)
		rng.Shuffle(len(sh), func(i, j int) { sh[i], sh[j] = sh[j], sh[i] })
		g2 := group(sh)
		t2, _ := g2.TopClients(2)
		if fmt.Sprint(t2) != fmt.Sprint(top) || g2.ServerPorts() != g.ServerPorts() {
			t.Fatalf("order-dependent: %v vs %v", t2, top)
		}
	}
}

// TestReportFixesAndServices: a group counts its distinct fixes (up to 8)
// and services (ICMP once, whatever its "ports"), independently of the
// order diagnoses arrive in.
func TestReportFixesAndServices(t *testing.T) {
	diag := func(proto string, port uint16, fix string) Diagnosis {
		return Diagnosis{Rule: "r", Severity: rules.SeverityError, Verdict: "sg", Component: "sg-1", Direction: "ingress", Leg: "request",
			Flow: Flow{Protocol: proto, Client: "198.51.100.7", Server: "10.0.0.5", ServerPort: port}, Remediation: fix}
	}
	ds := []Diagnosis{
		diag("tcp", 8443, "allow tcp 8443"), diag("tcp", 8443, "allow tcp 8443"), diag("icmp", 0, "allow icmp"),
		diag("icmp", 2048, "allow icmp"), diag("udp", 8443, "allow udp 8443"), diag("tcp", 22, ""),
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var first string
	for i := range 6 {
		sh := append([]Diagnosis(nil), ds...)
		if i > 0 {
			rng.Shuffle(len(sh), func(i, j int) { sh[i], sh[j] = sh[j], sh[i] })
		}
		r := NewReport(nil, 3)
		for _, d := range sh {
			r.Add(d)
		}
		g := r.Groups()[0]
		fixes, ok := g.Fixes()
		svc, sok := g.Services(4)
		got := fmt.Sprint(fixes, ok, svc, sok, g.ServerPorts())
		if i == 0 {
			first = got
			want := "[{allow icmp 2} {allow tcp 8443 2} {allow udp 8443 1}] true [icmp tcp/22 tcp/8443 udp/8443] true 4"
			if got != want {
				t.Errorf("fixes, services = %s; want %s", got, want)
			}
		} else if got != first {
			t.Fatalf("order-dependent: %s vs %s", got, first)
		}
		if _, ok := g.Services(3); ok {
			t.Errorf("Services(3) listed 4 services")
		}
	}
	r := NewReport(nil, 3)
	for p := range 9 {
		r.Add(diag("tcp", uint16(p+1), fmt.Sprint("allow port ", p+1)))
	}
	if fixes, ok := r.Groups()[0].Fixes(); ok {
		t.Errorf("9 distinct fixes kept: %v", fixes)
	}
}

// Beyond MaxGroups, diagnoses whose group-by values would open a group are
// counted in the (other) group of their rule and component; nothing is
// lost from the totals and existing groups go on counting.
func TestReportFoldsBeyondMaxGroups(t *testing.T) {
	r := NewReport([]GroupBy{ByClient}, 3)
	r.MaxGroups = 10
	d := func(rule string, client int) Diagnosis {
		return Diagnosis{Rule: rule, Severity: rules.SeverityError, Verdict: "sg", Component: "sg-1", Direction: "ingress", Leg: "request",
			ENI: "eni-x", Flow: Flow{Protocol: "tcp", Client: fmt.Sprintf("198.51.100.%d", client), ClientPort: 40000, Server: "10.0.1.10", ServerPort: uint16(client)},
			First: int64(client), Last: int64(client), Packets: 1, Bytes: 44}
	}
	for i := range 100 {
		r.Add(d("r1", i))
	}
	r.Add(d("r1", 3)) // an existing group after the bound
	r.Add(d("r2", 7)) // another rule's first diagnosis after the bound: folded too
	groups := r.Groups()
	if len(groups) != 12 || r.Folded() != 91 || r.Total() != 102 {
		t.Fatalf("%d groups, %d folded, %d total; want 12, 91, 102", len(groups), r.Folded(), r.Total())
	}
	var sum int
	byKey := map[string]*Group{}
	for _, g := range groups {
		sum += g.Conversations
		byKey[g.Rule+" "+keyString(g.Keys)] = g
	}
	if sum != 102 {
		t.Errorf("groups hold %d conversations; want 102", sum)
	}
	if g := byKey["r1 client=(other) "]; g == nil || g.Conversations != 90 || g.Packets != 90 || len(g.Examples) != 3 {
		t.Errorf("r1's (other) group: %+v", g)
	}
	if g := byKey["r1 client=198.51.100.3 "]; g == nil || g.Conversations != 2 {
		t.Errorf("an existing group stopped counting: %+v", g)
	}
	if g := byKey["r2 client=(other) "]; g == nil || g.Conversations != 1 {
		t.Errorf("r2's (other) group: %+v", g)
	}
	// Without --group-by values there is nothing to fold: rule and
	// component groups are never capped.
	r = NewReport(nil, 3)
	r.MaxGroups = 1
	for i := range 5 {
		r.Add(d(fmt.Sprintf("r%d", i), i))
	}
	if len(r.Groups()) != 5 || r.Folded() != 0 {
		t.Errorf("without group-by: %d groups, %d folded", len(r.Groups()), r.Folded())
	}
}

// TestEvidenceOfPredictedBlock: a diagnosis blaming an ENI that logged
// nothing takes its evidence from one logging ENI, an end's rather than a
// forwarding one's, names that ENI, and counts only the blamed leg's packets.
func TestEvidenceOfPredictedBlock(t *testing.T) {
	req := flowlog.Pos{Source: "t.log", Line: 1}
	fwd := flowlog.Pos{Source: "t.log", Line: 2}
	c := &correlate.Conversation{Views: []correlate.View{
		{ENI: "eni-0nat", Role: correlate.RoleTransit, Request: correlate.Leg{Seen: true,
			Accept: correlate.Tally{Records: 1, Packets: 4, Bytes: 240}, Evidence: []flowlog.Pos{fwd}}},
		{ENI: "eni-1app", Role: correlate.RoleClient, Subnet: "subnet-app", Request: correlate.Leg{Seen: true,
			Accept: correlate.Tally{Records: 1, Packets: 4, Bytes: 240}, Evidence: []flowlog.Pos{req}}},
	}}
	for _, tc := range []struct {
		leg     string
		packets int64
	}{{"reply", 0}, {"request", 4}} {
		d := Diagnosis{ENI: "eni-db", Subnet: "subnet-db", Leg: tc.leg}
		if !d.evidenceFrom(c) {
			t.Errorf("%s: not reported as unlogged", tc.leg)
		}
		if d.ENI != "eni-1app" || d.Subnet != "subnet-app" {
			t.Errorf("%s: eni %q subnet %q; want eni-1app in subnet-app", tc.leg, d.ENI, d.Subnet)
		}
		if d.Packets != tc.packets {
			t.Errorf("%s: packets %d; want %d", tc.leg, d.Packets, tc.packets)
		}
		if len(d.Evidence) != 1 || d.Evidence[0] != req {
			t.Errorf("%s: evidence %v; want %v", tc.leg, d.Evidence, req)
		}
	}
	// A diagnosis blaming the ENI of a gap keeps it.
	g := *c
	g.Gaps = []correlate.Gap{{ENI: "eni-db"}}
	d := Diagnosis{ENI: "eni-db", Leg: "reply"}
	if d.evidenceFrom(&g) {
		t.Error("a gap's ENI reported as unlogged")
	}
	if d.ENI != "eni-db" {
		t.Errorf("gap ENI replaced by %q", d.ENI)
	}
}

// TestEvidenceOfUnseenLeg: a diagnosis blaming a leg its ENI never logged
// (no reply) shows the records the ENI did log, with the blamed leg's
// packets (none). It once showed no evidence at all.
func TestEvidenceOfUnseenLeg(t *testing.T) {
	req := flowlog.Pos{Source: "t.log", Line: 3}
	c := &correlate.Conversation{Views: []correlate.View{
		{ENI: "eni-1", Role: correlate.RoleServer, Request: correlate.Leg{Seen: true,
			Accept: correlate.Tally{Records: 1, Packets: 15, Bytes: 4895}, Evidence: []flowlog.Pos{req}}},
	}}
	d := Diagnosis{ENI: "eni-1", Leg: "reply"}
	d.evidenceFrom(c)
	if d.ENI != "eni-1" || d.Packets != 0 || d.Bytes != 0 || len(d.Evidence) != 1 || d.Evidence[0] != req {
		t.Errorf("eni %q, %d packets, %d bytes, evidence %v; want eni-1, 0, 0, [%v]", d.ENI, d.Packets, d.Bytes, d.Evidence, req)
	}
}

// TestEnvPrefersRejectingView: when several ENIs share a role, the facts
// show one that rejected something, which is what rules explain.
func TestEnvPrefersRejectingView(t *testing.T) {
	acc := correlate.Leg{Seen: true, Accept: correlate.Tally{Records: 1, Packets: 1}}
	rej := correlate.Leg{Seen: true, Reject: correlate.Tally{Records: 1, Packets: 1}}
	c := &correlate.Conversation{Proto: 6, Views: []correlate.View{
		{ENI: "eni-a", Request: acc, Reply: acc},
		{ENI: "eni-b", Request: acc, Reply: rej},
		{ENI: "eni-c", Request: acc, Reply: rej},
		{ENI: "eni-t1", Role: correlate.RoleTransit, Request: acc},
		{ENI: "eni-t2", Role: correlate.RoleTransit, Request: rej},
	}}
	var env rules.Env
	buildEnv(&env, c, nil)
	if env.Unknown.ENI != "eni-b" || env.Transit.ENI != "eni-t2" {
		t.Errorf("unknown %q, transit %q; want eni-b, eni-t2", env.Unknown.ENI, env.Transit.ENI)
	}
}
