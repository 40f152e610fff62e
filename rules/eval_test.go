package rules

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// benchEnvs is a realistic mix of conversations: mostly healthy accepted
// traffic, a share of classic rejections, with and without topology.
func benchEnvs() []Env {
	healthy := defaultFacts()
	healthy.Flow = Flow{Protocol: "tcp", ProtoNum: 6, Client: "10.0.1.5", ClientPort: 51234, Server: "10.0.2.9", ServerPort: 443, Basis: "tcp-flags", Confidence: "high", ENIs: 2}
	healthy.Client = Side{Seen: true, ENI: "eni-c", Subnet: "subnet-a", VPC: "vpc-1",
		Request: Leg{Seen: true, Accepted: true, Records: 1, Packets: 10, Bytes: 840, AcceptPackets: 10, Flags: 3, RejectFlags: -1},
		Reply:   Leg{Seen: true, Accepted: true, Records: 1, Packets: 8, Bytes: 4000, AcceptPackets: 8, Flags: 19, RejectFlags: -1}}
	healthy.Server = healthy.Client
	healthy.Server.ENI, healthy.Server.Subnet = "eni-s", "subnet-b"
	healthy.Path = Path{Known: true, ClientLocation: "vpc", ServerLocation: "vpc"}

	replyRejected := healthy
	replyRejected.Server.Reply = Leg{Seen: true, Rejected: true, Records: 1, Packets: 3, RejectPackets: 3, Flags: 18, RejectFlags: 18}
	replyRejected.Client.Reply = Leg{Flags: -1, RejectFlags: -1}

	inbound := healthy
	inbound.Flow.Client, inbound.Path.ClientLocation = "203.0.113.9", "internet"
	inbound.Client = Side{Request: Leg{Flags: -1, RejectFlags: -1}, Reply: Leg{Flags: -1, RejectFlags: -1}}
	inbound.Server.Request = Leg{Seen: true, Rejected: true, Records: 1, Packets: 1, RejectPackets: 1, Flags: 2, RejectFlags: 2}
	inbound.Server.Reply = Leg{Flags: -1, RejectFlags: -1}

	topo := replyRejected
	topo.Topo = Topo{Present: true, RequestAllowed: true, FirstBlock: Check{Applies: true, Kind: "nacl", Component: "acl-0b",
		Direction: "egress", Leg: "reply", RuleNumber: 32767, Implicit: true, Where: "server", Subnet: "subnet-b", ENI: "eni-s"}}
	topo.Topo.ServerNACLEgress = topo.Topo.FirstBlock

	healthyTopo := healthy
	healthyTopo.Topo = Topo{Present: true, RequestAllowed: true, ReplyAllowed: true}

	return []Env{healthy, healthy, healthy, healthyTopo, healthyTopo, healthyTopo, replyRejected, inbound, topo, topo}
}

func TestMatchRanking(t *testing.T) {
	s, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	envs := benchEnvs()
	e := s.NewEvaluator()
	ids := func(rs []*Rule) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		env  Env
		want []string
	}{
		{envs[0], nil},
		{envs[6], []string{"reply-rejected-leaving-server"}},
		{envs[7], []string{"request-rejected-inbound"}},
		{envs[8], []string{"nacl-denies-reply-leaving-server", "reply-rejected-leaving-server"}},
	} {
		got, err := e.Match(&tc.env, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), tc.want) {
			t.Errorf("Match(%+v) = %v; want %v", tc.env.Flow, ids(got), tc.want)
		}
	}
}

func TestMatchNoAllocs(t *testing.T) {
	s, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	envs := benchEnvs()
	e := s.NewEvaluator()
	out := make([]*Rule, 0, s.Len())
	for i := range envs {
		env := &envs[i]
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := e.Match(env, 0, out); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("Match(env %d) allocates %v times per call; want 0", i, allocs)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	s, err := LoadBuiltin()
	if err != nil {
		b.Fatal(err)
	}
	envs := benchEnvs()
	masks := make([]OnMask, len(envs))
	for i := range envs {
		masks[i] = MaskOf(&envs[i])
	}
	e := s.NewEvaluator()
	out := make([]*Rule, 0, s.Len())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(envs)
		if out, err = e.Match(&envs[k], masks[k], out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conv/s")
}

// builtinFlippedEnvs loads the built-in rules and returns them with every
// example's facts and the bench mix, each also once with every bool field
// flipped.
func builtinFlippedEnvs(t *testing.T) (*Set, []Env) {
	t.Helper()
	s, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	envs := benchEnvs()
	for _, r := range s.Rules() {
		for _, ex := range r.Examples {
			envs = append(envs, ex.Facts)
		}
	}
	var all []Env
	for _, env := range envs {
		all = append(all, env)
		for _, p := range boolFields() {
			m := env
			*p(&m) = !*p(&m)
			all = append(all, m)
		}
	}
	return s, all
}

// TestGuardEquivalence checks that the Go guard never changes a result: for
// every rule, on every example's facts, the bench mix, and each of those with
// one boolean flipped, guard+expr agrees with expr alone.
func TestGuardEquivalence(t *testing.T) {
	s, all := builtinFlippedEnvs(t)
	e := s.NewEvaluator()
	exact := 0
	for _, r := range s.Rules() {
		if r.guard.exact {
			exact++
		}
		for i := range all {
			env := &all[i]
			*e.cur = *env
			v, err := e.vm.Run(r.when, e.box)
			if err != nil {
				t.Fatal(err)
			}
			want := v.(bool)
			got := r.guard.pass(env) && (r.guard.exact || want)
			if got != want {
				t.Errorf("rule %s: guard+expr = %v, expr = %v on %+v", r.ID, got, want, *env)
			}
		}
	}
	t.Logf("%d rules, %d decided by the guard alone, %d envs", s.Len(), exact, len(all))
}

func boolFields() []func(*Env) *bool {
	var out []func(*Env) *bool
	for _, side := range []func(*Env) *Side{
		func(e *Env) *Side { return &e.Client }, func(e *Env) *Side { return &e.Server }, func(e *Env) *Side { return &e.Transit }} {
		out = append(out,
			func(e *Env) *bool { return &side(e).Seen },
			func(e *Env) *bool { return &side(e).Request.Accepted },
			func(e *Env) *bool { return &side(e).Request.Rejected },
			func(e *Env) *bool { return &side(e).Reply.Accepted },
			func(e *Env) *bool { return &side(e).Reply.Rejected },
			func(e *Env) *bool { return &side(e).Reply.Seen },
		)
	}
	return append(out,
		func(e *Env) *bool { return &e.Path.SameSubnet },
		func(e *Env) *bool { return &e.Topo.Present },
		func(e *Env) *bool { return &e.Topo.FirstBlock.Applies },
		func(e *Env) *bool { return &e.Topo.RequestAllowed },
		func(e *Env) *bool { return &e.Gaps.Any },
	)
}

// TestEvaluatorBoxAliasesEnv pins the layout assumption behind Evaluator.box:
// the interface's data word points at the Evaluator's own Env, so what
// Match copies there is what expr reads.
func TestEvaluatorBoxAliasesEnv(t *testing.T) {
	set, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	e := set.NewEvaluator()
	e.cur.Flow.Client = "10.9.9.9"
	e.cur.Server.Reply.Packets = 42
	got := e.box.(Env)
	if got.Flow.Client != "10.9.9.9" || got.Server.Reply.Packets != 42 {
		t.Fatalf("box does not alias the evaluator's Env: %+v", got.Flow)
	}
}

// TestGuardRandomLeaves checks the guard against expr where the guard's
// leaves vary together: for every rule, each example's facts with every
// field the guard reads set at random (a bool either way, a string to the
// literal it is compared with, another rule's literal or empty), so the
// and/or/not trees meet combinations that single flips do not reach.
func TestGuardRandomLeaves(t *testing.T) {
	s, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	var strs []string
	leavesOf := func(g *guard) []literal {
		var out []literal
		for _, c := range g.clauses {
			out = append(out, c...)
		}
		var walk func(b *boolTree)
		walk = func(b *boolTree) {
			if b.op == treeLeaf {
				out = append(out, b.lit)
			}
			for i := range b.kids {
				walk(&b.kids[i])
			}
		}
		for i := range g.trees {
			walk(&g.trees[i])
		}
		return out
	}
	for _, r := range s.Rules() {
		for _, l := range leavesOf(&r.guard) {
			if l.str {
				strs = append(strs, l.s)
			}
		}
	}
	strs = append(strs, "")
	rng := rand.New(rand.NewPCG(1, 2))
	e := s.NewEvaluator()
	checked, trees := 0, 0
	for _, r := range s.Rules() {
		leaves := leavesOf(&r.guard)
		if len(r.guard.trees) > 0 {
			trees++
		}
		for _, ex := range r.Examples {
			for range 64 {
				env := ex.Facts
				base := unsafe.Pointer(&env)
				for _, l := range leaves {
					p := unsafe.Add(base, l.off)
					if !l.str {
						*(*bool)(p) = rng.IntN(2) == 0
					} else if rng.IntN(2) == 0 {
						*(*string)(p) = l.s
					} else {
						*(*string)(p) = strs[rng.IntN(len(strs))]
					}
				}
				*e.cur = env
				v, err := e.vm.Run(r.when, e.box)
				if err != nil {
					t.Fatal(err)
				}
				want := v.(bool)
				if got := r.guard.pass(&env) && (r.guard.exact || want); got != want {
					t.Fatalf("rule %s: guard+expr = %v, expr = %v on %+v", r.ID, got, want, env)
				}
				checked++
			}
		}
	}
	if trees == 0 {
		t.Fatal("no built-in rule has an and/or tree in its guard: the test checks nothing new")
	}
	t.Logf("%d rules with guard trees, %d random envs checked", trees, checked)
}

// TestGuardTree decides nested and/or/not conditions in Go, negations
// pushed to the leaves, and leaves to expr what Go cannot read.
func TestGuardTree(t *testing.T) {
	var seenOnly, rejectedReply, empty Env
	seenOnly.Client.Seen = true
	rejectedReply.Client.Seen = true
	rejectedReply.Topo.FirstBlock.Leg = "reply"
	rejectedReply.Gaps.Any = true
	tests := []struct {
		when             string
		exact            bool
		clauses, trees   int
		seen, rej, empty bool // guard result on seenOnly, rejectedReply, empty
	}{
		{`client.seen && (gaps.any || server.seen && !topo.present)`, true, 1, 1, false, true, false},
		{`!(client.seen && topo.first_block.leg == "reply")`, true, 1, 0, true, false, true},
		{`!(client.seen || topo.first_block.leg == "reply") || gaps.any`, true, 0, 1, false, true, true},
		{`(client.seen || server.seen) && !(topo.present || gaps.any)`, true, 3, 0, true, false, false},
		// A numeric comparison is expr's: the conjunct holding it is not
		// guarded, the others still are.
		{`client.seen && (client.request.packets > 0 || server.seen)`, false, 1, 0, true, true, false},
	}
	for _, tt := range tests {
		g := buildGuard(tt.when)
		if g.exact != tt.exact || len(g.clauses) != tt.clauses || len(g.trees) != tt.trees {
			t.Errorf("%s: exact %v, %d clauses, %d trees; want %v, %d, %d",
				tt.when, g.exact, len(g.clauses), len(g.trees), tt.exact, tt.clauses, tt.trees)
		}
		for _, c := range []struct {
			name string
			env  *Env
			want bool
		}{{"client seen", &seenOnly, tt.seen}, {"reply rejected", &rejectedReply, tt.rej}, {"empty", &empty, tt.empty}} {
			if got := g.pass(c.env); got != c.want {
				t.Errorf("%s on %s: guard = %v, want %v", tt.when, c.name, got, c.want)
			}
		}
	}
}

// Render's placeholders and blame expressions decided in Go (direct) give
// exactly what expr gives, for every built-in rule on every example's facts
// and on the benchmark facts, each also with every bool field flipped.
func TestDirectMatchesExpr(t *testing.T) {
	s, all := builtinFlippedEnvs(t)
	fast, slow := s.NewEvaluator(), s.NewEvaluator()
	slow.noDirect = true
	directs, total := 0, 0
	for _, r := range s.Rules() {
		for _, t := range []*template{&r.message, &r.remediation} {
			for _, d := range t.direct {
				total++
				if d.ok {
					directs++
				}
			}
		}
		for i := range all {
			got, gerr := fast.Render(r, &all[i])
			want, werr := slow.Render(r, &all[i])
			if got != want || fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Fatalf("rule %s: direct gives %+v, %v; expr gives %+v, %v", r.ID, got, gerr, want, werr)
			}
			// A folded YAML scalar keeps a line break before a more
			// indented line: a built-in message must be one paragraph.
			if strings.ContainsRune(got.Message+got.Remediation, '\n') {
				t.Fatalf("rule %s renders a line break: %q / %q", r.ID, got.Message, got.Remediation)
			}
		}
	}
	if directs*4 < total*3 {
		t.Errorf("%d of %d placeholders of the built-in rules are decided in Go; want at least three quarters", directs, total)
	}
	t.Logf("%d of %d placeholders decided in Go, %d envs", directs, total, len(all))
}

// A Set's rules are shared with the Sets merged from it; merging while
// another goroutine renders with the first must not write to them (run
// with -race).
func TestMergeWhileRendering(t *testing.T) {
	base, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	e := base.NewEvaluator()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			for _, r := range base.Rules() {
				e.Render(r, &Env{})
			}
		}
	}()
	for range 20 {
		if _, err := base.Merge(newSet(nil)); err != nil {
			t.Error(err)
		}
	}
	<-done
}

// A choice between two strings is decided in Go for each form of condition
// it takes (bool field, negated, string field == or != a literal), and
// gives what expr gives on both branches; a choice whose branch is not
// direct is left to expr.
func TestDirectChoice(t *testing.T) {
	const src = `
rules:
  - id: choices
    title: choices
    severity: info
    on: [reject]
    when: client.seen
    verdict: info
    message: >-
      {{ server.seen ? "seen" : "unseen" }} {{ !server.seen ? flow.client : flow.server }}
      {{ topo.first_block.direction == "egress" ? "out" : "in" }} {{ topo.first_block.direction != "egress" ? endpoint(flow.client, flow.client_port, flow.protocol) : "x" }}
      {{ server.seen ? flow.client + "!" : "y" }}
    remediation: none
`
	s, err := Load("choices.yaml", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	r := s.Rules()[0]
	var directs int
	for _, d := range r.message.direct {
		if d.ok {
			directs++
		}
	}
	if directs != 4 {
		t.Errorf("%d of %d placeholders decided in Go; want 4 (the last concatenates)", directs, len(r.message.direct))
	}
	fast, slow := s.NewEvaluator(), s.NewEvaluator()
	slow.noDirect = true
	for _, seen := range []bool{false, true} {
		for _, dir := range []string{"", "egress", "ingress"} {
			env := Env{Flow: Flow{Protocol: "tcp", Client: "10.0.0.1", ClientPort: 5000, Server: "10.0.0.2"}}
			env.Client.Seen, env.Server.Seen, env.Topo.FirstBlock.Direction = true, seen, dir
			got, gerr := fast.Render(r, &env)
			want, werr := slow.Render(r, &env)
			if got != want || gerr != nil || werr != nil {
				t.Errorf("seen %v direction %q: direct %+v (%v); expr %+v (%v)", seen, dir, got, gerr, want, werr)
			}
		}
	}
}

// TestOnPrefilter: on: any runs on every class, the empty one included
// (facts without records or gaps); a narrower on: runs only where it shares
// a class.
func TestOnPrefilter(t *testing.T) {
	for _, tc := range []struct {
		on, class OnMask
		want      bool
	}{
		{OnAny, 0, true},
		{OnAny, OnReject | OnGap, true},
		{OnAccept, OnAccept, true},
		{OnReject | OnGap, OnGap, true},
		{OnReject, OnAccept, false},
		{OnReject, 0, false},
		{OnGap, OnAccept, false},
	} {
		if got := tc.on.RunsOn(tc.class); got != tc.want {
			t.Errorf("OnMask(%s).RunsOn(%s) = %v; want %v", tc.on, maskWords(tc.class), got, tc.want)
		}
	}
	s, err := Load("r.yaml", strings.NewReader(`rules:
  - id: to-legacy-net
    title: Traffic to the legacy network
    severity: warning
    verdict: info
    when: in_cidr(flow.server, "172.31.0.0/16")
    message: m
  - id: legacy-rejected
    title: Traffic to the legacy network rejected
    severity: warning
    verdict: info
    on: [reject]
    when: in_cidr(flow.server, "172.31.0.0/16")
    message: m
`))
	if err != nil {
		t.Fatal(err)
	}
	env := defaultFacts()
	env.Flow = Flow{Protocol: "tcp", Client: "10.0.1.5", Server: "172.31.1.1", ServerPort: 443}
	got, err := s.NewEvaluator().Match(&env, 0, nil)
	if err != nil || len(got) != 1 || got[0].ID != "to-legacy-net" {
		t.Errorf("Match(no records) = %v, %v; want [to-legacy-net]", got, err)
	}
}
