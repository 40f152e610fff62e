package rules

import (
	"github.com/flowdiag/flowdiag/internal/loc"

	"fmt"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/vm"
)

// Severity orders diagnoses: info < warning < error < critical. The zero
// value is Info.
type Severity uint8

// Severities, in increasing order.
const (
	SeverityInfo Severity = iota
	SeverityWarning
	SeverityError
	SeverityCritical
)

var severityNames = [...]string{"info", "warning", "error", "critical"}

func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "severity(" + strconv.Itoa(int(s)) + ")"
}

// ParseSeverity accepts info, warning (or warn), error and critical in any case.
func ParseSeverity(s string) (Severity, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "warn" {
		return SeverityWarning, nil
	}
	for i, n := range severityNames {
		if n == t {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("%q is not a severity: want one of info, warning, error, critical", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) {
	if int(s) >= len(severityNames) {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Verdict is what a rule concludes. The set is closed: see Verdicts.
type Verdict string

// Verdicts a rule may give.
const (
	VerdictNACL              Verdict = "nacl"                   // a network ACL blocked it (proved)
	VerdictSG                Verdict = "sg"                     // a security group blocked it (proved)
	VerdictNACLOrSG          Verdict = "nacl-or-sg"             // an SG or a NACL; the logs cannot tell which
	VerdictNoReply           Verdict = "no-reply"               // the request got through, nothing answered
	VerdictIncomplete        Verdict = "incomplete-evidence"    // flow log gaps may hide the answer
	VerdictNotMisconfig      Verdict = "not-a-misconfiguration" // expected REJECTs (stragglers after close)
	VerdictStaleTopology     Verdict = "stale-topology"         // the topology contradicts what AWS logged
	VerdictRoutingUnmonitord Verdict = "routing-or-unmonitored" // the request vanished between two ENIs
	VerdictBPA               Verdict = "bpa"                    // VPC Block Public Access
	VerdictInfo              Verdict = "info"                   // informational only
)

// Verdicts lists every valid verdict in documentation order.
var Verdicts = []Verdict{VerdictNACL, VerdictSG, VerdictNACLOrSG, VerdictNoReply, VerdictIncomplete,
	VerdictNotMisconfig, VerdictStaleTopology, VerdictRoutingUnmonitord, VerdictBPA, VerdictInfo}

// Valid reports whether v is one of Verdicts.
func (v Verdict) Valid() bool {
	for _, w := range Verdicts {
		if v == w {
			return true
		}
	}
	return false
}

// OnMask is the cheap prefilter applied in Go before a rule's when:
// expression. A rule runs on a conversation when their masks intersect; see
// MaskOf for how a conversation is classified.
type OnMask uint8

// Prefilter bits.
const (
	OnReject OnMask = 1 << iota // the conversation has a REJECT record
	OnAccept                    // ACCEPT records and no REJECT
	OnGap                       // NODATA/SKIPDATA gaps overlap the conversation
	OnAny    = OnReject | OnAccept | OnGap
)

// RunsOn reports whether a rule with on: m runs on a conversation of class
// c (from MaskOf). any runs on every class, also the empty one: facts with
// no ACCEPT or REJECT record and no gap, as an example that gives only
// flow fields has, belong to no class, and a rule that says any must not
// be skipped for that.
func (m OnMask) RunsOn(c OnMask) bool { return m == OnAny || m&c != 0 }

var onNames = []struct {
	name string
	bit  OnMask
}{{"reject", OnReject}, {"accept", OnAccept}, {"gap", OnGap}}

// String lists the bits as the YAML spells them: "reject,gap" or "any".
func (m OnMask) String() string {
	if m == OnAny {
		return "any"
	}
	var parts []string
	for _, n := range onNames {
		if m&n.bit != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, ",")
}

// ParseOn accepts reject, accept, gap or any.
func ParseOn(s string) (OnMask, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "any" {
		return OnAny, nil
	}
	for _, n := range onNames {
		if n.name == t {
			return n.bit, nil
		}
	}
	return 0, fmt.Errorf("%q is not an on: value: want one of reject, accept, gap, any", s)
}

// Pos is a position in a rule file. Line and Col are 1-based; zero when
// unknown.
type Pos = loc.Pos

// Rule is one compiled diagnosis rule. Rules are immutable after loading and
// safe to share between goroutines.
type Rule struct {
	ID          string
	Title       string
	Severity    Severity
	Tags        []string
	On          OnMask
	Specificity int
	Verdict     Verdict
	Pos         Pos    // of the rule's id
	When        string // the when: expression source
	Message     string // message template source
	Remediation string // remediation template source
	Examples    []Example
	Builtin     bool // embedded in the binary

	when        *vm.Program
	guard       guard
	blame       blamePrograms
	message     template
	remediation template
}

// Example is one inline example of a rule: facts in, expected outcome out.
type Example struct {
	Name  string
	Facts Env
	Match bool
	Pos   Pos

	invalid bool // facts had errors: reported at load, not evaluated
}

// Outcome is what a winning rule says about a conversation.
type Outcome struct {
	Component   string
	RuleNumber  int
	Direction   string
	Leg         string
	ENI         string
	Subnet      string
	Message     string
	Remediation string
}

type blamePrograms struct {
	component, direction, leg, eni, subnet *vm.Program
	ruleNumber                             *vm.Program
	// direct forms of component..subnet (in that order) and ruleNumber
	direct     [5]direct
	ruleDirect direct
}

// template is a message with {{ expr }} placeholders compiled to programs.
type template struct {
	lits   []string      // len(lits) == len(progs)+1
	progs  []*vm.Program // each yields any value, formatted with fmt
	direct []direct      // progs[i] evaluated in Go when direct[i].ok
	size   int           // of a typical rendering, to size the builder once
}
