package flowlog

import (
	"errors"
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
