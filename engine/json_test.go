package engine

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/flowdiag/flowdiag/correlate"
	"github.com/flowdiag/flowdiag/flowlog"
)

// incidentDiagnoses runs the built-in rules over the shop incident logs with
// their topology and returns every diagnosis.
func incidentDiagnoses(t testing.TB) []Diagnosis {
	t.Helper()
	eng, files := incidentEngine(t)
	st, err := flowlog.OpenStream(files, nil, flowlog.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []Diagnosis
	_, err = eng.Run(st, RunOptions{Correlate: correlate.Options{Hints: Hints(eng.Topology())}}, func(d *Diagnosis) error {
		out = append(out, *d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 5 {
		t.Fatalf("only %d diagnoses from the incident logs", len(out))
	}
	return out
}

func TestAppendJSONMatchesMarshal(t *testing.T) {
	ds := incidentDiagnoses(t)
	// Strings no real diagnosis has: HTML characters, controls, invalid
	// UTF-8, line separators, non-ASCII text.
	odd := []string{"", "a<b>&c", "tab\there\nnl\r\b\f\x00\x1f\x7f", "quote\"back\\slash", "bad\xff\xfeutf8", "sep\u2028\u2029", "héllo ✓ 𝄞"}
	for i, s := range odd {
		d := ds[i%len(ds)]
		d.Rule, d.Message, d.ENI, d.VPC = s, s+s, s, s
		d.Supporting = []string{s, "x"}
		d.Evidence = append([]flowlog.Pos{{Source: s, Line: int64(i)}}, d.Evidence...)
		d.NACLRule = i
		d.MoreEvidence = i
		d.CutEarly = i%2 == 1
		d.Predicted = i%3 == 1
		d.Gaps = append(d.Gaps, correlate.Gap{ENI: s, Status: flowlog.LogStatusNoData, Start: 1741942800, End: 1741942860, Pos: flowlog.Pos{Source: s, Line: 7}})
		ds = append(ds, d)
	}
	var gaps, vpc, nacl, cut int
	for i := range ds {
		d := &ds[i]
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		got := d.AppendJSON([]byte("prefix"))
		if !bytes.Equal(got[len("prefix"):], want) {
			t.Fatalf("AppendJSON(%s) =\n%s\nwant\n%s", d.Rule, got[len("prefix"):], want)
		}
		if len(d.Gaps) > 0 {
			gaps++
		}
		if d.VPC != "" {
			vpc++
		}
		if d.NACLRule != 0 {
			nacl++
		}
		if d.CutEarly {
			cut++
		}
	}
	if gaps == 0 || vpc == 0 || nacl == 0 || cut == 0 {
		t.Errorf("fixture misses a branch: %d with gaps, %d with vpc, %d with a NACL rule, %d cut early", gaps, vpc, nacl, cut)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "eni-0abc", "<&>", "\u2028", "\xff", "a\"b\\c\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendJSONString(%q) = %s; want %s", s, got, want)
		}
	})
}

func BenchmarkAppendJSON(b *testing.B) {
	ds := incidentDiagnoses(b)
	var buf []byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = ds[i%len(ds)].AppendJSON(buf[:0])
	}
}

// appendJSONString skips eight safe bytes at a time; every byte value at
// every offset of a word must still be escaped as encoding/json does.
func TestAppendJSONStringEveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		for at := 0; at < 20; at++ {
			b := []byte("abcdefghijklmnopqrstuvwx")
			b[at] = byte(c)
			s := string(b)
			want, _ := json.Marshal(s)
			if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
				t.Fatalf("byte %#x at %d: %s, want %s", c, at, got, want)
			}
		}
	}
}
