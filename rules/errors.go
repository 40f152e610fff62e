package rules

import (
	"github.com/flowdiag/flowdiag/internal/loc"

	"fmt"
	"strings"
)

// Error is one problem in a rule file, positioned at the offending YAML
// node (or, for an expression, at the offending character).
type Error struct {
	Pos   Pos
	Rule  string // rule id; empty for file-level problems
	Field string // e.g. "when", "blame.component", "examples[1]"
	Msg   string
	Err   error // underlying error (an expr *file.Error, a yaml error), may be nil
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.Rule != "" {
		b.WriteString("rule ")
		b.WriteString(e.Rule)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem found in one or more rule files, sorted by
// position.
type Errors []*Error

func (es Errors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems in rules:", len(es))
	for _, e := range es {
		b.WriteString("\n")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is and errors.As see every problem.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func (es Errors) sort() { loc.SortByPos(es, func(e *Error) Pos { return e.Pos }) }
