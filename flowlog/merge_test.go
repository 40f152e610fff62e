package flowlog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const mergeHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"

// mergeFile writes a v2 file of one ENI with records starting at each of
// starts and returns its path.
func mergeFile(t *testing.T, dir, name, eni string, starts ...int64) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(mergeHeader)
	for i, st := range starts {
		fmt.Fprintf(&b, "2 123456789012 %s 10.0.1.5 10.0.2.9 %d 443 6 1 60 %d %d ACCEPT OK\n", eni, 40000+i, st, st+30)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type seen struct {
	pos   string
	start int64
}

func readMergedAll(t *testing.T, s *Stream) []seen {
	t.Helper()
	var out []seen
	var rec Record
	for {
		err := s.Read(&rec)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		out = append(out, seen{fmt.Sprintf("%s:%d", filepath.Base(rec.Pos.Source), rec.Pos.Line), rec.Start})
	}
}

// TestMergeByTime: per-ENI files that span the same hours are read
// interleaved by record start, whatever order they are named in; positions
// stay those of each file.
func TestMergeByTime(t *testing.T) {
	dir := t.TempDir()
	a := mergeFile(t, dir, "a.log", "eni-a", 100, 200, 300, 400)
	b := mergeFile(t, dir, "b.log", "eni-b", 150, 250, 350)
	want := []seen{{"a.log:2", 100}, {"b.log:2", 150}, {"a.log:3", 200}, {"b.log:3", 250},
		{"a.log:4", 300}, {"b.log:4", 350}, {"a.log:5", 400}}
	for _, order := range [][]string{{a, b}, {b, a}} {
		s, err := OpenStream(order, nil, StreamOptions{MergeByTime: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := readMergedAll(t, s); !slices.Equal(got, want) {
			t.Errorf("order %v:\n got %v\nwant %v", order, got, want)
		}
		st := s.Stats()
		if st.Records != 7 || len(st.Inputs) != 2 {
			t.Errorf("stats: %d records, %d inputs", st.Records, len(st.Inputs))
		}
		s.Close()
	}
	// Without merging, the inputs are read one after the other.
	s, _ := OpenStream([]string{b, a}, nil, StreamOptions{})
	if got := readMergedAll(t, s); got[0].pos != "b.log:2" || got[3].pos != "a.log:2" {
		t.Errorf("unmerged: %v", got)
	}
}

// TestMergeOpensLazily: consecutive files (an S3 series) are opened one at a
// time, when the merge reaches their first record.
func TestMergeOpensLazily(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 4 {
		base := int64(1000 * i)
		paths = append(paths, mergeFile(t, dir, fmt.Sprintf("%02d.log", i), "eni-a", base, base+100, base+200))
	}
	s, err := OpenStream(paths, nil, StreamOptions{MergeByTime: true})
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	n := 0
	for {
		err := s.Read(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if open := len(s.merge.open) + 1; open > 1 { // +1: the source of rec
			t.Fatalf("record %d: %d inputs open at once", n, open)
		}
	}
	if n != 12 {
		t.Errorf("read %d records, want 12", n)
	}
}

// TestMergeFailures: an unreadable input in a merge is reported in Failed in
// lenient mode and stops the stream in strict mode; stdin can take part.
func TestMergeFailures(t *testing.T) {
	dir := t.TempDir()
	a := mergeFile(t, dir, "a.log", "eni-a", 100, 300)
	missing := filepath.Join(dir, "missing.log")
	stdin := strings.NewReader(mergeHeader + "2 123456789012 eni-s 10.0.1.5 10.0.2.9 1 443 6 1 60 200 230 ACCEPT OK\n")
	s, err := OpenStream([]string{a, "-"}, stdin, StreamOptions{MergeByTime: true})
	if err != nil {
		t.Fatal(err)
	}
	got := readMergedAll(t, s)
	if len(got) != 3 || got[1].pos != "-:2" {
		t.Errorf("with stdin: %v", got)
	}
	// A file that disappears between listing and reading.
	os.WriteFile(missing, []byte(mergeHeader), 0o644)
	s, err = OpenStream([]string{a, missing}, nil, StreamOptions{MergeByTime: true})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(missing)
	if got := readMergedAll(t, s); len(got) != 2 {
		t.Errorf("lenient: %v", got)
	}
	if f := s.Stats().Failed; len(f) != 1 || !strings.Contains(f[0].Error(), "missing.log") {
		t.Errorf("Failed = %v", f)
	}
	os.WriteFile(missing, []byte(mergeHeader), 0o644)
	s, _ = OpenStream([]string{a, missing}, nil, StreamOptions{MergeByTime: true, ReaderOptions: ReaderOptions{Strict: true}})
	os.Remove(missing)
	var rec Record
	var ie *InputError
	if err := s.Read(&rec); !errors.As(err, &ie) {
		t.Errorf("strict: Read = %v, want an InputError", err)
	}
}

// TestReadParallelMerged: ReadParallel over merged inputs gives exactly the
// records, order and stats of Read.
func TestReadParallelMerged(t *testing.T) {
	dir := t.TempDir()
	a := mergeFile(t, dir, "a.log", "eni-a", 100, 200, 300, 400)
	b := mergeFile(t, dir, "b.log", "eni-b", 150, 250, 350)
	s, _ := OpenStream([]string{a, b}, nil, StreamOptions{MergeByTime: true})
	want := readMergedAll(t, s)
	p, _ := OpenStream([]string{b, a}, nil, StreamOptions{MergeByTime: true})
	var got []seen
	err := ReadParallel(p, 2, func(r *Record, out *seen) bool {
		*out = seen{fmt.Sprintf("%s:%d", filepath.Base(r.Pos.Source), r.Pos.Line), r.Start}
		return true
	}, func(recs []seen, read int64) error {
		got = append(got, recs...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("ReadParallel:\n got %v\nwant %v", got, want)
	}
	if st := p.Stats(); st.Records != 7 {
		t.Errorf("stats after ReadParallel: %+v", st.ReadStats)
	}
}
