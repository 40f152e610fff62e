package rules

import (
	"reflect"
	"unsafe"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// A guard is the part of a when: condition that Go can decide without expr:
// the top-level && conjuncts built only from bool fields and string fields
// compared with a literal, under &&, || and ! (clauses for a disjunction of
// those, trees for deeper nesting). Match checks the guard
// first and runs the expr program only when every guarded conjunct holds;
// when the guard covers the whole condition (exact), expr is skipped. A false
// guard implies a false condition, so results never differ from expr alone
// (TestGuardEquivalence and TestGuardRandomLeaves check this on every
// example).
type guard struct {
	clauses []clause
	// trees holds the top-level conjuncts that are not a plain disjunction
	// of literals but an and/or/not tree of them, such as
	// a && (b || c && !d): Go decides them too, after the clauses.
	trees []boolTree
	exact bool
	// conjuncts holds the printed form of every top-level conjunct, for lint.
	conjuncts []string
}

type clause []literal // disjunction

type literal struct {
	off  uintptr // of the field in Env
	str  bool    // string field compared with s; else bool field
	s    string
	want bool // the value (bool) or the comparison result (string ==) that makes the literal true
}

func (g *guard) pass(env *Env) bool {
	base := unsafe.Pointer(env)
	for _, c := range g.clauses {
		ok := false
		for i := range c {
			l := &c[i]
			p := unsafe.Add(base, l.off)
			if l.str {
				ok = (*(*string)(p) == l.s) == l.want
			} else {
				ok = *(*bool)(p) == l.want
			}
			if ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	for i := range g.trees {
		if !g.trees[i].eval(base) {
			return false
		}
	}
	return true
}

// addTree adds a conjunct decided in Go: as clauses where its shape allows
// (!(a || b) is two clauses, !(a && b) is one), which lint reads too, else as
// a tree.
func (g *guard) addTree(t boolTree) {
	switch t.op {
	case treeLeaf:
		g.clauses = append(g.clauses, clause{t.lit})
		return
	case treeAnd:
		for _, k := range t.kids {
			g.addTree(k)
		}
		return
	}
	c := make(clause, 0, len(t.kids))
	for _, k := range t.kids {
		if k.op != treeLeaf {
			g.trees = append(g.trees, t)
			return
		}
		c = append(c, k.lit)
	}
	g.clauses = append(g.clauses, c)
}

// A boolTree is an and/or tree over literals, negations pushed down to the
// leaves. Its operands are side-effect free field reads, so evaluating it
// with short circuits gives expr's result.
type boolTree struct {
	op   byte // treeLeaf, treeAnd, treeOr
	lit  literal
	kids []boolTree
}

const (
	treeLeaf byte = iota
	treeAnd
	treeOr
)

func (t *boolTree) eval(base unsafe.Pointer) bool {
	switch t.op {
	case treeAnd:
		for i := range t.kids {
			if !t.kids[i].eval(base) {
				return false
			}
		}
		return true
	case treeOr:
		for i := range t.kids {
			if t.kids[i].eval(base) {
				return true
			}
		}
		return false
	}
	l := &t.lit
	p := unsafe.Add(base, l.off)
	if l.str {
		return (*(*string)(p) == l.s) == l.want
	}
	return *(*bool)(p) == l.want
}

// toTree converts n, negated when neg, into a boolTree; false when some leaf
// is not a literal.
func toTree(n ast.Node, neg bool) (boolTree, bool) {
	switch b := n.(type) {
	case *ast.UnaryNode:
		if b.Operator == "!" || b.Operator == "not" {
			return toTree(b.Node, !neg)
		}
	case *ast.BinaryNode:
		var op byte
		switch b.Operator {
		case "&&", "and":
			op = treeAnd
		case "||", "or":
			op = treeOr
		}
		if op != 0 {
			if neg { // De Morgan
				op = treeAnd + treeOr - op
			}
			l, ok1 := toTree(b.Left, neg)
			r, ok2 := toTree(b.Right, neg)
			if !ok1 || !ok2 {
				return boolTree{}, false
			}
			t := boolTree{op: op}
			// Flatten a && (b && c) into one node of three.
			for _, k := range [...]boolTree{l, r} {
				if k.op == op {
					t.kids = append(t.kids, k.kids...)
				} else {
					t.kids = append(t.kids, k)
				}
			}
			return t, true
		}
	}
	l, ok := toLiteral(n)
	if !ok {
		return boolTree{}, false
	}
	if neg {
		l.want = !l.want
	}
	return boolTree{op: treeLeaf, lit: l}, true
}

// buildGuard analyses a when: source that already compiled.
func buildGuard(src string) guard {
	tree, err := parser.Parse(src)
	if err != nil {
		return guard{}
	}
	var conj []ast.Node
	splitOp(tree.Node, "&&", "and", &conj)
	g := guard{exact: true}
	for _, n := range conj {
		g.conjuncts = append(g.conjuncts, n.String())
		var disj []ast.Node
		splitOp(n, "||", "or", &disj)
		var c clause
		for _, d := range disj {
			l, ok := toLiteral(d)
			if !ok {
				c = nil
				break
			}
			c = append(c, l)
		}
		if c == nil {
			if t, ok := toTree(n, false); ok {
				g.addTree(t)
				continue
			}
			g.exact = false
			continue
		}
		g.clauses = append(g.clauses, c)
	}
	return g
}

func splitOp(n ast.Node, op, alt string, out *[]ast.Node) {
	if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == op || b.Operator == alt) {
		splitOp(b.Left, op, alt, out)
		splitOp(b.Right, op, alt, out)
		return
	}
	*out = append(*out, n)
}

func toLiteral(n ast.Node) (literal, bool) {
	switch n := n.(type) {
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			l, ok := toLiteral(n.Node)
			l.want = !l.want
			return l, ok
		}
	case *ast.MemberNode:
		off, k, ok := fieldOffset(n)
		return literal{off: off, want: true}, ok && k == reflect.Bool
	case *ast.BinaryNode:
		if n.Operator != "==" && n.Operator != "!=" {
			break
		}
		m, s := n.Left, n.Right
		if _, ok := m.(*ast.StringNode); ok {
			m, s = s, m
		}
		lit, ok1 := s.(*ast.StringNode)
		mem, ok2 := m.(*ast.MemberNode)
		if !ok1 || !ok2 {
			break
		}
		off, k, ok := fieldOffset(mem)
		return literal{off: off, str: true, s: lit.Value, want: n.Operator == "=="}, ok && k == reflect.String
	}
	return literal{}, false
}

// fieldOffset resolves a member chain such as server.request.accepted to the
// byte offset of the field in Env.
func fieldOffset(n *ast.MemberNode) (uintptr, reflect.Kind, bool) {
	var path []string
	var cur ast.Node = n
	for {
		switch m := cur.(type) {
		case *ast.MemberNode:
			p, ok := m.Property.(*ast.StringNode)
			if !ok || m.Optional || m.Method {
				return 0, 0, false
			}
			path = append(path, p.Value)
			cur = m.Node
			continue
		case *ast.IdentifierNode:
			path = append(path, m.Value)
		default:
			return 0, 0, false
		}
		break
	}
	t := reflect.TypeOf(Env{})
	var off uintptr
	for i := len(path) - 1; i >= 0; i-- {
		if t.Kind() != reflect.Struct {
			return 0, 0, false
		}
		found := false
		for f := 0; f < t.NumField(); f++ {
			sf := t.Field(f)
			if sf.Tag.Get("expr") == path[i] {
				off += sf.Offset
				t = sf.Type
				found = true
				break
			}
		}
		if !found {
			return 0, 0, false
		}
	}
	return off, t.Kind(), true
}

// fieldName is the expr path of the leaf field at offset off in Env, for
// messages; leaves are found depth-first so struct offsets that coincide
// with their first field resolve to the leaf.
func fieldName(off uintptr) string {
	var walk func(t reflect.Type, base uintptr, prefix string) string
	walk = func(t reflect.Type, base uintptr, prefix string) string {
		for f := 0; f < t.NumField(); f++ {
			sf := t.Field(f)
			name := prefix + sf.Tag.Get("expr")
			if sf.Type.Kind() == reflect.Struct {
				if s := walk(sf.Type, base+sf.Offset, name+"."); s != "" {
					return s
				}
				continue
			}
			if base+sf.Offset == off {
				return name
			}
		}
		return ""
	}
	return walk(reflect.TypeOf(Env{}), 0, "")
}
