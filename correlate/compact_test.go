package correlate

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/flowdiag/flowdiag/flowlog"
)

// render correlates rs with opts and returns every conversation, in
// emission order, and the stats. general forces every conversation into
// the general form, the reference the compact slots must reproduce.
func render(t testing.TB, opts Options, general bool, rs []*flowlog.Record) (string, Stats) {
	t.Helper()
	var b strings.Builder
	c := New(opts, func(cv *Conversation) { b.WriteString(cv.String() + "\n") })
	c.forceBig = general
	for _, r := range rs {
		c.Add(r)
	}
	c.Flush()
	if c.Open() != 0 {
		t.Fatalf("Open() = %d after Flush", c.Open())
	}
	return b.String(), c.Stats()
}

// outgrow holds conversations that do not fit a slot: three ENIs (a NAT
// gateway's two sides and an endpoint), three kinds of record on one leg,
// times more than 68 years apart, and a long conversation whose evidence
// spills into blocks.
const outgrow = `
eni-a 10.0.1.5:40000 -> 203.0.113.5:443 tcp ACCEPT t=100-160 dir=egress flags=2
eni-nat 10.0.1.5:40000 -> 10.0.0.220:443 tcp ACCEPT t=101-160 pkt=10.0.1.5->203.0.113.5
eni-nat2 10.0.1.5:40000 -> 203.0.113.5:443 tcp ACCEPT t=102-160 dir=egress
eni-a 203.0.113.5:443 -> 10.0.1.5:40000 tcp ACCEPT t=100-160 dir=ingress flags=18
eni-b 10.0.1.6:50000 -> 10.0.2.9:22 tcp ACCEPT t=100-160 by=100
eni-b 10.0.1.6:50000 -> 10.0.2.9:22 tcp REJECT t=160-220 by=200 reason=BPA
eni-b 10.0.1.6:50000 -> 10.0.2.9:22 tcp - t=220-280 by=300
eni-b 10.0.2.9:22 -> 10.0.1.6:50000 tcp REJECT t=100-160
eni-c 10.0.1.7:50001 -> 10.0.2.9:80 tcp ACCEPT t=1000-1060
eni-c 10.0.1.7:50001 -> 10.0.2.9:80 tcp ACCEPT t=1060-3000000000
eni-c 10.0.2.9:80 -> 10.0.1.7:50001 tcp ACCEPT t=1000-1060
`

func longConversation(windows int) string {
	var b strings.Builder
	for w := range windows {
		t := 5000 + int64(w)*60
		// Out of order within the window, so evidence is inserted, not
		// only appended.
		fmt.Fprintf(&b, "eni-s 10.0.2.9:5432 -> 10.0.1.8:33000 tcp ACCEPT t=%d-%d pk=%d dir=egress\n", t+1, t+59, w+1)
		fmt.Fprintf(&b, "eni-s 10.0.1.8:33000 -> 10.0.2.9:5432 tcp ACCEPT t=%d-%d pk=%d dir=ingress\n", t, t+59, w+1)
		fmt.Fprintf(&b, "eni-d 10.0.1.8:33000 -> 10.0.2.9:5432 tcp ACCEPT t=%d-%d pk=%d\n", t+(int64(windows-w)%7), t+59, w+1)
	}
	return b.String()
}

// The compact slots give exactly what the general form gives: every
// conversation, view, tally, evidence position, role and gap, and the same
// stats, for realistic generated traffic, the golden scenarios and
// conversations that outgrow a slot, whatever MaxEvidence is.
func TestCompactMatchesGeneral(t *testing.T) {
	inputs := map[string][]*flowlog.Record{
		"outgrow": recs(t, "outgrow.log", outgrow),
		"long":    recs(t, "long.log", longConversation(40)),
	}
	// Records of one leg out of order, before and after its evidence is
	// full: positions are inserted, and earlier ones displace later ones.
	long := inputs["long"]
	shuffled := slices.Clone(long)
	rand.New(rand.NewPCG(5, 5)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	inputs["long shuffled"] = shuffled
	reversed := slices.Clone(long)
	slices.Reverse(reversed)
	inputs["long reversed"] = reversed
	gen := genRecords(4000, 2)
	for i := range gen {
		inputs["generated"] = append(inputs["generated"], &gen[i])
	}
	files, _ := filepath.Glob("testdata/*.txt")
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(f)] = recs(t, filepath.Base(f), string(src))
	}
	for name, rs := range inputs {
		for _, maxEv := range []int{-1, 1, 2, 3, 8, 100} {
			opts := Options{MaxEvidence: maxEv}
			got, gst := render(t, opts, false, rs)
			want, wst := render(t, opts, true, rs)
			if got != want {
				t.Errorf("%s, MaxEvidence %d: compact form differs from the general form:\ncompact:\n%s\ngeneral:\n%s", name, maxEv, got, want)
			}
			if wst.Promoted != wst.Conversations {
				t.Errorf("%s: general run promoted %d of %d", name, wst.Promoted, wst.Conversations)
			}
			gst.Promoted, wst.Promoted = 0, 0
			if gst != wst {
				t.Errorf("%s, MaxEvidence %d: stats %+v; want %+v", name, maxEv, gst, wst)
			}
		}
	}
	// The outgrowing conversations did take the general form, and the
	// others did not.
	_, st := render(t, Options{}, false, inputs["outgrow"])
	if st.Promoted != 3 || st.Conversations != 3 {
		t.Errorf("outgrow: %d of %d conversations promoted; want 3 of 3", st.Promoted, st.Conversations)
	}
	for _, name := range []string{"long", "generated"} {
		if _, st := render(t, Options{}, false, inputs[name]); st.Promoted != 0 {
			t.Errorf("%s: %d conversations promoted; want 0", name, st.Promoted)
		}
	}
	if _, st := render(t, Options{MaxEvidence: 100}, false, inputs["long"]); st.Promoted != 1 {
		t.Errorf("long, MaxEvidence 100: %d promoted; want 1 (evidence beyond the block stride)", st.Promoted)
	}
}

// An open conversation costs one slot: a few hundred bytes, no pointers.
func TestSlotSize(t *testing.T) {
	if n := unsafe.Sizeof(slot{}); n > 512 {
		t.Errorf("slot is %d bytes; want <= 512", n)
	}
}

// QA #15: the same record read twice (a file given twice, a directory and
// a file inside it, overlapping exports) is counted once.
func TestDuplicates(t *testing.T) {
	base := recs(t, "a.log", `
eni-web 10.0.1.5:51234 -> 10.0.2.9:5432 tcp ACCEPT t=1700000000-1700000059 flags=2 dir=egress pk=3 by=180
eni-db 10.0.1.5:51234 -> 10.0.2.9:5432 tcp ACCEPT t=1700000001-1700000059 flags=2 dir=ingress pk=3 by=180
eni-db 10.0.2.9:5432 -> 10.0.1.5:51234 tcp REJECT t=1700000001-1700000059 flags=18 dir=egress pk=2 by=120
eni-web 10.0.1.5:51234 -> 10.0.2.9:5432 tcp ACCEPT t=1700000060-1700000119 flags=2 dir=egress pk=3 by=180
eni-web NODATA t=1700000120-1700000179
`)
	again := recs(t, "b.log", `
eni-web 10.0.1.5:51234 -> 10.0.2.9:5432 tcp ACCEPT t=1700000000-1700000059 flags=2 dir=egress pk=3 by=180
eni-db 10.0.1.5:51234 -> 10.0.2.9:5432 tcp ACCEPT t=1700000001-1700000059 flags=2 dir=ingress pk=3 by=180
eni-db 10.0.2.9:5432 -> 10.0.1.5:51234 tcp REJECT t=1700000001-1700000059 flags=18 dir=egress pk=2 by=120
eni-web 10.0.1.5:51234 -> 10.0.2.9:5432 tcp ACCEPT t=1700000060-1700000119 flags=2 dir=egress pk=3 by=180
eni-web NODATA t=1700000120-1700000179
`)
	// Each differs from a record of a.log in one field: not a duplicate.
	near := recs(t, "c.log", `
eni-web 10.0.1.5:51234 -> 10.0.2.9:5432 tcp ACCEPT t=1700000000-1700000059 flags=2 dir=egress pk=3 by=181
eni-web 10.0.1.5:51234 -> 10.0.2.9:5432 tcp ACCEPT t=1700000000-1700000059 flags=2 dir=egress pk=4 by=180
eni-web 10.0.1.5:51234 -> 10.0.2.9:5432 tcp ACCEPT t=1700000000-1700000058 flags=2 dir=egress pk=3 by=180
eni-web 10.0.1.5:51234 -> 10.0.2.9:5432 tcp ACCEPT t=1700000002-1700000059 flags=2 dir=egress pk=3 by=180
eni-web 10.0.1.5:51234 -> 10.0.2.9:5432 tcp REJECT t=1700000000-1700000059 flags=2 dir=egress pk=3 by=180
eni-web 10.0.1.5:51234 -> 10.0.2.9:5432 tcp ACCEPT t=1700000000-1700000059 flags=3 dir=egress pk=3 by=180
eni-web 10.0.2.9:5432 -> 10.0.1.5:51234 tcp ACCEPT t=1700000000-1700000059 flags=2 dir=egress pk=3 by=180
eni-cache 10.0.1.5:51234 -> 10.0.2.9:5432 tcp ACCEPT t=1700000000-1700000059 flags=2 dir=egress pk=3 by=180
eni-web SKIPDATA t=1700000120-1700000179
eni-web NODATA t=1700000120-1700000178
`)
	interleave := func(a, b []*flowlog.Record) []*flowlog.Record {
		var out []*flowlog.Record
		for i := range a {
			out = append(out, a[i], b[i])
		}
		return out
	}
	cat := func(lists ...[]*flowlog.Record) []*flowlog.Record {
		var out []*flowlog.Record
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
	once, onceStats := render(t, Options{}, false, base)
	tests := []struct {
		name      string
		in        []*flowlog.Record
		dups      int64
		sameAsOne bool // same conversations as base alone
	}{
		{"file given twice", cat(base, base), 5, true},
		{"overlapping export, interleaved", interleave(base, again), 5, true},
		{"three copies", cat(base, again, base), 10, true},
		{"near duplicates are records", cat(base, near), 0, false},
	}
	for _, tt := range tests {
		for _, general := range []bool{false, true} {
			got, st := render(t, Options{}, general, tt.in)
			if st.Duplicates != tt.dups {
				t.Errorf("%s (general %v): Duplicates = %d; want %d", tt.name, general, st.Duplicates, tt.dups)
			}
			if st.Keyed+st.Gaps+st.Duplicates+st.TransitGateway+st.Unkeyed != st.Records {
				t.Errorf("%s: stats do not add up: %+v", tt.name, st)
			}
			if !tt.sameAsOne {
				if st.Keyed+st.Gaps != int64(len(tt.in)) {
					t.Errorf("%s: %d records kept; want all %d", tt.name, st.Keyed+st.Gaps, len(tt.in))
				}
				continue
			}
			// The evidence names the first copy read; everything else is
			// as if each record had been read once.
			if got != once {
				t.Errorf("%s (general %v):\n%s\nwant, as read once:\n%s", tt.name, general, got, once)
			}
			if st.Keyed != onceStats.Keyed || st.Gaps != onceStats.Gaps || st.Conversations != onceStats.Conversations {
				t.Errorf("%s: stats %+v; want those of one copy %+v", tt.name, st, onceStats)
			}
		}
	}
}

// AddRecs, which looks ahead before adding, gives what AddRec one by one
// gives: the same conversations in the same order and the same stats, with
// gap, Transit Gateway and unkeyed records mixed in, in any batch split.
func TestAddRecsMatchesAddRec(t *testing.T) {
	gen := genRecords(6000, 9)
	extra := recs(t, "x.log", outgrow+`
eni-a NODATA t=100-160
eni-a 10.0.0.1:1 -> 10.0.0.2:2 tcp ACCEPT t=100-160 kind=tgw
eni-a :: -> 10.0.0.2:2 tcp ACCEPT t=100-160
`)
	extra[len(extra)-1].SrcAddr = netip.Addr{} // unkeyed
	var rs []Rec
	for i := range gen {
		var x Rec
		x.Set(&gen[i])
		rs = append(rs, x)
		if i%397 == 0 {
			for _, r := range extra {
				x.Set(r)
				rs = append(rs, x)
			}
		}
	}
	run := func(add func(c *Correlator)) (string, Stats) {
		var b strings.Builder
		c := New(Options{}, func(cv *Conversation) { b.WriteString(cv.String() + "\n") })
		add(c)
		c.Flush()
		return b.String(), c.Stats()
	}
	want, wst := run(func(c *Correlator) {
		for i := range rs {
			c.AddRec(&rs[i])
		}
	})
	for _, chunk := range []int{1, 7, lookAhead, 1000, len(rs)} {
		got, gst := run(func(c *Correlator) {
			for from := 0; from < len(rs); from += chunk {
				c.AddRecs(rs[from:min(from+chunk, len(rs))])
			}
		})
		if got != want || gst != wst {
			t.Fatalf("chunks of %d: AddRecs differs from AddRec (stats %+v, want %+v)", chunk, gst, wst)
		}
	}
	if wst.Gaps == 0 || wst.TransitGateway == 0 || wst.Unkeyed == 0 || wst.Emitted < 1000 {
		t.Fatalf("fixture misses a kind of record: %+v", wst)
	}
}

// NewDeferred's conversations, built on other goroutines while the
// Correlator goes on (learning addresses, adding gaps and source names),
// are exactly New's, in the same order. Run with -race, this also checks
// that building reads nothing the Correlator still writes.
func TestDeferredMatchesNew(t *testing.T) {
	gen := genRecords(6000, 4)
	extra := recs(t, "second.log", `
eni-c0000000000000003 NODATA t=1700000100-1700000160
eni-c0000000000000005 SKIPDATA t=1700000150-1700000200
`)
	var rs []*flowlog.Record
	for i := range gen {
		if i%500 == 0 {
			gen[i].Pos.Source = fmt.Sprintf("part-%d.log", i/500) // new source names as it goes
		}
		// Without flow-direction (the default format), roles come from
		// the addresses each ENI learns as records arrive.
		gen[i].FlowDirection = flowlog.DirUnknown
		rs = append(rs, &gen[i])
		if i%701 == 0 {
			rs = append(rs, extra...)
		}
	}
	// A short horizon, so that most conversations are emitted (and built)
	// while later records still arrive.
	opts := Options{Horizon: 40, IdleSplit: 30, Tolerance: 10}
	want, wst := render(t, opts, false, rs)

	pending := make(chan *Pending, 64)
	built := make(chan string, 64)
	var order []chan string
	go func() {
		for p := range pending {
			done := make(chan string, 1)
			order = append(order, done)
			go func() { done <- p.Build().String() + "\n" }()
		}
		for _, d := range order {
			built <- <-d
		}
		close(built)
	}()
	c := NewDeferred(opts, func(p *Pending) { pending <- p })
	var got strings.Builder
	collected := make(chan struct{})
	go func() {
		for s := range built {
			got.WriteString(s)
		}
		close(collected)
	}()
	for _, r := range rs {
		c.Add(r)
	}
	c.Flush()
	close(pending)
	<-collected
	if got.String() != want {
		t.Errorf("deferred conversations differ from New's")
	}
	if st := c.Stats(); st != wst {
		t.Errorf("stats %+v; want %+v", st, wst)
	}
	if wst.MaxOpen*3 > int(wst.Emitted) {
		t.Errorf("fixture: %d conversations open at once of %d; want most emitted before the end", wst.MaxOpen, wst.Emitted)
	}
}
