package flowlog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrFieldCount is matched (errors.Is) by the error for a line whose number
// of fields differs from its format.
var ErrFieldCount = errors.New("wrong number of fields")

// ErrLineTooLong is matched (errors.Is) by the error for a line longer than
// ReaderOptions.MaxLineBytes.
var ErrLineTooLong = errors.New("line too long")

// maxValueInError bounds the part of a bad value quoted in an error.
const maxValueInError = 64

// FieldError describes a bad value in one field of a line.
type FieldError struct {
	Field    string // field name as in the format ("dstport"), or an extra column's name
	Column   int    // 1-based byte column of the value in the line
	Value    string // the value, cut to 64 bytes
	Expected string // what the field holds, e.g. "a port number (0-65535)"
	Err      error  // underlying cause (strconv.ErrRange, strconv.ErrSyntax, ...), may be nil
}

// Error renders `field dstport: "http" is not a port number (0-65535)`.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("field ")
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(strconv.Quote(e.Value))
	if e.Expected != "" {
		b.WriteString(" is not ")
		b.WriteString(e.Expected)
	} else if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *FieldError) Unwrap() error { return e.Err }

func newFieldError(name string, col int, value []byte, expected string, cause error) *FieldError {
	v := value
	cut := false
	if len(v) > maxValueInError {
		v, cut = v[:maxValueInError], true
	}
	s := string(v)
	if cut {
		s += "..."
	}
	return &FieldError{Field: name, Column: col, Value: s, Expected: expected, Err: cause}
}

// ParseError locates a bad line: the input name, the 1-based line, the
// 1-based byte column and field when known, and the cause.
type ParseError struct {
	File   string
	Line   int64
	Column int    // 0 when the error concerns the whole line
	Field  string // "" when the error concerns the whole line
	Err    error
}

// Error renders `dump.log:1043:57: field dstport: "http" is not a port number
// (0-65535)` or, for a whole-line problem,
// `dump.log:12: 13 fields, format has 14 (version account-id ...)`.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	b.WriteByte(':')
	b.WriteString(strconv.FormatInt(e.Line, 10))
	if e.Column > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Column))
	}
	b.WriteString(": ")
	var fe *FieldError
	if e.Field != "" && !errors.As(e.Err, &fe) {
		b.WriteString("field ")
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("malformed line")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// FieldCountError is the cause of a line with too few or too many fields.
// It matches ErrFieldCount.
type FieldCountError struct {
	Got, Want int
	Format    string // the format, shortened for display
}

func (e *FieldCountError) Error() string {
	return fmt.Sprintf("%d fields, format has %d (%s)", e.Got, e.Want, e.Format)
}

// Is makes errors.Is(err, ErrFieldCount) true.
func (e *FieldCountError) Is(target error) bool { return target == ErrFieldCount }

// LineTooLongError is the cause of a line longer than the reader's limit. It
// matches ErrLineTooLong.
type LineTooLongError struct {
	Limit int // bytes
}

func (e *LineTooLongError) Error() string {
	return fmt.Sprintf("line longer than %d bytes, skipped", e.Limit)
}

// Is makes errors.Is(err, ErrLineTooLong) true.
func (e *LineTooLongError) Is(target error) bool { return target == ErrLineTooLong }
