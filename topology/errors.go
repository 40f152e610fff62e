package topology

import (
	"github.com/flowdiag/flowdiag/internal/loc"

	"fmt"
	"sort"
	"strings"
)

// Pos locates an item in a topology source: the file name and the 1-based
// line and column. Line 0 means the position is unknown (JSON imported from
// AWS carries no positions); File alone still names the source.
type Pos = loc.Pos

// PosError is one problem in a topology source: where, which item (an id
// such as "sg-0web", or "security_groups[2]" before the id is known), which
// field, and what is wrong.
type PosError struct {
	Pos     Pos
	Item    string
	Field   string
	Problem string
}

// Error renders "file:line:col: item: field: problem", leaving out empty parts.
func (e *PosError) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	if e.Item != "" {
		b.WriteString(": ")
		b.WriteString(e.Item)
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	return b.String()
}

// ErrorList holds every problem found in one load, sorted by position.
type ErrorList struct {
	Errors []PosError
}

// Error joins the problems one per line.
func (l *ErrorList) Error() string {
	lines := make([]string, len(l.Errors))
	for i := range l.Errors {
		lines[i] = l.Errors[i].Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each problem to errors.Is and errors.As.
func (l *ErrorList) Unwrap() []error {
	errs := make([]error, len(l.Errors))
	for i := range l.Errors {
		errs[i] = &l.Errors[i]
	}
	return errs
}

// errs collects problems while loading.
type errs struct {
	list []PosError
}

func (e *errs) add(pos Pos, item, field, format string, args ...any) {
	e.list = append(e.list, PosError{Pos: pos, Item: item, Field: field, Problem: fmt.Sprintf(format, args...)})
}

// err returns nil or an *ErrorList sorted by position (stable, so problems at
// one position keep the order they were found in).
func (e *errs) err() error {
	if len(e.list) == 0 {
		return nil
	}
	sort.SliceStable(e.list, func(i, j int) bool { return e.list[i].Pos.Less(e.list[j].Pos) })
	return &ErrorList{Errors: e.list}
}
