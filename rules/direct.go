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
// without expr: a string literal, or a field of Env of kind string, int,
// int64 or bool (flow.client, topo.first_block.rule_number). Most
// placeholders of the built-in rules are such; rendering a diagnosis used
// to run expr's VM for each of them, about twenty runs per diagnosis.
// TestDirectMatchesExpr renders every built-in rule both ways.
type direct struct {
	ok   bool
	lit  bool   // a string literal: s
	s    string // the literal
	off  uintptr
	kind reflect.Kind
}

// directOf returns the direct form of p, ok false when p is anything else.
func directOf(p *vm.Program) direct {
	if p == nil {
		return direct{}
	}
	switch n := p.Node().(type) {
	case *ast.StringNode:
		return direct{ok: true, lit: true, s: n.Value}
	case *ast.MemberNode:
		off, k, ok := fieldOffset(n)
		switch k {
		case reflect.String, reflect.Int, reflect.Int64, reflect.Bool:
			return direct{ok: ok, off: off, kind: k}
		}
	}
	return direct{}
}

// str returns the value of a string-valued direct.
func (d *direct) str(env *Env) string {
	if d.lit {
		return d.s
	}
	return *(*string)(unsafe.Add(unsafe.Pointer(env), d.off))
}

// isString reports whether d yields a string.
func (d *direct) isString() bool { return d.ok && (d.lit || d.kind == reflect.String) }

// int returns the value of an int field.
func (d *direct) int(env *Env) int { return *(*int)(unsafe.Add(unsafe.Pointer(env), d.off)) }

// format appends d's value as fill formats expr's result.
func (d *direct) format(env *Env, b *strings.Builder) {
	if d.lit {
		b.WriteString(d.s)
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
