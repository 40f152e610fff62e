package engine

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/flowdiag/flowdiag/correlate"
	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/internal/gen"
	"github.com/flowdiag/flowdiag/rules"
	"github.com/flowdiag/flowdiag/topology"
)

// preparedConversations correlates the shop incident logs (with the shop
// topology's hints) and returns the engine and every conversation.
func preparedConversations(tb testing.TB) (*Engine, []*correlate.Conversation) {
	tb.Helper()
	eng, files := incidentEngine(tb)
	return eng, correlateFiles(tb, eng.Topology(), files)
}

// correlateFiles reads files and returns every conversation, correlated
// with topo's hints.
func correlateFiles(tb testing.TB, topo *topology.Topology, files []string) []*correlate.Conversation {
	tb.Helper()
	st, err := flowlog.OpenStream(files, nil, flowlog.StreamOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	var convs []*correlate.Conversation
	corr := correlate.New(correlate.Options{Hints: Hints(topo)}, func(c *correlate.Conversation) { convs = append(convs, c) })
	var rec flowlog.Record
	for st.Read(&rec) == nil {
		corr.Add(&rec)
	}
	corr.Flush()
	return convs
}

// BenchmarkDiagnose is the issue 5 engine benchmark: the built-in rules over
// prepared conversations with a topology (facts, topology evaluation, rule
// matching and, for the conversations a rule matches, the rendered
// diagnosis). It reports conversations per CPU-second of the process.
func BenchmarkDiagnose(b *testing.B) {
	eng, convs := preparedConversations(b)
	w := eng.NewWorker()
	diagnosed := 0
	for _, c := range convs {
		if _, ok := w.Diagnose(c); ok {
			diagnosed++
		}
	}
	if diagnosed == 0 || diagnosed == len(convs) {
		b.Fatalf("%d of %d conversations diagnosed: fixture does not mix healthy and blocked", diagnosed, len(convs))
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	t0 := time.Now()
	i := 0
	for b.Loop() {
		w.Diagnose(convs[i%len(convs)])
		i++
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(i)/cpu.Seconds(), "convs/cpu-s")
	}
	b.ReportMetric(float64(i)/time.Since(t0).Seconds(), "convs/s")
}

// BenchmarkFacts measures what every conversation costs, matched or not:
// facts with the topology evaluation and rule matching.
func BenchmarkFacts(b *testing.B) {
	eng, convs := preparedConversations(b)
	w := eng.NewWorker()
	benchFactsLoop(b, w, convs)
}

// benchFactsLoop states the facts of convs in turn and matches the rules,
// reporting conversations per CPU-second of the process.
func benchFactsLoop(b *testing.B, w *Worker, convs []*correlate.Conversation) {
	b.ReportAllocs()
	cpu0 := cpuTime()
	i := 0
	var err error
	for b.Loop() {
		mask := w.Facts(convs[i%len(convs)])
		if w.matched, err = w.ev.Match(&w.env, mask, w.matched[:0]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(i)/cpu.Seconds(), "convs/cpu-s")
	}
}

// TestFactsDoNotAllocate: stating the facts of a conversation and matching
// the rules allocates nothing per conversation (no maps, no strings) once
// the topology's caches are warm.
func TestFactsDoNotAllocate(t *testing.T) {
	eng, convs := preparedConversations(t)
	w := eng.NewWorker()
	for _, c := range convs { // warm the topology caches
		w.Facts(c)
	}
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		mask := w.Facts(convs[i%len(convs)])
		var err error
		if w.matched, err = w.ev.Match(&w.env, mask, w.matched[:0]); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs > 0.05 {
		t.Errorf("Facts+Match: %.2f allocations per conversation; want 0", allocs)
	}
}

// generatedConversations correlates a dump of the realistic generated VPC
// (mostly healthy traffic, with scans, stragglers and three deliberate
// misconfigurations, as in an hour of a busy VPC) with its topology.
func generatedConversations(tb testing.TB) (*Engine, []*correlate.Conversation) {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := gen.Generate(dir, gen.Options{Seed: 5, Records: 60_000, Format: gen.FormatV5}); err != nil {
		tb.Fatal(err)
	}
	set, err := rules.LoadBuiltin()
	if err != nil {
		tb.Fatal(err)
	}
	topo, err := topology.Load(filepath.Join(dir, "topology.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := New(set, topo)
	if err != nil {
		tb.Fatal(err)
	}
	return eng, correlateFiles(tb, topo, []string{filepath.Join(dir, "flows.log")})
}

// BenchmarkFactsGenerated is BenchmarkFacts on the generated VPC's
// realistic mix instead of the bundled incidents (which are nearly all
// blocked conversations).
func BenchmarkFactsGenerated(b *testing.B) {
	eng, convs := generatedConversations(b)
	w := eng.NewWorker()
	diagnosed := 0
	for _, c := range convs {
		if _, ok := w.Diagnose(c); ok {
			diagnosed++
		}
	}
	b.ReportMetric(float64(diagnosed)/float64(len(convs)), "diagnosed-share")
	benchFactsLoop(b, w, convs)
}
