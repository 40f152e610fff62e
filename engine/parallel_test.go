package engine

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/flowdiag/flowdiag/correlate"
	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/rules"
	"github.com/flowdiag/flowdiag/topology"
)

// incidentEngine returns the built-in rules over the shop topology and the
// shop incident logs.
func incidentEngine(t testing.TB) (*Engine, []string) {
	t.Helper()
	set, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	topo, err := topology.Load(filepath.Join("..", "testdata", "incidents", "shop-topology.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := New(set, topo)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "testdata", "incidents", "*.log*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no incident logs: %v", err)
	}
	return eng, files
}

func TestRunParallelMatchesRun(t *testing.T) {
	eng, files := incidentEngine(t)
	noICMP := func(r *flowlog.Record) bool { return !r.Protocol.IsICMP() }
	for _, keep := range []func(*flowlog.Record) bool{nil, noICMP} {
		opts := RunOptions{Correlate: correlate.Options{Hints: Hints(eng.Topology())}, KeepRecord: keep}
		st, err := flowlog.OpenStream(files, nil, flowlog.StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var want []Diagnosis
		wantStats, err := eng.Run(st, opts, func(d *Diagnosis) error { want = append(want, *d); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Fatal("no diagnoses from the incident logs")
		}
		for _, workers := range []int{1, 2, 3} {
			st, err := flowlog.OpenStream(files, nil, flowlog.StreamOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []Diagnosis
			var enc []string
			popts := ParallelOptions{RunOptions: opts, Workers: workers, Encode: func(d *Diagnosis, b []byte) []byte { return d.AppendJSON(b) }}
			gotStats, err := eng.RunParallel(st, popts, func(d *Diagnosis, e []byte) error {
				got = append(got, *d)
				enc = append(enc, string(e))
				return nil
			})
			if err != nil {
				t.Fatalf("workers=%d: %v", workers, err)
			}
			if !reflect.DeepEqual(gotStats, wantStats) {
				t.Errorf("workers=%d: stats %+v; want %+v", workers, gotStats, wantStats)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("workers=%d: %d diagnoses differ from Run's %d", workers, len(got), len(want))
			}
			for i := range got {
				if enc[i] != string(want[i].AppendJSON(nil)) {
					t.Fatalf("workers=%d: encoding %d = %s; want that of %s", workers, i, enc[i], want[i].Rule)
				}
			}
		}
	}
}

func TestRunParallelSinkError(t *testing.T) {
	eng, files := incidentEngine(t)
	st, err := flowlog.OpenStream(files, nil, flowlog.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("disk full")
	calls := 0
	_, err = eng.RunParallel(st, ParallelOptions{Workers: 2}, func(*Diagnosis, []byte) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 2 {
		t.Errorf("RunParallel = %v after %d sink calls; want %v after 2", err, calls, stop)
	}

	// A strict stream's parse error ends the run with that error, after
	// the conversations read before it are diagnosed (Run and RunParallel).
	bad := filepath.Join(t.TempDir(), "bad.log")
	if err := writeFile(bad, "2 123456789012 eni-0a 198.51.100.7 10.0.1.5 51234 22 6 1 60 1700000000 1700000060 REJECT OK\n2 x\n"); err != nil {
		t.Fatal(err)
	}
	strict := flowlog.StreamOptions{ReaderOptions: flowlog.ReaderOptions{Strict: true}}
	for _, workers := range []int{0, 1, 2} {
		st, err = flowlog.OpenStream([]string{bad}, nil, strict)
		if err != nil {
			t.Fatal(err)
		}
		diagnosed := 0
		var rs RunStats
		if workers == 0 {
			rs, err = eng.Run(st, RunOptions{}, func(*Diagnosis) error { diagnosed++; return nil })
		} else {
			rs, err = eng.RunParallel(st, ParallelOptions{Workers: workers}, func(*Diagnosis, []byte) error { diagnosed++; return nil })
		}
		var pe *flowlog.ParseError
		if !errors.As(err, &pe) || pe.Line != 2 || rs.Records != 1 || diagnosed != 1 {
			t.Errorf("workers %d (0: Run) on a bad line = %v after %d records, %d diagnosed; want a ParseError at line 2 after 1 record, 1 diagnosed",
				workers, err, rs.Records, diagnosed)
		}
	}
}

func writeFile(name, data string) error { return os.WriteFile(name, []byte(data), 0o644) }
