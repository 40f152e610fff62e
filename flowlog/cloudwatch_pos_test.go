package flowlog

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestCloudWatchErrorPositions: a JSON syntax error is reported at its line
// and column (AWS CLI output is pretty-printed), after the records before it;
// a message of the wrong type says so.
func TestCloudWatchErrorPositions(t *testing.T) {
	data := `{"events":[{"logStreamName":"eni-1-all","message":"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 60 100 160 ACCEPT OK"},
  {"logStreamName":"eni-1-all","message":5},
  {"bad"
]}
`
	r, err := Input{Path: "-"}.Open(strings.NewReader(data), StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	if err := r.Read(&rec); err != nil || rec.Pos.Line != 1 {
		t.Fatalf("first record: %v %+v", err, rec.Pos)
	}
	// Lenient: the bad event is skipped and counted; the syntax error ends
	// the input, at the line of the broken value.
	err = r.Read(&rec)
	if err == nil || err == io.EOF || !strings.Contains(err.Error(), "-:3:") || !strings.Contains(err.Error(), "invalid JSON") {
		t.Fatalf("syntax error = %v; want it on line 3", err)
	}
	st := r.Stats()
	if st.Skipped != 1 || len(st.Examples) != 1 || !strings.Contains(st.Examples[0].Error(), "-:2: field message: message must be a string, found number") {
		t.Errorf("skipped %d, examples %v", st.Skipped, st.Examples)
	}
	var pe *ParseError
	if !errors.As(st.Examples[0], &pe) || pe.Line != 2 {
		t.Errorf("example is not a ParseError at event 2: %#v", st.Examples[0])
	}
}

// TestCloudWatchFilePositions: records and errors of pretty-printed AWS CLI
// output name the file line of the event's message, and a field error its
// file column, so that an editor opens the right place.
func TestCloudWatchFilePositions(t *testing.T) {
	data := `{
    "events": [
        {
            "logStreamName": "eni-1-all",
            "timestamp": 1772359200000,
            "message": "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 60 100 160 ACCEPT OK"
        },
        {
            "message": "2 1 eni-1 10.0.0.1 10.0.0.999 1 2 6 1 60 100 160 ACCEPT OK",
            "timestamp": 1772359200000
        },
        {"message": "2 1 eni-1 10.0.0.1\t10.0.0.998 1 2 6 1 60 100 160 ACCEPT OK"},
        {"timestamp": 1772359200000,
         "message": 42},
        {"timestamp": 1}
    ]
}
{"message": "2 1 eni-1 10.0.0.2 10.0.0.1 2 1 6 1 60 100 160 ACCEPT OK"}
{"message": "2 1 eni-1 10.0.0.2 bad 2 1 6 1 60 100 160 ACCEPT OK"}
`
	r, err := Input{Path: "-"}.Open(strings.NewReader(data), StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var rec Record
	for {
		err := r.Read(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s:%d", rec.Pos.Source, rec.Pos.Line))
	}
	if want := "-#eni-1-all:6 -:18"; strings.Join(got, " ") != want {
		t.Errorf("records at %q, want %q", strings.Join(got, " "), want)
	}
	var bad []string
	for _, e := range r.Stats().Examples {
		bad = append(bad, e.Error())
	}
	want := []string{
		`-:9:44: field dstaddr: "10.0.0.999" is not an IPv4 or IPv6 address`,
		`-:12: field dstaddr: "10.0.0.998" is not an IPv4 or IPv6 address`, // escaped \t: no column
		`-:14: field message: message must be a string, found number`,
		`-:15: field message: event has no message`,
		`-:19:33: field dstaddr: "bad" is not an IPv4 or IPv6 address`,
	}
	if strings.Join(bad, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(bad, "\n"), strings.Join(want, "\n"))
	}
	// The columns point at the value in the file.
	lines := strings.Split(data, "\n")
	if c := strings.Index(lines[8], "10.0.0.999") + 1; c != 44 {
		t.Errorf("10.0.0.999 is at column %d of line 9", c)
	}
	if c := strings.Index(lines[18], "bad") + 1; c != 33 {
		t.Errorf("bad is at column %d of line 19, not 33", c)
	}
}

// TestPrefixedTextColumns: in `aws logs tail` text the column of a bad field
// counts from the start of the file line, timestamp and stream included.
func TestPrefixedTextColumns(t *testing.T) {
	line := "2026-03-01T10:00:00.000Z eni-1-all 2 1 eni-1 10.0.0.1 10.0.0.x 1 2 6 1 60 100 160 ACCEPT OK"
	data := line + "\n2026-03-01T10:00:00.000Z eni-1-all 2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 60 100 160 ACCEPT OK\n"
	r, err := Input{Path: "-"}.Open(strings.NewReader(data), StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	for r.Read(&rec) == nil {
	}
	ex := r.Stats().Examples
	want := fmt.Sprintf("-#eni-1-all:1:%d: field dstaddr", strings.Index(line, "10.0.0.x")+1)
	if len(ex) != 1 || !strings.HasPrefix(ex[0].Error(), want) {
		t.Errorf("examples %v, want one starting %q", ex, want)
	}
}
