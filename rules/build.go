package rules

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"
)

// Def describes a rule built in Go rather than read from a rule file:
// flowdiag review compiles the prohibitions of a policy to Defs. The fields
// mean what the rule file keys of the same names mean (docs/rules.md); the
// expressions compile against Env exactly as in a rule file.
type Def struct {
	ID          string
	Title       string
	Severity    Severity
	Tags        []string
	On          OnMask // 0 means OnAny
	Specificity int
	Verdict     Verdict
	When        string
	Blame       BlameDef
	Message     string // template with {{ expr }} placeholders
	Remediation string // template, may be empty
	// Pos is where the rule is defined (reported as the rule's position).
	Pos Pos
	// WhenPos is where the first character of When is in its source; an
	// error inside When is reported at the offending character, taking
	// later lines of When to start at the same column (a YAML literal
	// block). With Col 0 errors name WhenPos as is.
	WhenPos Pos
}

// BlameDef holds the blame expressions of a Def; empty ones are not set.
type BlameDef struct {
	Component, RuleNumber, Direction, Leg, ENI, Subnet string
}

// Build compiles defs into a Set, in the given order. Every problem is
// reported at once, as Errors sorted by position.
func Build(defs []Def) (*Set, error) {
	var errs Errors
	var out []*Rule
	seen := map[string]*Rule{}
	for i := range defs {
		r, es := buildRule(&defs[i])
		errs = append(errs, es...)
		if r == nil {
			continue
		}
		if first, dup := seen[r.ID]; dup {
			errs = append(errs, &Error{Pos: r.Pos, Rule: r.ID, Field: "id",
				Msg: fmt.Sprintf("duplicate id (first defined at %s)", first.Pos)})
			continue
		}
		seen[r.ID] = r
		out = append(out, r)
	}
	if len(errs) > 0 {
		errs.sort()
		return nil, errs
	}
	return newSet(out), nil
}

func buildRule(d *Def) (*Rule, Errors) {
	wp := d.WhenPos
	if wp.File == "" {
		wp = d.Pos
	}
	l := &loader{name: wp.File, h: newHelpers()}
	l.opts = l.h.options()
	fail := func(field, format string, args ...any) {
		l.errs = append(l.errs, &Error{Pos: d.Pos, Rule: d.ID, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if d.ID == "" || !validID(d.ID) {
		fail("id", "%q: want lower-case letters, digits and dashes", d.ID)
		return nil, l.errs
	}
	if !d.Verdict.Valid() {
		fail("verdict", "%q is not a verdict: want one of %s", string(d.Verdict), verdictList())
	}
	if strings.TrimSpace(d.Title) == "" {
		fail("title", "must not be empty")
	}
	if strings.TrimSpace(d.When) == "" {
		fail("when", "must not be empty")
	}
	r := &Rule{ID: d.ID, Title: d.Title, Severity: d.Severity, Tags: d.Tags, On: d.On,
		Specificity: d.Specificity, Verdict: d.Verdict, Pos: d.Pos, When: d.When,
		Message: d.Message, Remediation: d.Remediation}
	if r.On == 0 {
		r.On = OnAny
	}
	// The loader maps expression offsets to positions through the source
	// lines and a YAML node; give it lines that hold When where WhenPos says.
	node := synthNode(l, d.When, wp)
	if d.When != "" {
		r.when = l.compile(node, d.When, 0, d.ID, "when", expr.AsBool())
		if r.when != nil {
			r.guard = buildGuard(d.When)
		}
	}
	at := &yaml.Node{Kind: yaml.ScalarNode, Line: d.Pos.Line, Column: d.Pos.Col}
	lp := l.name
	l.name = d.Pos.File
	str := expr.AsKind(reflect.String)
	blame := func(src, field string, opt expr.Option) *vm.Program {
		if src == "" {
			return nil
		}
		return l.compile(at, src, 0, d.ID, "blame."+field, opt)
	}
	r.blame.component = blame(d.Blame.Component, "component", str)
	r.blame.ruleNumber = blame(d.Blame.RuleNumber, "rule_number", expr.AsInt())
	r.blame.direction = blame(d.Blame.Direction, "direction", str)
	r.blame.leg = blame(d.Blame.Leg, "leg", str)
	r.blame.eni = blame(d.Blame.ENI, "eni", str)
	r.blame.subnet = blame(d.Blame.Subnet, "subnet", str)
	r.message = l.template(at, d.Message, d.ID, "message")
	r.remediation = l.template(at, d.Remediation, d.ID, "remediation")
	l.name = lp
	if len(l.errs) > 0 {
		return nil, l.errs
	}
	r.prepareDirect()
	return r, nil
}

// synthNode returns a scalar node for src at p, with l.lines set so that
// loader.offsetPos maps offsets in src to file positions.
func synthNode(l *loader, src string, p Pos) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: src, Line: p.Line, Column: p.Col}
	if p.Line < 1 || p.Col < 1 {
		return n
	}
	pad := strings.Repeat(" ", p.Col-1)
	parts := strings.Split(src, "\n")
	if len(parts) == 1 {
		l.lines = make([]string, p.Line)
		l.lines[p.Line-1] = pad + src
		return n
	}
	// A literal block: the indicator line, then content lines.
	l.lines = make([]string, p.Line-1, p.Line-1+len(parts))
	for _, s := range parts {
		l.lines = append(l.lines, pad+s)
	}
	n.Style = yaml.LiteralStyle
	n.Line = p.Line - 1
	if p.Col == 1 {
		return &yaml.Node{Kind: yaml.ScalarNode, Value: src, Line: p.Line, Column: p.Col} // indentation 0 is no block
	}
	return n
}
