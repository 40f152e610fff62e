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

// TestReadParallelMerged: ReadParallel over merged inputs (one goroutine
// per input, prefetching) gives exactly the records, order, stats and
// errors of Read, also with failing inputs, strict mode and stdin, and with
// a keep that drops records (the merge order still counts them).
func TestReadParallelMerged(t *testing.T) {
	dir := t.TempDir()
	var starts [3][]int64
	for i := range 3000 {
		starts[i%3] = append(starts[i%3], int64(100+i*7%500+i/3)) // interleaved, locally out of order
	}
	a := mergeFile(t, dir, "a.log", "eni-a", starts[0]...)
	b := mergeFile(t, dir, "b.log", "eni-b", starts[1]...)
	c := mergeFile(t, dir, "c.log", "eni-c", starts[2]...)
	bad := filepath.Join(dir, "bad.log")
	os.WriteFile(bad, []byte(mergeHeader+"2 123456789012 eni-x 10.0.1.5 10.0.2.9 1 443 6 1 60 150 180 ACCEPT OK\nnot a record\n"+
		"2 123456789012 eni-x 10.0.1.5 10.0.2.9 2 443 6 1 60 400 430 ACCEPT OK\n"), 0o644)
	stdinData := mergeHeader + "2 123456789012 eni-s 10.0.1.5 10.0.2.9 1 443 6 1 60 120 130 ACCEPT OK\n" +
		"2 123456789012 eni-s 10.0.1.5 10.0.2.9 2 443 6 1 60 333 340 ACCEPT OK\n"
	keepOdd := func(r *Record) bool { return r.Pos.Line%2 == 1 }
	for _, tc := range []struct {
		name   string
		paths  []string
		strict bool
	}{
		{"three files", []string{c, a, b}, false},
		{"a bad line, lenient", []string{a, bad, b}, false},
		{"a bad line, strict", []string{a, bad, b}, true},
		{"stdin among files", []string{a, "-", c}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := StreamOptions{MergeByTime: true, ReaderOptions: ReaderOptions{Strict: tc.strict}}
			s, _ := OpenStream(tc.paths, strings.NewReader(stdinData), opts)
			var want []seen
			var wantErr error
			var rec Record
			for {
				err := s.Read(&rec)
				if err != nil {
					if err != io.EOF {
						wantErr = err
					}
					break
				}
				if keepOdd(&rec) {
					want = append(want, seen{fmt.Sprintf("%s:%d", filepath.Base(rec.Pos.Source), rec.Pos.Line), rec.Start})
				}
			}
			wantStats := s.Stats()
			// The default sizing, and batches of a few records whose length
			// changes as inputs start and end.
			for _, run := range []struct {
				workers int
				sizing  mergeSizing
			}{{1, mergeSizing{}}, {2, mergeSizing{}}, {4, mergeSizing{}}, {1, mergeSizing{3, 50, 40}}, {2, mergeSizing{3, 50, 40}}, {4, mergeSizing{1, 7, 12}}} {
				workers := run.workers
				p, _ := OpenStream(tc.paths, strings.NewReader(stdinData), opts)
				var got []seen
				var read int64
				err := readParallel(p, workers, chunking{size: chunkBytes, merge: run.sizing}, func(r *Record, out *seen) bool {
					*out = seen{fmt.Sprintf("%s:%d", filepath.Base(r.Pos.Source), r.Pos.Line), r.Start}
					return keepOdd(r)
				}, func(recs []seen, n int64) error {
					got = append(got, recs...)
					read += n
					return nil
				})
				if fmt.Sprint(err) != fmt.Sprint(wantErr) {
					t.Errorf("workers %d, batches %+v: error %v; want %v", workers, run.sizing, err, wantErr)
				}
				if !slices.Equal(got, want) {
					t.Errorf("workers %d, batches %+v: %d records, order differs from Read's %d", workers, run.sizing, len(got), len(want))
				}
				st := p.Stats()
				if wantErr != nil {
					continue // after a strict stop the inputs read ahead count more than Read had read
				}
				if st.Records != wantStats.Records || st.Skipped != wantStats.Skipped || len(st.Failed) != len(wantStats.Failed) || len(st.Inputs) != len(wantStats.Inputs) {
					t.Errorf("workers %d, batches %+v: stats %+v / %d inputs; want %+v / %d", workers, run.sizing, st.ReadStats, len(st.Inputs), wantStats.ReadStats, len(wantStats.Inputs))
				}
				if read != st.Records {
					t.Errorf("workers %d, batches %+v: deliver was told %d records read; stats say %d", workers, run.sizing, read, st.Records)
				}
			}
		})
	}
}

// TestMergeBatchLen: a few inputs read at once share the budget in long
// batches; many get the minimum, so that their total stays bounded.
func TestMergeBatchLen(t *testing.T) {
	z := mergeSizing{min: mergeBatchMin, max: mergeBatchMax, budget: mergeBatchBudget}
	for _, tc := range []struct {
		running int32
		want    int
	}{{0, 4096}, {1, 4096}, {2, 4096}, {4, 4096}, {5, 3276}, {16, 1024}, {64, 256}, {1000, 256}} {
		if got := z.batchLen(tc.running); got != tc.want {
			t.Errorf("batchLen(%d) = %d; want %d", tc.running, got, tc.want)
		}
	}
}
