package flowlog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// streamRun is everything a reading of a Stream shows: records, statistics,
// warnings and the final error.
type streamRun struct {
	recs  []Record
	read  int64
	stats string
	warns []string
	err   string
}

func openTestStream(t *testing.T, paths []string, opts StreamOptions, warns *[]string) *Stream {
	t.Helper()
	opts.Warn = func(msg string) { *warns = append(*warns, msg) }
	s, err := OpenStream(paths, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func serialRun(t *testing.T, paths []string, opts StreamOptions) streamRun {
	var out streamRun
	s := openTestStream(t, paths, opts, &out.warns)
	for {
		var r Record
		err := s.Read(&r)
		if err == io.EOF {
			break
		}
		if err != nil {
			out.err = err.Error()
			break
		}
		r.Extra = append([]string(nil), r.Extra...)
		out.recs = append(out.recs, r)
		out.read++
	}
	out.stats = statsString(s.Stats())
	return out
}

func parallelRun(t *testing.T, paths []string, opts StreamOptions, workers int, ck chunking, drop func(*Record) bool) streamRun {
	var out streamRun
	s := openTestStream(t, paths, opts, &out.warns)
	err := readParallel(s, workers, ck, func(r *Record, x *Record) bool {
		if drop != nil && drop(r) {
			return false
		}
		*x = *r
		x.Extra = append([]string(nil), r.Extra...)
		return true
	}, func(recs []Record, read int64) error {
		out.recs = append(out.recs, recs...)
		out.read += read
		return nil
	})
	if err != nil {
		out.err = err.Error()
	}
	if err := s.Read(&Record{}); err != io.EOF && (err == nil || err.Error() != out.err) {
		t.Errorf("Read after ReadParallel = %v; want io.EOF or the stream's error", err)
	}
	out.stats = statsString(s.Stats())
	return out
}

func statsString(st StreamStats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "lines=%d records=%d skipped=%d headers=%d blank=%d gaps=%d tgw=%d control=%d\n",
		st.Lines, st.Records, st.Skipped, st.Headers, st.Blank, st.Gaps, st.TGW, st.Control)
	for _, e := range st.Examples {
		fmt.Fprintf(&b, "  example %v\n", e)
	}
	for _, in := range st.Inputs {
		fmt.Fprintf(&b, "input %s %s gzip=%v lines=%d records=%d skipped=%d headers=%d blank=%d err=%v\n",
			in.Name, in.Content, in.Gzip, in.Lines, in.Records, in.Skipped, in.Headers, in.Blank, in.Err)
		for _, e := range in.Examples {
			fmt.Fprintf(&b, "  example %v\n", e)
		}
	}
	for _, f := range st.Failed {
		fmt.Fprintf(&b, "failed %v\n", f)
	}
	return b.String()
}

// chunkFixtures writes inputs that stress chunk boundaries: headers in the
// middle of a file, blank and CRLF lines, a byte order mark, bad lines, a
// line longer than the limit, gzip (whole and truncated), and a CloudWatch
// JSON file, next to the real samples of testdata.
func chunkFixtures(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	const v2 = "2 123456789012 eni-0a1b2c3d 10.0.1.5 10.0.2.9 51234 443 6 10 840 1700000000 1700000060 ACCEPT OK\n"
	const v2r = "2 123456789012 eni-0a1b2c3d 10.0.2.9 10.0.1.5 443 51234 6 8 4000 1700000000 1700000060 REJECT OK\r\n"
	const v5h = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags flow-direction unknown-thing\n"
	const v5 = "5 123456789012 eni-0ffff 10.0.3.1 10.0.4.2 40000 5432 6 3 180 1700000100 1700000160 ACCEPT OK 2 egress x\n"
	var mixed strings.Builder
	mixed.WriteString("\xEF\xBB\xBF" + v2)
	for i := range 40 {
		mixed.WriteString(v2)
		mixed.WriteString(v2r)
		if i%7 == 3 {
			mixed.WriteString("\n   \n")
		}
		if i%11 == 5 {
			mixed.WriteString("2 123456789012 eni-0a1b2c3d 10.0.1.5 10.0.2.9 51234 99999 6 10 840 1700000000 1700000060 ACCEPT OK\n")
		}
		if i == 13 {
			mixed.WriteString(v5h)
		}
		if i >= 13 && i < 30 {
			mixed.WriteString(v5)
		}
		if i == 30 {
			mixed.WriteString("VERSION bad header\n")
			mixed.WriteString(DefaultFormat().String() + "\n")
		}
		if i == 21 {
			mixed.WriteString("2 " + strings.Repeat("x", 3000) + "\n")
		}
	}
	mixed.WriteString(v2[:len(v2)-1]) // no final newline
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Repeat(v2+v2r, 300)))
	zw.Close()
	files := []string{
		write("a-mixed.log", []byte(mixed.String())),
		write("b-whole.log.gz", gz.Bytes()),
		write("c-truncated.log.gz", gz.Bytes()[:gz.Len()*2/3]),
		write("d-empty.log", nil),
	}
	samples, err := filepath.Glob(filepath.Join("testdata", "*", "*.log*"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join("testdata", "sources", "*"))
	return append(append(files, samples...), more...)
}

func TestReadParallelMatchesRead(t *testing.T) {
	files := chunkFixtures(t)
	for _, strict := range []bool{false, true} {
		opts := StreamOptions{}
		opts.Strict = strict
		opts.MaxLineBytes = 2000
		want := serialRun(t, files, opts)
		if !strict && (want.read < 1000 || !strings.Contains(want.stats, "headers=") || len(want.warns) == 0) {
			t.Fatalf("fixture too weak: %d records, warnings %q\n%s", want.read, want.warns, want.stats)
		}
		for _, workers := range []int{1, 2, 3} {
			for _, ck := range []chunking{{size: 1}, {size: 97}, {size: 1000}, {size: 1 << 20}, {size: 1, mapMin: 1}, {size: 97, mapMin: 1}, {size: 1000, mapMin: 2000}, {size: 1 << 20, mapMin: 1}} {
				name := fmt.Sprintf("strict=%v/workers=%d/chunk=%d/mapMin=%d", strict, workers, ck.size, ck.mapMin)
				got := parallelRun(t, files, opts, workers, ck, nil)
				if got.err != want.err {
					t.Errorf("%s: error %q; want %q", name, got.err, want.err)
				}
				if got.stats != want.stats {
					t.Errorf("%s: stats\n%s\nwant\n%s", name, got.stats, want.stats)
				}
				if !reflect.DeepEqual(got.warns, want.warns) {
					t.Errorf("%s: warnings\n%q\nwant\n%q", name, got.warns, want.warns)
				}
				if got.read != want.read || len(got.recs) != len(want.recs) {
					t.Fatalf("%s: %d records (%d read); want %d", name, len(got.recs), got.read, len(want.recs))
				}
				for i := range got.recs {
					if !reflect.DeepEqual(got.recs[i], want.recs[i]) {
						t.Fatalf("%s: record %d\n%+v\nwant\n%+v", name, i, got.recs[i], want.recs[i])
					}
				}
			}
		}
	}
}

func TestReadParallelKeepAndStop(t *testing.T) {
	files := chunkFixtures(t)
	all := serialRun(t, files, StreamOptions{})
	got := parallelRun(t, files, StreamOptions{}, 2, chunking{size: 500, mapMin: 1}, func(r *Record) bool { return r.Action != ActionReject })
	if got.read != all.read {
		t.Errorf("read %d; want %d (dropped records are still read)", got.read, all.read)
	}
	n := 0
	for i := range all.recs {
		if all.recs[i].Action == ActionReject {
			n++
		}
	}
	if len(got.recs) != n || n == int(all.read) {
		t.Errorf("kept %d records; want %d of %d", len(got.recs), n, all.read)
	}

	// A deliver error stops the reading and is returned.
	var warns []string
	s := openTestStream(t, files, StreamOptions{}, &warns)
	stop := errors.New("enough")
	calls := 0
	err := readParallel(s, 2, chunking{size: 100, mapMin: 1}, func(r *Record, x *int64) bool { *x = r.Pos.Line; return true },
		func(recs []int64, read int64) error {
			calls++
			if calls == 3 {
				return stop
			}
			return nil
		})
	if !errors.Is(err, stop) || calls != 3 {
		t.Errorf("ReadParallel = %v after %d deliveries; want %v after 3", err, calls, stop)
	}
}

// FuzzReadParallel: whatever the bytes and the chunk size, ReadParallel
// delivers what Read does, with the same statistics, warnings and error.
func FuzzReadParallel(f *testing.F) {
	f.Add([]byte("2 123456789012 eni-0a 10.0.1.5 10.0.2.9 51234 443 6 10 840 1700000000 1700000060 ACCEPT OK\n"), uint16(7), false)
	f.Add([]byte("version srcaddr dstaddr\n10.0.0.1 10.0.0.2\r\n\xEF\xBB\xBFversion interface-id\neni-1\nbad line\n"), uint16(1), true)
	f.Add([]byte("\n\n  \nversion x-y\n1 2 3\n"), uint16(3), false)
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16, strict bool) {
		p := filepath.Join(t.TempDir(), "f.log")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := StreamOptions{}
		opts.Strict = strict
		opts.MaxLineBytes = 64
		want := serialRun(t, []string{p}, opts)
		// Odd chunk values map the file, even ones read it.
		got := parallelRun(t, []string{p}, opts, 2, chunking{size: int(chunk)%200 + 1, mapMin: int64(chunk % 2)}, nil)
		if got.err != want.err || got.stats != want.stats || !reflect.DeepEqual(got.warns, want.warns) {
			t.Fatalf("error %q stats\n%s warnings %q\nwant error %q stats\n%s warnings %q", got.err, got.stats, got.warns, want.err, want.stats, want.warns)
		}
		if !reflect.DeepEqual(got.recs, want.recs) {
			t.Fatalf("records differ: %d; want %d", len(got.recs), len(want.recs))
		}
	})
}

func TestReadParallelAfterRead(t *testing.T) {
	var warns []string
	s := openTestStream(t, chunkFixtures(t)[:1], StreamOptions{}, &warns)
	if err := s.Read(&Record{}); err != nil {
		t.Fatal(err)
	}
	err := ReadParallel(s, 2, func(*Record, *int) bool { return true }, func([]int, int64) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "already being read") {
		t.Errorf("ReadParallel after Read = %v; want an error saying the stream is being read", err)
	}
}

// TestReadParallelFileShrinks: a mapped file truncated while being read ends
// with a read error naming the file, after the records already delivered,
// instead of crashing the process on the memory fault.
func TestReadParallelFileShrinks(t *testing.T) {
	const v2 = "2 123456789012 eni-0a1b2c3d 10.0.1.5 10.0.2.9 51234 443 6 10 840 1700000000 1700000060 ACCEPT OK\n"
	p := filepath.Join(t.TempDir(), "growing.log")
	for _, strict := range []bool{false, true} {
		if err := os.WriteFile(p, []byte(strings.Repeat(v2, 20000)), 0o644); err != nil {
			t.Fatal(err)
		}
		var warns []string
		opts := StreamOptions{}
		opts.Strict = strict
		s := openTestStream(t, []string{p}, opts, &warns)
		var got int64
		err := readParallel(s, 2, chunking{size: 4096, mapMin: 1}, func(r *Record, x *int64) bool { *x = r.Pos.Line; return true },
			func(recs []int64, read int64) error {
				if got == 0 {
					if err := os.Truncate(p, 0); err != nil {
						t.Fatal(err)
					}
				}
				for _, l := range recs {
					if l != got+1 {
						t.Fatalf("line %d after %d", l, got)
					}
					got = l
				}
				return nil
			})
		st := s.Stats()
		var failed error
		if len(st.Failed) > 0 {
			failed = st.Failed[0]
		}
		if err == nil {
			err = failed
		}
		if err == nil || !strings.Contains(err.Error(), "shrank") || !strings.Contains(err.Error(), "growing.log") {
			t.Errorf("strict=%v: error %v; want the file named and said to have shrunk", strict, err)
		}
		t.Logf("strict=%v: %d records, then: %v", strict, got, err)
		if got == 0 || got >= 20000 {
			t.Errorf("strict=%v: %d records delivered; want those before the truncation", strict, got)
		}
	}
}
