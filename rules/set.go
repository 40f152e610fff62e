package rules

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"github.com/expr-lang/expr/vm"
)

// Set is a compiled collection of rules, in file order. A Set is immutable
// and safe for concurrent use; each goroutine evaluates through its own
// Evaluator.
type Set struct {
	rules  []*Rule          // file order (files in merge order)
	byID   map[string]*Rule // index by id
	ranked []*Rule          // specificity desc, severity desc, id asc
}

func newSet(rules []*Rule) *Set {
	s := &Set{rules: rules, byID: make(map[string]*Rule, len(rules))}
	for _, r := range rules {
		s.byID[r.ID] = r
	}
	s.ranked = append([]*Rule(nil), rules...)
	sort.SliceStable(s.ranked, func(i, j int) bool { return outranks(s.ranked[i], s.ranked[j]) })
	return s
}

// outranks reports whether a wins over b when both match.
func outranks(a, b *Rule) bool {
	if a.Specificity != b.Specificity {
		return a.Specificity > b.Specificity
	}
	if a.Severity != b.Severity {
		return a.Severity > b.Severity
	}
	return a.ID < b.ID
}

// Rules returns the rules in file order. The slice must not be modified.
func (s *Set) Rules() []*Rule { return s.rules }

// Rule returns the rule with the given id.
func (s *Set) Rule(id string) (*Rule, bool) {
	r, ok := s.byID[id]
	return r, ok
}

// Len is the number of rules.
func (s *Set) Len() int { return len(s.rules) }

// Merge returns a new Set with o's rules after s's. A rule id present in
// both is an error naming both positions.
func (s *Set) Merge(o *Set) (*Set, error) {
	var errs Errors
	for _, r := range o.rules {
		if first, dup := s.byID[r.ID]; dup {
			errs = append(errs, &Error{Pos: r.Pos, Rule: r.ID, Field: "id",
				Msg: fmt.Sprintf("duplicate id (first defined at %s)", first.Pos)})
		}
	}
	if len(errs) > 0 {
		errs.sort()
		return nil, errs
	}
	return newSet(append(append([]*Rule(nil), s.rules...), o.rules...)), nil
}

// Evaluator runs a Set's rules. It owns an expr virtual machine and a
// reusable copy of the environment, so it must be used by one goroutine at a
// time; create one per worker with NewEvaluator.
type Evaluator struct {
	set *Set
	vm  vm.VM
	// box is an interface value of dynamic type Env whose data word points
	// at *cur. expr reads fields through reflection; from a non-addressable
	// Env inside an interface, reflect.Value.Interface returns the field
	// without copying it to the heap, while a *Env (addressable) would cost
	// one allocation per field read. Match copies the caller's Env into
	// *cur, so the interface sees it without re-boxing (which would
	// allocate the whole Env per call). This relies on the runtime's
	// two-word interface layout (checked with Go 1.26 and expr v1.17.8);
	// TestEvaluatorBoxAliasesEnv fails if that ever stops holding, and
	// TestGuardEquivalence compares results with plain expr evaluation.
	box any
	cur *Env
	// noDirect makes Render run expr for every placeholder and blame
	// expression (tests compare the two).
	noDirect bool
}

// NewEvaluator returns an Evaluator for s.
func (s *Set) NewEvaluator() *Evaluator {
	e := &Evaluator{set: s, cur: new(Env)}
	e.box = Env{}
	(*eface)(unsafe.Pointer(&e.box)).data = unsafe.Pointer(e.cur)
	return e
}

// eface is the layout of an empty interface (runtime.eface).
type eface struct {
	typ, data unsafe.Pointer
}

// Match returns the rules matching env, best first (highest specificity,
// then severity, then id), appended to out[:0]. on is the conversation's
// class from MaskOf; 0 means compute it. Rules whose on: mask does not
// intersect it are skipped without running expr. Match does not allocate
// when out has enough capacity.
//
// A rule whose condition fails at run time (an index out of range, a
// division by zero) is skipped and the others are still evaluated: out is
// valid even when the error is not nil. The error is an Errors holding one
// *Error per failing rule.
func (e *Evaluator) Match(env *Env, on OnMask, out []*Rule) ([]*Rule, error) {
	out = out[:0]
	if on == 0 {
		on = MaskOf(env)
	}
	var failed Errors // nil, and no allocation, unless a rule fails
	copied := false
	for _, r := range e.set.ranked {
		if !r.On.RunsOn(on) || !r.guard.pass(env) {
			continue
		}
		if r.guard.exact {
			out = append(out, r)
			continue
		}
		if !copied {
			*e.cur = *env
			copied = true
		}
		v, err := e.vm.Run(r.when, e.box)
		if err != nil {
			failed = append(failed, &Error{Pos: r.Pos, Rule: r.ID, Field: "when", Msg: err.Error(), Err: err})
			continue
		}
		if v.(bool) {
			out = append(out, r)
		}
	}
	if failed != nil {
		return out, failed
	}
	return out, nil
}

// matches evaluates one rule, prefilter included.
func (e *Evaluator) matches(r *Rule, env *Env) (bool, error) {
	if !r.On.RunsOn(MaskOf(env)) {
		return false, nil
	}
	*e.cur = *env
	v, err := e.vm.Run(r.when, e.box)
	if err != nil {
		return false, err
	}
	return v.(bool), nil
}

// Render evaluates the winning rule's blame expressions and fills its
// message and remediation templates for env.
func (e *Evaluator) Render(r *Rule, env *Env) (Outcome, error) {
	*e.cur = *env
	var o Outcome
	var err error
	str := func(p *vm.Program, d *direct, field string, dst *string) {
		if p == nil || err != nil {
			return
		}
		if d.isString() && !e.noDirect {
			if *dst = d.str(env); !d.lit { // a field may alias the caller's buffers
				*dst = strings.Clone(*dst)
			}
			return
		}
		var v any
		if v, err = e.vm.Run(p, e.box); err != nil {
			err = &Error{Pos: r.Pos, Rule: r.ID, Field: field, Msg: err.Error(), Err: err}
			return
		}
		*dst = strings.Clone(v.(string))
	}
	bd := &r.blame.direct
	str(r.blame.component, &bd[0], "blame.component", &o.Component)
	str(r.blame.direction, &bd[1], "blame.direction", &o.Direction)
	str(r.blame.leg, &bd[2], "blame.leg", &o.Leg)
	str(r.blame.eni, &bd[3], "blame.eni", &o.ENI)
	str(r.blame.subnet, &bd[4], "blame.subnet", &o.Subnet)
	if p := r.blame.ruleNumber; p != nil && err == nil {
		var v any
		if d := &r.blame.ruleDirect; d.ok && d.kind == reflect.Int && !e.noDirect {
			v = d.int(env)
		} else {
			v, err = e.vm.Run(p, e.box)
		}
		if err != nil {
			err = &Error{Pos: r.Pos, Rule: r.ID, Field: "blame.rule_number", Msg: err.Error(), Err: err}
		} else if n := v.(int); n < 0 || n > 32768 {
			err = &Error{Pos: r.Pos, Rule: r.ID, Field: "blame.rule_number",
				Msg: fmt.Sprintf("%d is not a network ACL rule number: want 1-32766, 32767/32768 for the default deny, or 0 for none", n)}
		} else {
			o.RuleNumber = n
		}
	}
	if err != nil {
		return o, err
	}
	if o.Message, err = e.fill(r, &r.message, "message"); err != nil {
		return o, err
	}
	o.Remediation, err = e.fill(r, &r.remediation, "remediation")
	return o, err
}

// prepareDirect finds the blame expressions and placeholders Go evaluates
// itself (see direct). The loaders call it once, when they make the rule:
// a Rule is shared by every Set it is merged into, and read by evaluators
// on several goroutines, so nothing writes to it afterwards.
func (r *Rule) prepareDirect() {
	b := &r.blame
	for i, p := range [5]*vm.Program{b.component, b.direction, b.leg, b.eni, b.subnet} {
		b.direct[i] = directOf(p)
	}
	b.ruleDirect = directOf(b.ruleNumber)
	for _, t := range []*template{&r.message, &r.remediation} {
		t.size = 24 * len(t.progs) // a guess for the values: an id, an address and port
		for _, l := range t.lits {
			t.size += len(l)
		}
		t.direct = make([]direct, len(t.progs))
		for i, p := range t.progs {
			t.direct[i] = directOf(p)
		}
	}
}

func (e *Evaluator) fill(r *Rule, t *template, field string) (string, error) {
	if len(t.progs) == 0 {
		return strings.Join(t.lits, ""), nil
	}
	var b strings.Builder
	b.Grow(t.size)
	for i, lit := range t.lits {
		b.WriteString(lit)
		if i >= len(t.progs) {
			break
		}
		if i < len(t.direct) && t.direct[i].ok && !e.noDirect {
			d := &t.direct[i]
			d.format(e.cur, &b)
			continue
		}
		v, err := e.vm.Run(t.progs[i], e.box)
		if err != nil {
			return "", &Error{Pos: r.Pos, Rule: r.ID, Field: field, Msg: err.Error(), Err: err}
		}
		switch x := v.(type) {
		case string:
			b.WriteString(x)
		case int:
			b.WriteString(strconv.Itoa(x))
		case int64:
			b.WriteString(strconv.FormatInt(x, 10))
		case nil:
		default:
			fmt.Fprint(&b, x)
		}
	}
	return b.String(), nil
}

// ExampleResult is the outcome of one inline example.
type ExampleResult struct {
	Rule    *Rule
	Example *Example
	Got     bool  // whether the rule matched the facts
	Err     error // evaluation error
}

// Pass reports whether the example held.
func (x ExampleResult) Pass() bool { return x.Err == nil && x.Got == x.Example.Match }

// Why explains a failed example that wants a match when the rule did not
// run at all: its facts are of a class outside the rule's on:. It is ""
// otherwise. The loader and `flowdiag rules test` both append it, so the
// author learns to add a record (or gap) of the right kind to the facts.
func (x ExampleResult) Why() string {
	if x.Pass() || x.Err != nil || !x.Example.Match {
		return ""
	}
	class := MaskOf(&x.Example.Facts)
	if x.Rule.On.RunsOn(class) {
		return ""
	}
	return fmt.Sprintf(" (the facts are %s, outside on: [%s])", maskWords(class), x.Rule.On)
}

// RunExamples evaluates every example of every rule, in file order.
func (s *Set) RunExamples() []ExampleResult {
	e := s.NewEvaluator()
	var out []ExampleResult
	for _, r := range s.rules {
		for i := range r.Examples {
			ex := &r.Examples[i]
			got, err := e.matches(r, &ex.Facts)
			out = append(out, ExampleResult{Rule: r, Example: ex, Got: got, Err: err})
		}
	}
	return out
}

// maskWords describes a conversation class for messages.
func maskWords(m OnMask) string {
	if m == 0 {
		return "no ACCEPT or REJECT record and no gap"
	}
	return m.String()
}
