package rules

import (
	"github.com/flowdiag/flowdiag/internal/loc"

	"github.com/flowdiag/flowdiag/internal/suggest"

	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// LoadBuiltin compiles the rules embedded in the binary. Each call compiles
// afresh; callers keep the Set.
func LoadBuiltin() (*Set, error) {
	names, err := builtinFS.ReadDir("builtin")
	if err != nil {
		return nil, err
	}
	set := newSet(nil)
	for _, n := range names {
		name := path.Join("builtin", n.Name())
		b, err := builtinFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		s, err := load(name, b, true)
		if err != nil {
			return nil, err
		}
		if set, err = set.Merge(s); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// LoadFile reads and compiles one rule file.
func LoadFile(name string) (*Set, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return load(name, b, false)
}

// Load reads and compiles the rule file r; name is used in positions. Every
// problem of the file is reported at once, as Errors sorted by position.
func Load(name string, r io.Reader) (*Set, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return load(name, b, false)
}

type loader struct {
	name    string
	src     []byte
	lines   []string
	builtin bool
	h       *helpers
	opts    []expr.Option
	errs    Errors
}

func (l *loader) pos(n *yaml.Node) Pos { return Pos{File: l.name, Line: n.Line, Col: n.Column} }

func (l *loader) errorf(n *yaml.Node, rule, field, format string, args ...any) {
	l.errs = append(l.errs, &Error{Pos: l.pos(n), Rule: rule, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func load(name string, src []byte, builtin bool) (*Set, error) {
	return loadWith(name, src, builtin, true)
}

func loadWith(name string, src []byte, builtin, examples bool) (*Set, error) {
	l := &loader{name: name, src: src, lines: strings.Split(string(src), "\n"), builtin: builtin, h: newHelpers()}
	l.opts = l.h.options()
	doc, second, err := loc.Decode(src)
	if err != nil {
		return nil, Errors{yamlError(name, err, src)}
	}
	var rules []*Rule
	if len(doc.Content) == 0 {
		return nil, Errors{{Pos: Pos{File: name}, Msg: "empty rule file: want a mapping with a rules: list"}}
	}
	if second != nil {
		// Its rules would not be loaded: say so rather than run without them.
		l.errorf(second, "", "", "a second YAML document is not supported: put all rules under one rules: list")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		l.errorf(root, "", "", "want a mapping with a rules: list, got %s", loc.KindName(root))
		return nil, l.errs
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value == "rules" {
			list = v
			continue
		}
		l.errorf(k, "", "", "unknown key %q: want rules", k.Value)
	}
	if list == nil {
		l.errorf(root, "", "", "missing rules: list")
	} else if list.Kind != yaml.SequenceNode {
		l.errorf(list, "", "rules", "want a list of rules, got %s", loc.KindName(list))
	} else {
		seen := map[string]*Rule{}
		for i, n := range list.Content {
			r := l.rule(i, n)
			if r == nil {
				continue
			}
			if first, dup := seen[r.ID]; dup {
				l.errs = append(l.errs, &Error{Pos: r.Pos, Rule: r.ID, Field: "id",
					Msg: fmt.Sprintf("duplicate id (first defined at %s)", first.Pos)})
				continue
			}
			seen[r.ID] = r
			rules = append(rules, r)
		}
	}
	if examples {
		l.checkExamples(rules)
	}
	if len(l.errs) > 0 {
		l.errs.sort()
		return nil, l.errs
	}
	return newSet(rules), nil
}

// checkExamples runs the examples of every rule whose when: compiled and
// reports each one that does not hold.
func (l *loader) checkExamples(rules []*Rule) {
	var ok []*Rule
	for _, r := range rules {
		if r.when != nil {
			ok = append(ok, r)
		}
	}
	for _, res := range newSet(ok).RunExamples() {
		if res.Pass() || res.Example.invalid {
			continue
		}
		e := &Error{Pos: res.Example.Pos, Rule: res.Rule.ID, Field: fmt.Sprintf("example %q", res.Example.Name)}
		switch {
		case res.Err != nil:
			e.Msg, e.Err = res.Err.Error(), res.Err
		case res.Example.Match:
			e.Msg = "want match, got no match" + res.Why()
		default:
			e.Msg = "want no match, got match"
		}
		l.errs = append(l.errs, e)
	}
}

func yamlError(name string, err error, src []byte) *Error {
	line, msg := loc.YAMLError(err, src)
	return &Error{Pos: Pos{File: name, Line: line}, Msg: "invalid YAML: " + msg, Err: err}
}

var ruleKeys = []string{"id", "title", "severity", "tags", "on", "specificity", "when", "verdict",
	"blame", "message", "remediation", "examples"}

var blameKeys = []string{"component", "rule_number", "direction", "leg", "eni", "subnet"}

// rule decodes and compiles list item i; nil when it has no usable id.
func (l *loader) rule(i int, n *yaml.Node) *Rule {
	if n.Kind != yaml.MappingNode {
		l.errorf(n, "", fmt.Sprintf("rules[%d]", i), "want a rule mapping, got %s", loc.KindName(n))
		return nil
	}
	var idNode *yaml.Node
	for j := 0; j+1 < len(n.Content); j += 2 {
		if n.Content[j].Value == "id" {
			idNode = n.Content[j+1]
			break
		}
	}
	r := &Rule{Builtin: l.builtin, Specificity: 50, On: OnAny}
	if idNode == nil {
		l.errorf(n, "", fmt.Sprintf("rules[%d]", i), "missing id")
	} else {
		r.ID = l.str(idNode, "", fmt.Sprintf("rules[%d].id", i))
		r.Pos = l.pos(idNode)
		if r.ID != "" && !validID(r.ID) {
			l.errorf(idNode, r.ID, "id", "want lower-case letters, digits and dashes")
		}
	}
	fields := map[string]*yaml.Node{}
	for j := 0; j+1 < len(n.Content); j += 2 {
		k, v := n.Content[j], n.Content[j+1]
		switch {
		case !contains(ruleKeys, k.Value):
			l.errorf(k, r.ID, "", "unknown key %q%s", k.Value, didYouMean(k.Value, ruleKeys))
		case fields[k.Value] != nil:
			l.errorf(k, r.ID, "", "key %q given twice", k.Value)
		default:
			fields[k.Value] = v
		}
	}
	if r.ID == "" {
		return nil
	}
	get := func(key string, required bool) *yaml.Node {
		f := fields[key]
		if f == nil && required {
			l.errorf(n, r.ID, "", "missing %s", key)
		}
		return f
	}
	if v := get("title", true); v != nil {
		r.Title = l.str(v, r.ID, "title")
	}
	if v := get("severity", true); v != nil {
		s := l.str(v, r.ID, "severity")
		sev, err := ParseSeverity(s)
		if err != nil && s != "" {
			l.errorf(v, r.ID, "severity", "%v", err)
		}
		r.Severity = sev
	}
	if v := get("tags", false); v != nil {
		r.Tags = l.strList(v, r.ID, "tags")
	}
	if v := get("on", false); v != nil {
		r.On = 0
		for _, it := range l.seqOrScalar(v) {
			m, err := ParseOn(it.Value)
			if err != nil || it.Kind != yaml.ScalarNode {
				l.errorf(it, r.ID, "on", "%q is not a prefilter: want reject, accept, gap or any", it.Value)
				continue
			}
			r.On |= m
		}
		if r.On == 0 {
			r.On = OnAny
		}
	}
	if v := get("specificity", false); v != nil {
		n, err := strconv.Atoi(v.Value)
		if err != nil || v.Kind != yaml.ScalarNode || n < 0 || n > 1000 {
			l.errorf(v, r.ID, "specificity", "%q: want an integer from 0 to 1000", v.Value)
		}
		r.Specificity = n
	}
	if v := get("verdict", true); v != nil {
		r.Verdict = Verdict(l.str(v, r.ID, "verdict"))
		if r.Verdict != "" && !r.Verdict.Valid() {
			l.errorf(v, r.ID, "verdict", "%q is not a verdict: want one of %s", string(r.Verdict), verdictList())
		}
	}
	if v := get("when", true); v != nil {
		r.When = l.str(v, r.ID, "when")
		if r.When != "" {
			r.when = l.compile(v, r.When, 0, r.ID, "when", expr.AsBool())
			if r.when != nil {
				r.guard = buildGuard(r.When)
			}
		}
	}
	if v := get("blame", false); v != nil {
		l.blame(r, v)
	}
	if v := get("message", true); v != nil {
		r.Message = l.str(v, r.ID, "message")
		r.message = l.template(v, r.Message, r.ID, "message")
	}
	if v := get("remediation", false); v != nil {
		r.Remediation = l.str(v, r.ID, "remediation")
		r.remediation = l.template(v, r.Remediation, r.ID, "remediation")
	}
	if v := get("examples", false); v != nil {
		l.examples(r, v)
	}
	r.prepareDirect()
	return r
}

func (l *loader) blame(r *Rule, n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		l.errorf(n, r.ID, "blame", "want a mapping of %s, got %s", strings.Join(blameKeys, ", "), loc.KindName(n))
		return
	}
	for j := 0; j+1 < len(n.Content); j += 2 {
		k, v := n.Content[j], n.Content[j+1]
		field := "blame." + k.Value
		src := l.str(v, r.ID, field)
		if src == "" {
			continue
		}
		str := expr.AsKind(reflect.String)
		switch k.Value {
		case "component":
			r.blame.component = l.compile(v, src, 0, r.ID, field, str)
		case "direction":
			r.blame.direction = l.compile(v, src, 0, r.ID, field, str)
		case "leg":
			r.blame.leg = l.compile(v, src, 0, r.ID, field, str)
		case "eni":
			r.blame.eni = l.compile(v, src, 0, r.ID, field, str)
		case "subnet":
			r.blame.subnet = l.compile(v, src, 0, r.ID, field, str)
		case "rule_number":
			r.blame.ruleNumber = l.compile(v, src, 0, r.ID, field, expr.AsInt())
			if p := r.blame.ruleNumber; p != nil && p.Node().Type() != reflect.TypeFor[int]() {
				// expr's AsInt converts a float silently (1.5 -> 1, 1/0 -> MinInt64).
				l.errs = append(l.errs, &Error{Pos: l.pos(v), Rule: r.ID, Field: field,
					Msg: fmt.Sprintf("want a whole-number expression, got %s (in %q); use int(...) to convert", p.Node().Type(), src)})
				r.blame.ruleNumber = nil
			}
		default:
			l.errorf(k, r.ID, "blame", "unknown key %q%s", k.Value, didYouMean(k.Value, blameKeys))
		}
	}
}

// compile compiles src, the whole of scalar n or the part starting at rune
// offset off, and reports errors at the offending character of the file.
func (l *loader) compile(n *yaml.Node, src string, off int, rule, field string, opts ...expr.Option) *vm.Program {
	lc := &literalChecker{h: l.h}
	all := append(append([]expr.Option{}, l.opts...), opts...)
	all = append(all, expr.Patch(lc))
	prog, err := expr.Compile(src, all...)
	if err == nil && len(lc.errs) > 0 {
		e := lc.errs[0]
		l.errs = append(l.errs, &Error{Pos: l.offsetPos(n, off+e.from), Rule: rule, Field: field, Msg: e.msg})
		return nil
	}
	if err != nil {
		var fe *file.Error
		p := l.pos(n)
		msg := err.Error()
		if errors.As(err, &fe) && fe.Snippet != "" {
			p = l.offsetPos(n, off+fe.From)
		} else if strings.HasPrefix(msg, "expected ") {
			// expr's result-type check carries no position: say what was
			// compiled.
			msg = fmt.Sprintf("%s (in %q)", msg, src)
		}
		l.errs = append(l.errs, &Error{Pos: p, Rule: rule, Field: field, Msg: msg, Err: err})
		return nil
	}
	return prog
}

// offsetPos maps a rune offset in the value of scalar n back to a file
// position. Plain and quoted one-line scalars, literal (|) and folded (>)
// blocks are mapped exactly; anything else (escapes, blank lines in folded
// blocks) falls back to the scalar's own position.
func (l *loader) offsetPos(n *yaml.Node, off int) Pos {
	p := l.pos(n)
	switch n.Style {
	case 0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if strings.ContainsRune(n.Value, '\n') || n.Line-1 >= len(l.lines) {
			return p
		}
		q := 0
		if n.Style != 0 {
			q = 1
		}
		line := l.lines[n.Line-1]
		start := byteIndexOfCol(line, n.Column-1+q)
		if start < 0 || !strings.HasPrefix(line[start:], prefixRunes(n.Value, off)) {
			return p
		}
		p.Col = n.Column + q + off
		return p
	case yaml.LiteralStyle, yaml.FoldedStyle:
		type cl struct {
			line, col int
			text      string
		}
		var content []cl
		indent := -1
		for i := n.Line; i < len(l.lines); i++ { // n.Line is the indicator line; content follows
			s := l.lines[i]
			t := strings.TrimLeft(s, " ")
			if t == "" {
				break
			}
			ind := len(s) - len(t)
			if indent < 0 {
				indent = ind
			}
			if ind < indent {
				break
			}
			content = append(content, cl{i + 1, indent + 1, s[indent:]})
		}
		sep := "\n"
		if n.Style == yaml.FoldedStyle {
			sep = " "
		}
		var joined []string
		for _, c := range content {
			joined = append(joined, c.text)
		}
		if strings.Join(joined, sep) != strings.TrimRight(n.Value, "\n") {
			return p
		}
		rem := off
		for _, c := range content {
			w := utf8.RuneCountInString(c.text)
			if rem <= w {
				return Pos{File: l.name, Line: c.line, Col: c.col + rem}
			}
			rem -= w + 1
		}
	}
	return p
}

func byteIndexOfCol(s string, col int) int {
	i := 0
	for b := range s {
		if i == col {
			return b
		}
		i++
	}
	if i == col {
		return len(s)
	}
	return -1
}

func prefixRunes(s string, n int) string {
	i := 0
	for b := range s {
		if i == n {
			return s[:b]
		}
		i++
	}
	return s
}

// template compiles a message with {{ expr }} placeholders.
func (l *loader) template(n *yaml.Node, s, rule, field string) template {
	var t template
	rest, off := s, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.lits = append(t.lits, rest)
			return t
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			l.errs = append(l.errs, &Error{Pos: l.offsetPos(n, off+utf8.RuneCountInString(rest[:i])),
				Rule: rule, Field: field, Msg: "unclosed {{: want {{ expression }}"})
			t.lits = append(t.lits, rest)
			return t
		}
		t.lits = append(t.lits, rest[:i])
		src := rest[i+2 : i+2+j]
		start := off + utf8.RuneCountInString(rest[:i+2])
		if strings.TrimSpace(src) == "" {
			l.errs = append(l.errs, &Error{Pos: l.offsetPos(n, start), Rule: rule, Field: field, Msg: "empty {{ }} placeholder"})
		} else if p := l.compile(n, src, start, rule, field); p != nil {
			t.progs = append(t.progs, p)
		} else {
			t.progs = append(t.progs, nil)
		}
		off = start + utf8.RuneCountInString(src) + 2
		rest = rest[i+2+j+2:]
	}
}

func (l *loader) str(n *yaml.Node, rule, field string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errorf(n, rule, field, "want a string, got %s", loc.KindName(n))
		return ""
	}
	if strings.TrimSpace(n.Value) == "" {
		l.errorf(n, rule, field, "must not be empty")
		return ""
	}
	return n.Value
}

func (l *loader) seqOrScalar(n *yaml.Node) []*yaml.Node {
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

func (l *loader) strList(n *yaml.Node, rule, field string) []string {
	var out []string
	for _, it := range l.seqOrScalar(n) {
		if s := l.str(it, rule, field); s != "" {
			out = append(out, s)
		}
	}
	return out
}

var exampleKeys = []string{"name", "facts", "match"}

func (l *loader) examples(r *Rule, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, r.ID, "examples", "want a list, got %s", loc.KindName(n))
		return
	}
	for i, it := range n.Content {
		field := fmt.Sprintf("examples[%d]", i)
		if it.Kind != yaml.MappingNode {
			l.errorf(it, r.ID, field, "want a mapping with name, facts, match; got %s", loc.KindName(it))
			continue
		}
		ex := Example{Pos: l.pos(it), Facts: defaultFacts()}
		var hasMatch bool
		var factsNode *yaml.Node
		for j := 0; j+1 < len(it.Content); j += 2 {
			k, v := it.Content[j], it.Content[j+1]
			switch k.Value {
			case "name":
				ex.Name = l.str(v, r.ID, field+".name")
			case "match":
				b, err := strconv.ParseBool(v.Value)
				if err != nil || v.Kind != yaml.ScalarNode {
					l.errorf(v, r.ID, field+".match", "want true or false, got %s", loc.KindName(v))
				}
				ex.Match, hasMatch = b, true
			case "facts":
				factsNode = v
			default:
				l.errorf(k, r.ID, field, "unknown key %q%s", k.Value, didYouMean(k.Value, exampleKeys))
			}
		}
		if ex.Name == "" {
			ex.Name = strconv.Itoa(i + 1)
		} else {
			field = fmt.Sprintf("example %q", ex.Name)
		}
		if !hasMatch {
			l.errorf(it, r.ID, field, "missing match: true or false")
		}
		if factsNode != nil {
			for _, e := range decodeFacts(factsNode, &ex.Facts) {
				ex.invalid = true
				l.errs = append(l.errs, &Error{Pos: l.pos(e.node), Rule: r.ID, Field: field + ": facts", Msg: e.msg})
			}
		}
		normalizeFacts(&ex.Facts)
		r.Examples = append(r.Examples, ex)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func validID(s string) bool {
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0) {
			return false
		}
	}
	return true
}

func verdictList() string {
	s := make([]string, len(Verdicts))
	for i, v := range Verdicts {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// didYouMean returns " (did you mean X?)" for the closest known name, or "".
func didYouMean(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := suggest.Distance(s, k); d < bestD || d == bestD && best == "" && d < len(k)/2 {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// LoadFileUnchecked compiles a rule file like LoadFile but does not fail on
// examples that do not hold; `flowdiag rules test` runs and reports them
// itself with Set.RunExamples. Every other problem is still an error.
func LoadFileUnchecked(name string) (*Set, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return loadWith(name, b, false, false)
}
