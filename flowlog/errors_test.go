package flowlog

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
)

func TestParseErrorFormat(t *testing.T) {
	fe := &FieldError{Field: "dstport", Column: 57, Value: "http", Expected: "a port number (0-65535)", Err: strconv.ErrSyntax}
	tests := []struct {
		err  *ParseError
		want string
	}{
		{&ParseError{File: "dump.log", Line: 1043, Column: 57, Field: "dstport", Err: fe},
			`dump.log:1043:57: field dstport: "http" is not a port number (0-65535)`},
		{&ParseError{File: "dump.log", Line: 12, Err: &FieldCountError{Got: 13, Want: 14, Format: DefaultFormat().short()}},
			`dump.log:12: 13 fields, format has 14 (version account-id interface-id ... log-status)`},
		// Another source (Parquet) naming the field with a plain cause.
		{&ParseError{File: "x.parquet", Line: 3, Field: "srcport", Err: errors.New("value 70000 out of range")},
			`x.parquet:3: field srcport: value 70000 out of range`},
		{&ParseError{File: "-", Line: 1}, `-:1: malformed line`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q\nwant      %q", got, tt.want)
		}
	}
	err := error(tests[0].err)
	var got *FieldError
	if !errors.As(err, &got) || got != fe || !errors.Is(err, strconv.ErrSyntax) {
		t.Errorf("ParseError does not unwrap to its FieldError and cause")
	}
	if !errors.Is(tests[1].err, ErrFieldCount) || errors.Is(tests[1].err, ErrLineTooLong) {
		t.Errorf("FieldCountError matches the wrong sentinels")
	}
	if !errors.Is(&ParseError{Err: &LineTooLongError{Limit: 10}}, ErrLineTooLong) {
		t.Errorf("LineTooLongError does not match ErrLineTooLong")
	}
}

func TestFieldErrorWithoutExpected(t *testing.T) {
	e := &FieldError{Field: "bytes", Value: "x", Err: errors.New("not a number")}
	if got, want := e.Error(), `field bytes: "x": not a number`; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}

func ExampleParseError() {
	var rec Record
	err := NewParser(DefaultFormat()).Parse([]byte("2 123456789010 eni-1 10.0.0.1 10.0.0.2 51234 http 6 1 40 1700000000 1700000001 ACCEPT OK"), &rec)
	var fe *FieldError
	if errors.As(err, &fe) {
		err = &ParseError{File: "dump.log", Line: 1043, Column: fe.Column, Field: fe.Field, Err: err}
	}
	fmt.Println(err)
	// Output: dump.log:1043:46: field dstport: "http" is not a port number (0-65535)
}
