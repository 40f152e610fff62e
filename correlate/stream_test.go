package correlate

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/flowdiag/flowdiag/flowlog"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// A long stream of short conversations keeps the number of open
// conversations, remembered emitted keys and heap entries under a bound set
// by the rate of new conversations and the horizon, not by the input size.
func TestMemoryBound(t *testing.T) {
	const (
		perSecond = 20
		maxWins   = 2
		window    = 60
	)
	convs := 150_000
	if testing.Short() {
		convs = 30_000
	}
	g := newGenerator(3, window, maxWins)
	emitted := 0
	c := New(Options{}, func(*Conversation) { emitted++ })
	horizon := c.opts.Horizon
	// Conversations that can be open at once: those started within the
	// horizon plus their own duration, plus one window of disorder.
	bound := perSecond * int(horizon+maxWins*window+window)
	maxHeap, maxTombs := 0, 0
	var r flowlog.Record
	var line int64
	for i := range convs {
		g.conv(1_700_000_000+int64(i/perSecond), &r, &line, c.Add)
		maxHeap = max(maxHeap, len(c.heap))
		maxTombs = max(maxTombs, c.tombs.n)
	}
	st := c.Stats()
	if st.MaxOpen > bound || maxHeap > bound {
		t.Errorf("max open %d, heap %d; want <= %d", st.MaxOpen, maxHeap, bound)
	}
	if maxTombs > 2*bound {
		t.Errorf("remembered %d emitted keys; want <= %d", maxTombs, 2*bound)
	}
	if st.MaxOpen < bound/4 {
		t.Errorf("max open %d: the bound %d is not tight enough to prove anything", st.MaxOpen, bound)
	}
	if len(c.enis) > len(g.clients)+len(g.servers) {
		t.Errorf("%d ENI states; want at most %d", len(c.enis), len(g.clients)+len(g.servers))
	}
	if emitted < convs-bound {
		t.Errorf("only %d of %d conversations emitted before the end; want >= %d", emitted, convs, convs-bound)
	}
	c.Flush()
	// A random client reusing a port to the same server within minutes of
	// an emitted conversation is the only way to a late record here.
	if st := c.Stats(); st.Emitted != st.Conversations || st.LateRecords > 5 {
		t.Errorf("after Flush: %+v", st)
	}
	t.Logf("%d conversations, %d records, max open %d (bound %d), heap %d, emitted keys %d",
		convs, line, st.MaxOpen, bound, maxHeap, maxTombs)
}

// Joining a record to an open conversation allocates nothing.
func TestJoinNoAllocs(t *testing.T) {
	rs := recs(t, "f.log", `
eni-c 10.0.1.5:51234 -> 10.0.2.9:443 tcp ACCEPT t=100-160 dir=egress flags=2
eni-c 10.0.2.9:443 -> 10.0.1.5:51234 tcp ACCEPT t=100-160 dir=ingress flags=18
eni-s 10.0.1.5:51234 -> 10.0.2.9:443 tcp ACCEPT t=100-160 dir=ingress flags=2
eni-s 10.0.2.9:443 -> 10.0.1.5:51234 tcp REJECT t=100-160 dir=egress flags=18
`)
	c := New(Options{}, nil)
	for range 10 { // fill the evidence
		for _, r := range rs {
			c.Add(r)
		}
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, r := range rs {
			c.Add(r)
		}
	})
	if allocs != 0 {
		t.Errorf("Add to an open conversation: %v allocs; want 0", allocs)
	}
}

var benchRecords = map[int]func() []flowlog.Record{
	600:  sync.OnceValue(func() []flowlog.Record { return genRecords(600, 1) }),
	3000: sync.OnceValue(func() []flowlog.Record { return genRecords(3000, 1) }),
}

// BenchmarkAdd feeds generated records (request and reply on one or two
// ENIs, 1-4 windows per conversation, tcp-flags, 5% rejected replies)
// through Add. convs=600 keeps the fixture (about 5,400 records of 880
// bytes) in cache, as a reader that reuses one Record does; convs=3000
// streams 24 MB of records from memory, so it also measures memory
// bandwidth.
func BenchmarkAdd(b *testing.B) {
	for _, n := range []int{600, 3000} {
		b.Run(fmt.Sprintf("convs=%d", n), func(b *testing.B) { benchmarkAdd(b, n) })
	}
}

func benchmarkAdd(b *testing.B, convs int) {
	rs := slices.Clone(benchRecords[convs]())
	span := rs[len(rs)-1].End - rs[0].Start + 2*DefaultHorizon
	c := New(Options{}, func(*Conversation) {})
	// Assert the fixture before timing: it correlates into conversations
	// on two ENIs, with both legs, decided by tcp-flags.
	n, both := 0, 0
	check := New(Options{}, func(cv *Conversation) {
		n++
		if len(cv.Views) == 2 && cv.Views[0].Request.Seen && cv.Views[0].Reply.Seen && cv.Basis == BasisTCPFlags {
			both++
		}
	})
	for i := range rs {
		check.Add(&rs[i])
	}
	check.Flush()
	if n != convs || both < n/2 {
		b.Fatalf("fixture: %d conversations, %d on two ENIs by tcp-flags; want %d, >= %d", n, both, convs, convs/2)
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(rs)
		if j == 0 && i > 0 {
			for k := range rs {
				rs[k].Start += span
				rs[k].End += span
			}
		}
		c.Add(&rs[j])
	}
	c.Flush()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	// The machine is shared: CPU time of this process (all threads, GC
	// included) gives the per-core rate whatever else runs.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "records/cpu-s")
	}
}

// Golden scenarios: testdata/*.txt hold records in the test notation (see
// parseRec); *.golden the conversations emitted, rendered by String, and
// the stats. Run with -update to rewrite the golden files.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios in testdata: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cs, c := run(t, Options{}, recs(t, filepath.Base(file), string(src)))
			var b strings.Builder
			for _, cv := range cs {
				b.WriteString(cv.String() + "\n")
			}
			fmt.Fprintf(&b, "stats %+v\n", c.Stats())
			golden := strings.TrimSuffix(file, ".txt") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if b.String() != string(want) {
				t.Errorf("%s differs from %s (run go test -update to accept):\n got:\n%s\nwant:\n%s", file, golden, b.String(), want)
			}
		})
	}
}
