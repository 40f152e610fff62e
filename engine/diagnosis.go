package engine

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowdiag/flowdiag/correlate"
	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/rules"
)

// Flow names a conversation: its protocol, and the client (initiator) and
// server ends.
type Flow struct {
	Protocol   string `json:"protocol"`
	Client     string `json:"client"`
	ClientPort uint16 `json:"client_port"`
	Server     string `json:"server"`
	ServerPort uint16 `json:"server_port"`
}

// Diagnosis is what flowdiag concludes about one conversation: the rule that
// matched and what it blames. Its JSON form is the stable schema documented
// in docs/explain.md.
type Diagnosis struct {
	Rule        string
	Title       string
	Severity    rules.Severity
	Verdict     rules.Verdict
	Component   string // NACL id, or SG id(s); empty when unknown
	NACLRule    int    // NACL entry number that decided; 0 when none
	Direction   string // ingress | egress at the component
	Leg         string // request | reply
	ENI         string // ENI whose records show the blocked traffic
	Subnet      string
	VPC         string
	Flow        Flow
	First, Last int64 // Unix seconds
	Packets     int64
	Bytes       int64
	Evidence    []flowlog.Pos
	// EvidenceENIs names, comma-joined, the ENIs that logged Evidence when
	// they are not ENI alone (a rule blaming an ENI's gap, which logged
	// none of the conversation's records).
	EvidenceENIs string
	// MoreEvidence counts evidence records not listed in Evidence.
	MoreEvidence int
	Gaps         []correlate.Gap
	Message      string
	Remediation  string
	Supporting   []string // ids of the other rules that matched, most specific first
	Basis        string   // how the client was chosen
	Confidence   string
	Topology     bool // the verdict used topology facts
	// CutEarly: the conversation was completed before its horizon under
	// the bound on open conversations (correlate.Conversation.CutEarly),
	// so records missing from it may only have come later.
	CutEarly bool
	// Predicted is set when the blamed component is the topology's
	// verdict on traffic no ENI logged where it was blamed: the reply a
	// server's unmonitored ENI would send, a request that never arrived.
	Predicted bool
}

func newDiagnosis(c *correlate.Conversation, win *rules.Rule, out rules.Outcome, others []*rules.Rule, env *rules.Env) Diagnosis {
	d := Diagnosis{
		Rule:        win.ID,
		Title:       win.Title,
		Severity:    win.Severity,
		Verdict:     win.Verdict,
		Component:   out.Component,
		NACLRule:    out.RuleNumber,
		Direction:   out.Direction,
		Leg:         out.Leg,
		ENI:         out.ENI,
		Subnet:      out.Subnet,
		First:       c.First,
		Last:        c.Last,
		Gaps:        c.Gaps,
		Message:     out.Message,
		Remediation: out.Remediation,
		Basis:       env.Flow.Basis,
		Confidence:  env.Flow.Confidence,
		Topology:    env.Topo.Present,
		CutEarly:    c.CutEarly,
		Flow: Flow{
			Protocol:   env.Flow.Protocol,
			Client:     env.Flow.Client,
			ClientPort: c.Client.Port(),
			Server:     env.Flow.Server,
			ServerPort: c.Server.Port(),
		},
	}
	if len(others) > 0 {
		d.Supporting = make([]string, len(others))
		for i, r := range others {
			d.Supporting[i] = r.ID
		}
	}
	d.Predicted = d.evidenceFrom(c) && d.Component != ""
	if d.Subnet == "" && d.ENI != "" {
		// The logs of d.ENI had no subnet-id; the topology may know it.
		for _, e := range [...]*rules.Side{&env.Client, &env.Server, &env.Transit} {
			if e.ENI == d.ENI {
				d.Subnet = e.Subnet
				break
			}
		}
	}
	return d
}

// evidenceFrom picks the records that show what the diagnosis blames: the
// blamed leg on the blamed ENI when the rule names them, else every leg that
// saw a rejection, else everything. Packets and bytes are those of the same
// legs (rejected traffic when there was any).
//
// A rule may blame a place the topology predicts, on an ENI that logged
// nothing (the reply denied leaving a server whose ENI is not monitored).
// Then the evidence is what a logging ENI saw, d.ENI and d.Subnet name that
// ENI (the fields say whose records show the traffic; the component names
// the blamed place), and packets and bytes count only the blamed leg, which
// may be none: a reply never seen.
//
// It reports whether the blamed ENI or leg logged nothing.
func (d *Diagnosis) evidenceFrom(c *correlate.Conversation) (unlogged bool) {
	var legs []*correlate.Leg
	var view *correlate.View
	if d.ENI != "" {
		view, _ = c.View(d.ENI)
	}
	blamedLeg := func(v *correlate.View) []*correlate.Leg {
		switch d.Leg {
		case "request":
			return []*correlate.Leg{&v.Request}
		case "reply":
			return []*correlate.Leg{&v.Reply}
		}
		return []*correlate.Leg{&v.Request, &v.Reply}
	}
	predicted := false
	switch {
	case view != nil:
		d.Subnet = firstNonEmpty(d.Subnet, view.Subnet)
		d.VPC = view.VPC
		if legs = blamedLeg(view); !legs[0].Seen && d.Leg != "" {
			// The blamed leg was never logged here (no reply): the
			// evidence is what was, its packets are not the leg's.
			predicted = true
			legs = []*correlate.Leg{&view.Request, &view.Reply}
		}
	case d.ENI != "" && len(c.Views) > 0 && !gapsOn(c, d.ENI):
		// The evidence and d.ENI name one logging ENI: the first that saw
		// the blamed leg, else the first; an end's ENI before one that
		// forwards (a NAT gateway's).
		predicted = true
		best := -1
		for i := range c.Views {
			v := &c.Views[i]
			rank := 0
			if blamedLeg(v)[0].Seen {
				rank += 2
			}
			if v.Role != correlate.RoleTransit {
				rank++
			}
			if rank > best {
				view, best = v, rank
			}
		}
		d.ENI, d.Subnet, d.VPC = view.ENI, view.Subnet, view.VPC
		if legs = blamedLeg(view); !legs[0].Seen {
			legs = []*correlate.Leg{&view.Request, &view.Reply} // never logged: show what was
		}
	default:
		for i := range c.Views {
			v := &c.Views[i]
			for _, l := range [...]*correlate.Leg{&v.Request, &v.Reply} {
				if l.Reject.Records > 0 {
					legs = append(legs, l)
				}
			}
		}
		if len(legs) == 0 {
			for i := range c.Views {
				legs = append(legs, &c.Views[i].Request, &c.Views[i].Reply)
			}
		}
	}
	if view == nil && d.ENI == "" && len(c.Views) == 1 {
		v := &c.Views[0]
		d.ENI = v.ENI
		d.Subnet = firstNonEmpty(d.Subnet, v.Subnet)
		d.VPC = v.VPC
	}
	// A prediction counts the packets of the blamed leg only.
	blamed := func(l *correlate.Leg) bool {
		return !predicted || d.Leg == "" || (d.Leg == "request" && l == &view.Request) || (d.Leg == "reply" && l == &view.Reply)
	}
	rejected := false
	for _, l := range legs {
		if l.Reject.Records > 0 {
			rejected = true
		}
	}
	for _, l := range legs {
		if !l.Seen {
			continue
		}
		if blamed(l) {
			if rejected {
				d.Packets += l.Reject.Packets
				d.Bytes += l.Reject.Bytes
			} else {
				d.Packets += l.Accept.Packets
				d.Bytes += l.Accept.Bytes
			}
		}
		if len(legs) == 1 {
			d.Evidence = l.Evidence // shared with the conversation; never modified
		} else {
			d.Evidence = append(d.Evidence, l.Evidence...)
		}
		d.MoreEvidence += l.MoreEvidence
	}
	if len(d.Evidence) > 0 && view == nil {
		var enis []string
		for i := range c.Views {
			v := &c.Views[i]
			for _, l := range legs {
				if l.Seen && (l == &v.Request || l == &v.Reply) && !slices.Contains(enis, v.ENI) {
					enis = append(enis, v.ENI)
				}
			}
		}
		if len(enis) != 1 || enis[0] != d.ENI {
			d.EvidenceENIs = strings.Join(enis, ",")
		}
	}
	return predicted
}

// gapsOn reports whether enis (one ENI id or a list) names an ENI whose
// NODATA/SKIPDATA records overlap c: a rule blaming missing evidence blames
// the ENI that logged the gap, which rightly has no view of c.
func gapsOn(c *correlate.Conversation, enis string) bool {
	for i := range c.Gaps {
		if strings.Contains(enis, c.Gaps[i].ENI) {
			return true
		}
	}
	return false
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// FirstSeen returns the first record's start as UTC.
func (d *Diagnosis) FirstSeen() time.Time { return time.Unix(d.First, 0).UTC() }

// LastSeen returns the last record's end as UTC.
func (d *Diagnosis) LastSeen() time.Time { return time.Unix(d.Last, 0).UTC() }

// PosString renders a record position as "file:line".
func PosString(p flowlog.Pos) string {
	return p.Source + ":" + strconv.FormatInt(p.Line, 10)
}

// jsonDiagnosis is the documented, stable JSON schema of a diagnosis.
type jsonDiagnosis struct {
	Rule           string    `json:"rule"`
	Title          string    `json:"title"`
	Severity       string    `json:"severity"`
	Verdict        string    `json:"verdict"`
	Component      string    `json:"component"`
	NACLRuleNumber *int      `json:"nacl_rule_number,omitempty"`
	Direction      string    `json:"direction"`
	Leg            string    `json:"leg"`
	ENI            string    `json:"eni"`
	Subnet         string    `json:"subnet"`
	VPC            string    `json:"vpc,omitempty"`
	Flow           Flow      `json:"flow"`
	FirstSeen      string    `json:"first_seen"`
	LastSeen       string    `json:"last_seen"`
	Packets        int64     `json:"packets"`
	Bytes          int64     `json:"bytes"`
	Evidence       []string  `json:"evidence"`
	MoreEvidence   int       `json:"more_evidence,omitempty"`
	Gaps           []jsonGap `json:"gaps,omitempty"`
	Message        string    `json:"message"`
	Remediation    string    `json:"remediation"`
	Supporting     []string  `json:"supporting"`
	ClientBasis    string    `json:"client_basis"`
	Confidence     string    `json:"client_confidence"`
	Topology       bool      `json:"topology"`
	CutEarly       bool      `json:"cut_early,omitempty"`
	Predicted      bool      `json:"predicted,omitempty"`
}

type jsonGap struct {
	ENI    string `json:"eni"`
	Status string `json:"status"`
	Start  string `json:"start"`
	End    string `json:"end"`
	Record string `json:"record"`
}

// MarshalJSON renders the documented schema: times in RFC 3339 UTC, evidence
// as "file:line", lists as [] rather than null.
func (d Diagnosis) MarshalJSON() ([]byte, error) {
	j := jsonDiagnosis{
		Rule: d.Rule, Title: d.Title, Severity: d.Severity.String(), Verdict: string(d.Verdict),
		Component: d.Component, Direction: d.Direction, Leg: d.Leg, ENI: d.ENI, Subnet: d.Subnet, VPC: d.VPC,
		Flow:      d.Flow,
		FirstSeen: d.FirstSeen().Format(time.RFC3339), LastSeen: d.LastSeen().Format(time.RFC3339),
		Packets: d.Packets, Bytes: d.Bytes, MoreEvidence: d.MoreEvidence,
		Message: d.Message, Remediation: d.Remediation, ClientBasis: d.Basis, Confidence: d.Confidence,
		Topology:   d.Topology,
		CutEarly:   d.CutEarly,
		Predicted:  d.Predicted,
		Evidence:   make([]string, len(d.Evidence)),
		Supporting: d.Supporting,
	}
	if d.NACLRule != 0 {
		n := d.NACLRule
		j.NACLRuleNumber = &n
	}
	for i, p := range d.Evidence {
		j.Evidence[i] = PosString(p)
	}
	if j.Supporting == nil {
		j.Supporting = []string{}
	}
	for _, g := range d.Gaps {
		j.Gaps = append(j.Gaps, jsonGap{
			ENI: g.ENI, Status: g.Status.String(),
			Start:  time.Unix(g.Start, 0).UTC().Format(time.RFC3339),
			End:    time.Unix(g.End, 0).UTC().Format(time.RFC3339),
			Record: PosString(g.Pos),
		})
	}
	return json.Marshal(j)
}
