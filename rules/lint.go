package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// LintIssue is a problem lint found in a rule that loads fine.
type LintIssue struct {
	Pos  Pos
	Rule string
	Msg  string
}

func (i LintIssue) String() string { return fmt.Sprintf("%s: rule %s: %s", i.Pos, i.Rule, i.Msg) }

// Lint reports rules that can never match and rules that can never win.
// What it detects, from the top-level && conjuncts of when: (see guard):
//   - a condition that is constant false after expr's optimiser;
//   - two conjuncts that contradict (x and !x; s == "a" and s == "b");
//   - a conjunct that needs a REJECT record while on: admits only accept;
//   - no example with match: true (nothing shows the rule can match);
//   - a rule shadowed by one that outranks it, runs on every conversation it
//     runs on, and whose conjuncts are a subset of its own (identical or
//     trivially implied condition), so it is at most supporting.
//
// Conditions are compared syntactically; lint does not prove implications
// through ||, arithmetic or helper functions.
func (s *Set) Lint() []LintIssue {
	var out []LintIssue
	add := func(r *Rule, format string, args ...any) {
		out = append(out, LintIssue{Pos: r.Pos, Rule: r.ID, Msg: fmt.Sprintf(format, args...)})
	}
	for _, r := range s.rules {
		if alwaysFalse(r.when.Node()) {
			add(r, "never matches: when: is always false")
		}
		if c := contradiction(r.guard.clauses); c != "" {
			add(r, "never matches: when: requires %s", c)
		}
		if c := outOfRange(r.when.Node()); c != "" {
			add(r, "never matches: when: requires %s", c)
		}
		if r.On&(OnReject|OnGap) == 0 && needsReject(r.guard.clauses) {
			add(r, "never matches: when: requires a REJECT record but on: [%s] runs it only on conversations without one", r.On)
		}
		matching := false
		for _, ex := range r.Examples {
			matching = matching || ex.Match
		}
		if !matching {
			add(r, "no example with match: true; add one to show the rule can match")
		}
	}
	for _, b := range s.rules {
		for _, a := range s.rules {
			if a == b || !outranks(a, b) || a.On&b.On != b.On || !subset(a.guard.conjuncts, b.guard.conjuncts) {
				continue
			}
			add(b, "shadowed by %s (%s): its condition holds whenever this one does and it outranks this rule (specificity %d vs %d)",
				a.ID, a.Pos, a.Specificity, b.Specificity)
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Pos.File != out[j].Pos.File {
			return out[i].Pos.File < out[j].Pos.File
		}
		return out[i].Pos.Line < out[j].Pos.Line
	})
	return out
}

func subset(a, b []string) bool {
	if len(a) == 0 {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// contradiction describes two single-literal clauses that cannot both hold.
func contradiction(cs []clause) string {
	for i, a := range cs {
		for _, b := range cs[i+1:] {
			if len(a) != 1 || len(b) != 1 {
				continue
			}
			x, y := a[0], b[0]
			if x.off != y.off || x.str != y.str {
				continue
			}
			name := fieldName(x.off)
			switch {
			case !x.str && x.want != y.want:
				return fmt.Sprintf("both %s and !%s", name, name)
			case x.str && x.want && y.want && x.s != y.s:
				return fmt.Sprintf("%s == %q and == %q", name, x.s, y.s)
			case x.str && x.want != y.want && x.s == y.s:
				return fmt.Sprintf("%s == %q and != %q", name, x.s, x.s)
			}
		}
	}
	return ""
}

// needsReject reports whether some clause can only hold with a REJECT
// record: every literal of it is a leg's rejected flag or a BPA reason.
func needsReject(cs []clause) bool {
	for _, c := range cs {
		all := len(c) > 0
		for _, l := range c {
			n := fieldName(l.off)
			rej := !l.str && l.want && strings.HasSuffix(n, ".rejected")
			bpa := l.str && l.want && l.s != "" && strings.HasSuffix(n, ".reject_reason")
			all = all && (rej || bpa)
		}
		if all {
			return true
		}
	}
	return false
}

// intRanges are the values integer facts can take.
var intRanges = map[string][2]int{
	"flow.server_port": {0, 65535}, "flow.client_port": {0, 65535}, "flow.proto_num": {0, 255},
}

// outOfRange describes a top-level conjunct comparing a port or protocol
// number with a constant it can never satisfy (flow.server_port > 70000),
// or "".
func outOfRange(n ast.Node) string {
	if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "&&" || b.Operator == "and") {
		if c := outOfRange(b.Left); c != "" {
			return c
		}
		return outOfRange(b.Right)
	}
	b, ok := n.(*ast.BinaryNode)
	if !ok {
		return ""
	}
	name, lim, k, op := "", [2]int{}, 0, b.Operator
	if f, ok := factPath(b.Left); ok {
		if c, ok := b.Right.(*ast.IntegerNode); ok {
			name, k = f, c.Value
		}
	} else if f, ok := factPath(b.Right); ok {
		if c, ok := b.Left.(*ast.IntegerNode); ok {
			// k op f is f op' k.
			name, k = f, c.Value
			op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}[op]
		}
	}
	if lim, ok = intRanges[name]; !ok {
		return ""
	}
	lo, hi := lim[0], lim[1]
	never := false
	switch op {
	case "==":
		never = k < lo || k > hi
	case ">":
		never = k >= hi
	case ">=":
		never = k > hi
	case "<":
		never = k <= lo
	case "<=":
		never = k < lo
	}
	if !never {
		return ""
	}
	return fmt.Sprintf("%s %s %d, but it is %d-%d", name, op, k, lo, hi)
}

// factPath returns "flow.server_port" for that member expression.
func factPath(n ast.Node) (string, bool) {
	m, ok := n.(*ast.MemberNode)
	if !ok {
		return "", false
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	prop, ok2 := m.Property.(*ast.StringNode)
	if !ok || !ok2 {
		return "", false
	}
	return id.Value + "." + prop.Value, true
}

func alwaysFalse(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.BoolNode:
		return !n.Value
	case *ast.ConstantNode:
		b, ok := n.Value.(bool)
		return ok && !b
	}
	return false
}
