package review

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowdiag/flowdiag/engine"
	"github.com/flowdiag/flowdiag/rules"
)

// Kind says what a finding is about.
type Kind string

// Kinds of finding.
const (
	// KindReached: a conversation reached a prohibited destination (the
	// request was ACCEPTed on the way).
	KindReached Kind = "traffic-reached"
	// KindBlocked: a conversation tried and was REJECTed; the control worked.
	KindBlocked Kind = "traffic-blocked"
	// KindRulePermits: a security group rule or network ACL entry would let
	// a covered source reach a prohibited destination.
	KindRulePermits Kind = "rule-permits"
	// KindExpired: an exception expired; it no longer suppresses anything.
	KindExpired Kind = "exception-expired"
	// KindUnenforceable: the prohibited destinations are services that
	// security groups and network ACLs never filter and flow logs never log.
	KindUnenforceable Kind = "not-enforceable"
)

// Finding is one result of a review. Which fields are set depends on Kind:
// traffic findings carry the flow and its evidence, rule findings the
// control and its position in the topology file, exception findings their
// position in the policy file.
type Finding struct {
	Kind        Kind
	Prohibition string // the prohibition's id (SARIF ruleId); "expired-exception" for KindExpired
	Severity    rules.Severity
	Title       string
	Message     string
	Reason      string // why the destination is prohibited
	Fix         string // the narrowest change that closes it (rule findings)

	// Traffic findings.
	Flow        engine.Flow
	ENI         string
	Subnet      string
	First, Last int64 // Unix seconds
	Packets     int64
	Bytes       int64
	Evidence    []string // "file:line" of the records
	// MoreEvidence counts records not listed in Evidence.
	MoreEvidence int
	// Conversations is how many conversations the finding stands for: 1
	// as Run reports them; more after a Collector merged the conversations
	// of one source and destination (their client ports differ).
	Conversations int

	// Rule findings: the control (sg-…, acl-…), the rule ("sg-0app
	// egress[0]", "acl-0app egress #100") and, for KindExpired, the
	// exception id.
	Component string
	Rule      string
	Location  Pos // in the topology or policy file; zero when unknown

	// Suppressed is set when an exception covers the finding.
	Suppressed *Suppression
}

// Suppression names the exception that covers a finding.
type Suppression struct {
	Exception string
	Owner     string
	Reason    string
	Expires   string // YYYY-MM-DD, "" when it never expires
	Location  Pos
}

// Counts reports whether the finding counts for --fail-on: suppressed
// findings never do.
func (f *Finding) Counts() bool { return f.Suppressed == nil }

// findingsFrom turns a diagnosis of the compiled rules into findings, one
// per prohibition that matched.
func (c *Compiled) findingsFrom(d *engine.Diagnosis) []Finding {
	type hit struct {
		info ruleInfo
		exc  *Exception
	}
	var order []*Prohibition
	hits := map[*Prohibition]*hit{}
	for _, id := range append([]string{d.Rule}, d.Supporting...) {
		info, ok := c.byRule[id]
		if !ok {
			continue
		}
		h := hits[info.p]
		if h == nil {
			h = &hit{info: info}
			hits[info.p] = h
			order = append(order, info.p)
		}
		if info.e != nil && h.exc == nil {
			h.exc = info.e
		}
	}
	out := make([]Finding, 0, len(order))
	for _, p := range order {
		h := hits[p]
		f := Finding{
			Kind: KindReached, Prohibition: p.ID, Severity: p.Severity, Title: titleOf(p), Reason: p.Reason,
			Flow: d.Flow, ENI: d.ENI, Subnet: d.Subnet, First: d.First, Last: d.Last,
			Packets: d.Packets, Bytes: d.Bytes, MoreEvidence: d.MoreEvidence, Conversations: 1,
			Evidence: make([]string, len(d.Evidence)),
		}
		for i, e := range d.Evidence {
			f.Evidence[i] = engine.PosString(e)
		}
		// The ENI is the one whose records prove the verdict (the
		// destination's when it accepted the request), not necessarily
		// the source's: say where it was logged rather than whose it is.
		flow, who := flowText(d.Flow), d.Flow.Client
		if d.ENI != "" {
			flow += " (logged on " + d.ENI + ")"
		}
		switch {
		case h.info.unplaced:
			f.Severity = min(f.Severity, rules.SeverityWarning)
			f.Message = fmt.Sprintf("%s: %s is one of %s's sources, but the records do not show whether it sent this or received it (the default format with two private addresses; give --topology or log flow-direction): it may have reached a destination %s prohibits.", flow, d.ENI, p.ID, p.ID)
		case h.info.blocked && p.Direction == Inbound:
			f.Kind, f.Severity = KindBlocked, rules.SeverityInfo
			f.Message = fmt.Sprintf("%s was REJECTed: %s, a source prohibited by %s, tried to reach %s, and a security group or network ACL stopped it.", flow, who, p.ID, d.Flow.Server)
		case h.info.blocked:
			f.Kind, f.Severity = KindBlocked, rules.SeverityInfo
			f.Message = fmt.Sprintf("%s was REJECTed: %s tried to reach a destination prohibited by %s, and a security group or network ACL stopped it.", flow, who, p.ID)
		case p.Direction == Inbound:
			f.Message = fmt.Sprintf("%s was ACCEPTed: %s was reached from %s, a source prohibited by %s.", flow, d.Flow.Server, who, p.ID)
		default:
			f.Message = fmt.Sprintf("%s was ACCEPTed: %s reached a destination prohibited by %s.", flow, who, p.ID)
		}
		if h.exc != nil {
			f.Severity = rules.SeverityInfo
			f.Suppressed = suppressionOf(h.exc)
		}
		out = append(out, f)
	}
	return out
}

func suppressionOf(e *Exception) *Suppression {
	s := &Suppression{Exception: e.ID, Owner: e.Owner, Reason: e.Reason, Location: e.Pos}
	if !e.Expires.IsZero() {
		s.Expires = e.Expires.Format("2006-01-02")
	}
	return s
}

func titleOf(p *Prohibition) string {
	if p.Title != "" {
		return p.Title
	}
	return "Prohibited destination: " + p.ID
}

// flowText renders "tcp 10.0.1.5:51234 -> 203.0.113.9:443", or
// "gre 10.0.1.5 -> 203.0.113.9" for a protocol without ports.
func flowText(f engine.Flow) string {
	if !rules.FlowHasPorts(f.Protocol) {
		return f.Protocol + " " + f.Client + " -> " + f.Server
	}
	return f.Protocol + " " + hostPort(f.Client, f.ClientPort) + " -> " + hostPort(f.Server, f.ServerPort)
}

func hostPort(a string, p uint16) string {
	if strings.Contains(a, ":") {
		return "[" + a + "]:" + itoa(int(p))
	}
	return a + ":" + itoa(int(p))
}

func itoa(n int) string { return strconv.Itoa(n) }

// PolicyFindings returns the findings about the policy itself: every
// exception that expired at the review time, and every prohibition of
// destinations that no security group, network ACL or flow log can see.
func (c *Compiled) PolicyFindings() []Finding {
	var out []Finding
	for _, p := range c.Policy.Prohibitions {
		out = append(out, c.unenforceable(p)...)
	}
	for _, e := range c.Expired() {
		out = append(out, Finding{
			Kind: KindExpired, Prohibition: ExpiredRuleID, Severity: rules.SeverityWarning,
			Title:   "Expired exception",
			Message: fmt.Sprintf("exception %s to %s (owner %s) expired on %s; it no longer suppresses findings", e.ID, e.Prohibition.ID, e.Owner, e.Expires.Format("2006-01-02")),
			Reason:  e.Reason,
			Fix:     fmt.Sprintf("renew it with a new expires: date if %s still needs it, or delete it", e.Owner),
			Rule:    e.ID, Component: e.Prohibition.ID, Location: e.Pos,
		})
	}
	return out
}

// ExpiredRuleID is the SARIF rule id of expired-exception findings.
const ExpiredRuleID = "expired-exception"

// Sort orders findings for output: severity (worst first), then kind,
// prohibition, location, flow and first seen, so output never depends on
// the order conversations completed in.
func Sort(fs []Finding) {
	rank := map[Kind]int{KindReached: 0, KindRulePermits: 1, KindExpired: 2, KindUnenforceable: 3, KindBlocked: 4}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if (a.Suppressed == nil) != (b.Suppressed == nil) {
			return a.Suppressed == nil
		}
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if rank[a.Kind] != rank[b.Kind] {
			return rank[a.Kind] < rank[b.Kind]
		}
		if a.Prohibition != b.Prohibition {
			return a.Prohibition < b.Prohibition
		}
		if a.Location != b.Location {
			if a.Location.File != b.Location.File {
				return a.Location.File < b.Location.File
			}
			if a.Location.Line != b.Location.Line {
				return a.Location.Line < b.Location.Line
			}
			return a.Location.Col < b.Location.Col
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.First != b.First {
			return a.First < b.First
		}
		return flowText(a.Flow) < flowText(b.Flow)
	})
}

// jsonFinding is the documented JSON schema of a finding (docs/review.md).
type jsonFinding struct {
	Kind          string       `json:"kind"`
	Prohibition   string       `json:"prohibition"`
	Severity      string       `json:"severity"`
	Title         string       `json:"title"`
	Message       string       `json:"message"`
	Reason        string       `json:"reason,omitempty"`
	Fix           string       `json:"fix,omitempty"`
	Flow          *engine.Flow `json:"flow,omitempty"`
	ENI           string       `json:"eni,omitempty"`
	Subnet        string       `json:"subnet,omitempty"`
	FirstSeen     string       `json:"first_seen,omitempty"`
	LastSeen      string       `json:"last_seen,omitempty"`
	Packets       *int64       `json:"packets,omitempty"`
	Bytes         *int64       `json:"bytes,omitempty"`
	Evidence      []string     `json:"evidence,omitempty"`
	MoreEvidence  int          `json:"more_evidence,omitempty"`
	Conversations int          `json:"conversations,omitempty"`
	Component     string       `json:"component,omitempty"`
	Rule          string       `json:"rule,omitempty"`
	Location      *jsonPos     `json:"location,omitempty"`
	Suppressed    *jsonSuppr   `json:"suppressed,omitempty"`
}

type jsonPos struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

type jsonSuppr struct {
	Exception string   `json:"exception"`
	Owner     string   `json:"owner"`
	Reason    string   `json:"reason"`
	Expires   string   `json:"expires,omitempty"`
	Location  *jsonPos `json:"location,omitempty"`
}

func jsonPosOf(p Pos) *jsonPos {
	if p.File == "" {
		return nil
	}
	return &jsonPos{File: p.File, Line: p.Line, Column: p.Col}
}

// IsTraffic reports whether the finding comes from the logs.
func (f *Finding) IsTraffic() bool { return f.Kind == KindReached || f.Kind == KindBlocked }

// MarshalJSON renders the documented schema.
func (f Finding) MarshalJSON() ([]byte, error) {
	j := jsonFinding{
		Kind: string(f.Kind), Prohibition: f.Prohibition, Severity: f.Severity.String(), Title: f.Title,
		Message: f.Message, Reason: f.Reason, Fix: f.Fix, Component: f.Component, Rule: f.Rule,
		Location: jsonPosOf(f.Location),
	}
	if f.IsTraffic() {
		fl := f.Flow
		j.Flow, j.ENI, j.Subnet = &fl, f.ENI, f.Subnet
		j.FirstSeen = time.Unix(f.First, 0).UTC().Format(time.RFC3339)
		j.LastSeen = time.Unix(f.Last, 0).UTC().Format(time.RFC3339)
		p, b := f.Packets, f.Bytes
		j.Packets, j.Bytes = &p, &b
		j.Evidence = f.Evidence
		if j.Evidence == nil {
			j.Evidence = []string{}
		}
		j.MoreEvidence = f.MoreEvidence
		j.Conversations = f.Conversations
	}
	if s := f.Suppressed; s != nil {
		j.Suppressed = &jsonSuppr{Exception: s.Exception, Owner: s.Owner, Reason: s.Reason, Expires: s.Expires, Location: jsonPosOf(s.Location)}
	}
	return json.Marshal(j)
}
