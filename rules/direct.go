package rules

import (
	"reflect"
	"strconv"
	"strings"
	"unsafe"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// A direct is a message placeholder or blame expression that Go evaluates
// without expr: a string literal, a field of Env of kind string, int,
// int64 or bool (flow.client, topo.first_block.rule_number), one of the
// formatting helpers endpoint, request_traffic and reply_traffic applied
// to such fields, or a choice between two such strings on a bool field
// (maybe negated) or a string field compared with a literal
// (server.seen ? "The reply" : "..."). Most placeholders of the built-in rules are such;
// rendering a diagnosis used to run expr's VM for each of them, about
// twenty runs per diagnosis. TestDirectMatchesExpr renders every built-in
// rule both ways.
type direct struct {
	ok   bool
	lit  bool   // a string literal: s
	s    string // the literal
	off  uintptr
	kind reflect.Kind
	fn   string   // "endpoint", "request_traffic", "reply_traffic" or "any_cidr", applied to args; "?:" a choice
	args []direct // fields; for "?:" the string chosen when cond holds, then the other
	cond *cond    // for "?:"
}

// cond is the condition of a choice direct evaluates: a bool field, maybe
// negated, or a string field compared with a literal.
type cond struct {
	field direct
	not   bool   // !field, or !=
	eq    bool   // field == lit (field != lit with not)
	lit   string // the literal compared with
}

func (c *cond) holds(env *Env) bool {
	var v bool
	if c.eq {
		v = c.field.str(env) == c.lit
	} else {
		v = *(*bool)(unsafe.Add(unsafe.Pointer(env), c.field.off))
	}
	return v != c.not
}

// condOf returns the direct form of a choice's condition.
func condOf(n ast.Node) (cond, bool) {
	switch n := n.(type) {
	case *ast.MemberNode:
		f := directOfNode(n)
		return cond{field: f}, f.ok && !f.lit && f.fn == "" && f.kind == reflect.Bool
	case *ast.UnaryNode:
		if n.Operator != "!" && n.Operator != "not" {
			break
		}
		c, ok := condOf(n.Node)
		if !ok || c.eq {
			break
		}
		c.not = !c.not
		return c, true
	case *ast.BinaryNode:
		if n.Operator != "==" && n.Operator != "!=" {
			break
		}
		m, ok1 := n.Left.(*ast.MemberNode)
		s, ok2 := n.Right.(*ast.StringNode)
		if !ok1 || !ok2 {
			break
		}
		f := directOfNode(m)
		if !f.ok || f.lit || f.fn != "" || f.kind != reflect.String {
			break
		}
		return cond{field: f, eq: true, not: n.Operator == "!=", lit: s.Value}, true
	}
	return cond{}, false
}

// directFunc returns the kinds of the n arguments of a helper direct
// evaluates (each returns a string); nil for any other function or count.
func directFunc(name string, n int) []reflect.Kind {
	var kinds []reflect.Kind
	switch name {
	case "endpoint":
		kinds = []reflect.Kind{reflect.String, reflect.Int, reflect.String}
	case "request_traffic":
		kinds = []reflect.Kind{reflect.String, reflect.Int}
	case "reply_traffic":
		kinds = []reflect.Kind{reflect.String, reflect.Int}
		if n == 1 {
			kinds = kinds[:1]
		}
	case "any_cidr":
		kinds = []reflect.Kind{reflect.String}
	}
	if len(kinds) != n {
		return nil
	}
	return kinds
}

// directOf returns the direct form of p, ok false when p is anything else.
func directOf(p *vm.Program) direct {
	if p == nil {
		return direct{}
	}
	return directOfNode(p.Node())
}

func directOfNode(n ast.Node) direct {
	switch n := n.(type) {
	case *ast.StringNode:
		return direct{ok: true, lit: true, s: n.Value}
	case *ast.MemberNode:
		off, k, ok := fieldOffset(n)
		switch k {
		case reflect.String, reflect.Int, reflect.Int64, reflect.Bool:
			return direct{ok: ok, off: off, kind: k}
		}
	case *ast.ConditionalNode:
		// cond ? a : b, choosing between two strings direct yields.
		c, ok := condOf(n.Cond)
		if !ok {
			break
		}
		a, b := directOfNode(n.Exp1), directOfNode(n.Exp2)
		if !a.isString() || !b.isString() {
			break
		}
		return direct{ok: true, kind: reflect.String, fn: "?:", args: []direct{a, b}, cond: &c}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			break
		}
		kinds := directFunc(id.Value, len(n.Arguments))
		if kinds == nil {
			break
		}
		d := direct{ok: true, kind: reflect.String, fn: id.Value}
		for i, a := range n.Arguments {
			m, ok := a.(*ast.MemberNode)
			if !ok {
				return direct{}
			}
			arg := directOfNode(m)
			if !arg.ok || arg.kind != kinds[i] {
				return direct{}
			}
			d.args = append(d.args, arg)
		}
		return d
	}
	return direct{}
}

// str returns the value of a string-valued direct.
func (d *direct) str(env *Env) string {
	switch {
	case d.lit:
		return d.s
	case d.fn == "?:":
		if d.cond.holds(env) {
			return d.args[0].str(env)
		}
		return d.args[1].str(env)
	case d.fn != "":
		return d.call(env)
	}
	return *(*string)(unsafe.Add(unsafe.Pointer(env), d.off))
}

// call evaluates a helper on its fields, as the expr function of that name.
func (d *direct) call(env *Env) string {
	a := d.args
	switch d.fn {
	case "endpoint":
		return endpoint(a[0].str(env), a[1].int(env), a[2].str(env))
	case "request_traffic":
		return requestTraffic(a[0].str(env), a[1].int(env))
	case "any_cidr":
		return anyCIDR(a[0].str(env))
	}
	port := -1
	if len(a) > 1 {
		port = a[1].int(env)
	}
	return replyTraffic(a[0].str(env), port)
}

// isString reports whether d yields a string.
func (d *direct) isString() bool { return d.ok && (d.lit || d.kind == reflect.String) }

// int returns the value of an int field.
func (d *direct) int(env *Env) int { return *(*int)(unsafe.Add(unsafe.Pointer(env), d.off)) }

// format appends d's value as fill formats expr's result.
func (d *direct) format(env *Env, b *strings.Builder) {
	if d.lit || d.fn != "" {
		b.WriteString(d.str(env))
		return
	}
	p := unsafe.Add(unsafe.Pointer(env), d.off)
	switch d.kind {
	case reflect.String:
		b.WriteString(*(*string)(p))
	case reflect.Int:
		b.WriteString(strconv.Itoa(*(*int)(p)))
	case reflect.Int64:
		b.WriteString(strconv.FormatInt(*(*int64)(p), 10))
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(*(*bool)(p)))
	}
}
