package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/flowdiag/flowdiag/correlate"
	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/rules"
	"github.com/flowdiag/flowdiag/topology"
)

// Engine holds what every worker shares: the compiled rule set and the
// topology (nil when none was given). It is immutable after New.
type Engine struct {
	rules *rules.Set
	topo  *topology.Topology
}

// New returns an engine for the rule set and the optional topology.
func New(set *rules.Set, topo *topology.Topology) (*Engine, error) {
	if set == nil {
		return nil, errors.New("engine: no rule set")
	}
	return &Engine{rules: set, topo: topo}, nil
}

// Topology returns the topology the engine evaluates paths against, or nil.
func (e *Engine) Topology() *topology.Topology { return e.topo }

// Worker diagnoses conversations on one goroutine, reusing its rule
// evaluator (one expr VM) and its fact buffer between calls.
type Worker struct {
	eng      *Engine
	failures []RuleFailure // rules that failed at run time; few, so a slice
	ev       *rules.Evaluator
	env      rules.Env
	matched  []*rules.Rule
	addrs    *addrCache
}

// NewWorker returns a worker; create one per goroutine.
func (e *Engine) NewWorker() *Worker {
	return &Worker{eng: e, ev: e.rules.NewEvaluator(), matched: make([]*rules.Rule, 0, 16), addrs: new(addrCache)}
}

// Env returns the facts of the last conversation given to Diagnose or Facts,
// for tests and for `rules` debugging output.
func (w *Worker) Env() *rules.Env { return &w.env }

// Facts fills the worker's Env from c (and the topology) and returns the
// prefilter mask of what the conversation contains (rejects, accepts, gaps).
func (w *Worker) Facts(c *correlate.Conversation) rules.OnMask {
	return buildEnvCached(&w.env, c, w.eng.topo, w.addrs)
}

// RuleFailure counts the conversations on which one rule failed at run
// time (an index out of range, a division by zero in a user's expression).
// The rule was skipped there and the other rules decided.
type RuleFailure struct {
	Rule         string
	Pos          string // file:line:col of the rule
	Count        int64
	Field        string // the failing part: when, blame.component, message, ...
	First        string // the first failure's message (expr's own, may span lines)
	Conversation string // the conversation it failed on first
}

// Failures returns the rules that failed at run time on this worker.
func (w *Worker) Failures() []RuleFailure { return w.failures }

// MergeFailures adds b's counts to a, by rule, keeping a's first messages.
func MergeFailures(a, b []RuleFailure) []RuleFailure {
	for _, f := range b {
		a = addFailure(a, f)
	}
	return a
}

func addFailure(fs []RuleFailure, f RuleFailure) []RuleFailure {
	for i := range fs {
		if fs[i].Rule == f.Rule {
			fs[i].Count += f.Count
			return fs
		}
	}
	return append(fs, f)
}

// fail counts the rules that failed on c: err is a rules.Errors from Match
// (one per failing rule) or a single *rules.Error from Render.
func (w *Worker) fail(c *correlate.Conversation, err error) {
	var list rules.Errors
	var one *rules.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = rules.Errors{one}
	default:
		list = rules.Errors{{Rule: "?", Msg: err.Error()}}
	}
	for _, re := range list {
		w.failures = addFailure(w.failures, RuleFailure{Rule: re.Rule, Pos: re.Pos.String(), Count: 1,
			Field: re.Field, First: re.Msg, Conversation: flowKey(c)})
	}
}

// Diagnose runs the rules on c. ok is false when no rule matched (nothing to
// report for this conversation). A rule that fails at run time is skipped
// and counted in Failures; the other rules still decide, so diagnosing a
// conversation cannot fail.
func (w *Worker) Diagnose(c *correlate.Conversation) (d Diagnosis, ok bool) {
	mask := w.Facts(c)
	var err error
	w.matched, err = w.ev.Match(&w.env, mask, w.matched[:0])
	if err != nil {
		w.fail(c, err)
	}
	for i, win := range w.matched {
		out, err := w.ev.Render(win, &w.env)
		if err != nil {
			w.fail(c, err)
			continue // the next most specific rule explains it instead
		}
		return newDiagnosis(c, win, out, w.matched[i+1:], &w.env), true
	}
	return Diagnosis{}, false
}

func flowKey(c *correlate.Conversation) string {
	return fmt.Sprintf("%s %s -> %s", c.Proto, c.Client, c.Server)
}

// buildEnv states the facts of c for the rules. It allocates nothing beyond
// what the conversation already holds, except when a topology evaluation
// needs the joined group ids of an ENI (cached on the topology).
func buildEnv(env *rules.Env, c *correlate.Conversation, topo *topology.Topology) rules.OnMask {
	return buildEnvCached(env, c, topo, nil)
}

// buildEnvCached is buildEnv with the address strings taken from cache
// (nil: formatted each time).
func buildEnvCached(env *rules.Env, c *correlate.Conversation, topo *topology.Topology, cache *addrCache) rules.OnMask {
	*env = rules.Env{}
	var mask rules.OnMask

	env.Flow = rules.Flow{
		Protocol:   c.Proto.String(),
		ProtoNum:   int(c.Proto),
		Client:     cache.str(c.Client.Addr()),
		ClientPort: int(c.Client.Port()),
		Server:     cache.str(c.Server.Addr()),
		ServerPort: int(c.Server.Port()),
		Basis:      c.Basis.String(),
		Confidence: c.Confidence.String(),
		First:      c.First,
		Last:       c.Last,
		ENIs:       len(c.Views),
		CutEarly:   c.CutEarly,

		ClientRejectedPorts: c.ClientFanOut.Ports,
		ClientRejectedHosts: c.ClientFanOut.Hosts,
	}
	if c.ClientFanOut != (correlate.FanOut{}) {
		env.Flow.ClientSource = env.Flow.Client // the usual case, no allocation
		if !c.ClientFanOut.Source.IsSingleIP() {
			env.Flow.ClientSource = c.ClientFanOut.Source.String() // an IPv6 /64
		}
		env.Flow.SessionWithServer = c.ClientFanOut.Session
	}

	// One view per role; when several ENIs share a role (the attachments
	// of a Transit Gateway, ENIs whose role the logs do not show), the
	// first that rejected something, as that is what rules explain.
	var clientView, serverView, transitView, unknownView *correlate.View
	pick := func(cur **correlate.View, v *correlate.View) {
		if *cur == nil || !rejects(*cur) && rejects(v) {
			*cur = v
		}
	}
	for i := range c.Views {
		v := &c.Views[i]
		switch v.Role {
		case correlate.RoleClient:
			pick(&clientView, v)
		case correlate.RoleServer:
			pick(&serverView, v)
		case correlate.RoleTransit:
			pick(&transitView, v)
		default:
			pick(&unknownView, v)
		}
		mask |= legMask(&v.Request) | legMask(&v.Reply)
	}
	fillSide(&env.Client, clientView)
	fillSide(&env.Server, serverView)
	fillSide(&env.Transit, transitView)
	fillSide(&env.Unknown, unknownView)

	if len(c.Gaps) > 0 {
		mask |= rules.OnGap
		fillGaps(env, c)
	}

	// Path facts from the logs alone: subnets named by the records.
	env.Path.ClientLocation = locationFromLogs(c.Client.Addr(), clientView)
	env.Path.ServerLocation = locationFromLogs(c.Server.Addr(), serverView)
	if clientView != nil && serverView != nil && clientView.Subnet != "" && serverView.Subnet != "" {
		env.Path.Known = true
		env.Path.SameSubnet = clientView.Subnet == serverView.Subnet
	}

	if topo != nil {
		fillTopo(env, c, topo)
	}
	return mask
}

// rejects reports whether any record of v is a REJECT.
func rejects(v *correlate.View) bool {
	return v.Request.Reject.Records > 0 || v.Reply.Reject.Records > 0
}

func legMask(l *correlate.Leg) rules.OnMask {
	var m rules.OnMask
	if l.Accept.Records > 0 {
		m |= rules.OnAccept
	}
	if l.Reject.Records > 0 {
		m |= rules.OnReject
	}
	return m
}

func fillSide(s *rules.Side, v *correlate.View) {
	if v == nil {
		// Flags of legs nobody logged are unknown, not zero.
		s.Request.Flags, s.Request.RejectFlags = -1, -1
		s.Reply.Flags, s.Reply.RejectFlags = -1, -1
		return
	}
	s.Seen = true
	s.ENI, s.Subnet, s.VPC = v.ENI, v.Subnet, v.VPC
	fillLeg(&s.Request, &v.Request, v.FlagsKnown)
	fillLeg(&s.Reply, &v.Reply, v.FlagsKnown)
}

func fillLeg(dst *rules.Leg, l *correlate.Leg, flagsKnown bool) {
	if !l.Seen {
		*dst = rules.Leg{Flags: -1, RejectFlags: -1}
		return
	}
	// Records, packets and bytes count every record of the leg, those of
	// formats without an action field too (Leg.NoAction).
	*dst = rules.Leg{
		Seen:          true,
		Accepted:      l.Accept.Records > 0,
		Rejected:      l.Reject.Records > 0,
		Records:       l.Records(),
		Packets:       int(l.Packets()),
		Bytes:         int(l.Bytes()),
		AcceptPackets: int(l.Accept.Packets),
		RejectPackets: int(l.Reject.Packets),
		Flags:         -1,
		RejectFlags:   -1,
		RejectReason:  l.RejectReason,
		First:         l.First(),
		Last:          l.Last(),
	}
	if flagsKnown {
		dst.Flags = int(l.Flags())
		if l.Reject.Records > 0 {
			dst.RejectFlags = int(l.Reject.Flags)
		}
	}
}

// fillGaps states the conversation's gaps, overall and for the end whose
// ENI logged them (one that logged the conversation, or that owns the end).
func fillGaps(env *rules.Env, c *correlate.Conversation) {
	g := &env.Gaps
	gaps := c.Gaps
	g.Any = true
	g.Count = len(gaps)
	var enis []string
	for _, gp := range gaps {
		var side *rules.Side
		switch {
		case gp.Of.IsValid() && gp.Of == c.Client.Addr(), !gp.Of.IsValid() && env.Client.Seen && gp.ENI == env.Client.ENI:
			side = &env.Client
		case gp.Of.IsValid() && gp.Of == c.Server.Addr(), !gp.Of.IsValid() && env.Server.Seen && gp.ENI == env.Server.ENI:
			side = &env.Server
		}
		if side != nil && !side.Seen && side.ENI == "" {
			side.ENI = gp.ENI // the end's ENI, known from its other records
		}
		switch gp.Status {
		case flowlog.LogStatusNoData:
			g.NoData = true
			if side != nil {
				side.NoData = true
			}
		case flowlog.LogStatusSkipData:
			g.SkipData = true
			if side != nil {
				side.SkipData = true
			}
		}
		dup := false
		for _, e := range enis {
			if e == gp.ENI {
				dup = true
				break
			}
		}
		if !dup {
			enis = append(enis, gp.ENI)
		}
	}
	g.ENIs = strings.Join(enis, ",")
}

// locationFromLogs says where an end is when only the logs are known: "vpc"
// when an ENI of its own logged it, "internet" for a public address, and
// "unknown" otherwise (a private address that no monitored ENI owns).
func locationFromLogs(a netip.Addr, own *correlate.View) string {
	switch {
	case own != nil:
		return "vpc"
	case a.IsValid() && !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast() && a.IsGlobalUnicast():
		return "internet"
	}
	return "unknown"
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// addrCache remembers the text of recently seen addresses, so that stating
// a conversation's facts does not format (and allocate) its two addresses
// every time. It is direct-mapped and fixed in size: memory does not grow
// with the number of distinct addresses (a scan), it only misses more.
type addrCache struct {
	slots [1 << 12]struct {
		a netip.Addr
		s string
	}
}

// str returns a's text ("" for the zero Addr); a nil cache formats it.
func (c *addrCache) str(a netip.Addr) string {
	if c == nil || !a.IsValid() {
		return addrString(a)
	}
	b := a.As16()
	h := (binary.LittleEndian.Uint64(b[8:]) ^ binary.LittleEndian.Uint64(b[:8])) * 0x9e3779b97f4a7c15
	e := &c.slots[h>>(64-12)]
	if e.a != a || e.s == "" {
		e.a, e.s = a, a.String()
	}
	return e.s
}
