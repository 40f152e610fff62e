package correlate

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/flowdiag/flowdiag/flowlog"
)

// scanRecords returns a port scan of n one-record probes (REJECT on the
// target's ENI, from random internet sources to random ports, at rate per
// second) and, interleaved in log-time order, an SSH session to the same
// ENI with a request and a reply record every two seconds.
func scanRecords(n, rate int) []flowlog.Record {
	rng := rand.New(rand.NewPCG(5, 9))
	target := netip.MustParseAddr("10.0.1.10")
	admin := netip.MustParseAddr("10.0.2.7")
	const t0 = 1_741_942_800
	var out []flowlog.Record
	line := int64(0)
	add := func(r flowlog.Record) {
		line++
		r.Pos = flowlog.Pos{Source: "scan.log", Line: line}
		r.InterfaceID, r.LogStatus, r.Packets, r.Bytes = "eni-0target", flowlog.LogStatusOK, 1, 44
		out = append(out, r)
	}
	for i := range n {
		t := int64(t0 + i/rate)
		if i%(2*rate) == 0 {
			add(flowlog.Record{SrcAddr: admin, DstAddr: target, SrcPort: 50022, DstPort: 22, Protocol: flowlog.ProtoTCP,
				Start: t, End: t + 1, Action: flowlog.ActionAccept})
			add(flowlog.Record{SrcAddr: target, DstAddr: admin, SrcPort: 22, DstPort: 50022, Protocol: flowlog.ProtoTCP,
				Start: t, End: t + 1, Action: flowlog.ActionAccept})
		}
		src := netip.AddrFrom4([4]byte{byte(1 + rng.IntN(200)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(1 + rng.IntN(254))})
		add(flowlog.Record{SrcAddr: src, DstAddr: target, SrcPort: uint16(1024 + rng.IntN(60000)),
			DstPort: uint16(1 + rng.IntN(65000)), Protocol: flowlog.ProtoTCP, Start: t, End: t + 1, Action: flowlog.ActionReject})
	}
	return out
}

// A scan opening far more conversations than MaxOpen within the horizon
// keeps at most MaxOpen open and at most MaxOpen emitted keys, and the
// conversations come out exactly as without the bound: the probes are
// complete when evicted, and the session touched every two seconds is
// never among the eighth touched longest ago.
func TestMaxOpenBoundsAScan(t *testing.T) {
	const maxOpen = 1000
	rs := scanRecords(30_000, 100)
	var got []string
	c := New(Options{MaxOpen: maxOpen}, func(cv *Conversation) { got = append(got, cv.String()) })
	for i := range rs {
		c.Add(&rs[i])
		if c.Open() > maxOpen || c.tombs.n > maxOpen {
			t.Fatalf("after record %d: %d open, %d emitted keys kept; want <= %d each", i, c.Open(), c.tombs.n, maxOpen)
		}
	}
	c.Flush()
	st := c.Stats()
	want, ref := run(t, Options{}, ptrs(rs))
	if rst := ref.Stats(); rst.Evicted != 0 || rst.MaxOpen < 10*maxOpen {
		t.Fatalf("unbounded run: %+v; the scan should open far more than %d at once", rst, maxOpen)
	}
	if st.Evicted < int64(len(want))-2*maxOpen || st.ForgottenKeys == 0 || st.MaxOpen > maxOpen {
		t.Errorf("stats %+v; want about %d evicted, some keys forgotten, max open <= %d", st, len(want)-maxOpen, maxOpen)
	}
	if st.LateRecords != 0 || st.Splits != 0 || st.Emitted != int64(len(want)) {
		t.Errorf("stats %+v; want no late records or splits, %d emitted", st, len(want))
	}
	var wantS []string
	for _, cv := range want {
		wantS = append(wantS, cv.String())
	}
	// The same conversations, the evicted ones marked.
	cut := 0
	for i := range got {
		if strings.Contains(got[i], " cut-early") {
			cut++
			got[i] = strings.Replace(got[i], " cut-early", "", 1)
		}
	}
	if int64(cut) != st.Evicted {
		t.Errorf("%d conversations marked cut-early; %d evicted", cut, st.Evicted)
	}
	slices.Sort(got)
	slices.Sort(wantS)
	if !slices.Equal(got, wantS) {
		for i := range min(len(got), len(wantS)) {
			if got[i] != wantS[i] {
				t.Fatalf("conversation %d with MaxOpen %d:\n%s\nwithout:\n%s", i, maxOpen, got[i], wantS[i])
			}
		}
		t.Fatalf("%d conversations with MaxOpen; %d without", len(got), len(wantS))
	}
}

// Forgetting emitted keys drops the oldest: a late record of a conversation
// evicted recently is still a continuation, one of a forgotten conversation
// is not.
func TestForgottenKeysAreTheOldest(t *testing.T) {
	const maxOpen = 64
	rs := scanRecords(1_000, 10)
	var probes []flowlog.Record
	for _, r := range rs {
		if r.Action == flowlog.ActionReject {
			probes = append(probes, r)
		}
	}
	var out []*Conversation
	c := New(Options{MaxOpen: maxOpen}, func(cv *Conversation) { out = append(out, cv) })
	for i := range rs {
		c.Add(&rs[i])
	}
	if st := c.Stats(); st.ForgottenKeys == 0 || st.Evicted == 0 {
		t.Fatalf("stats %+v; want evictions and forgotten keys", st)
	}
	// The newest evicted probe's key is kept; the first probe's is not.
	emitted := map[netip.Addr]bool{}
	for _, cv := range out {
		emitted[cv.Client.Addr()] = true
	}
	last := len(probes) - 1
	for !emitted[probes[last].SrcAddr] {
		last--
	}
	recent, old := probes[last], probes[0]
	recent.Pos.Line, old.Pos.Line = 5001, 5002
	n := len(out)
	c.Add(&recent)
	c.Add(&old)
	c.Flush()
	var late []*Conversation
	for _, cv := range out[n:] {
		if cv.Client.Addr() == recent.SrcAddr || cv.Client.Addr() == old.SrcAddr {
			late = append(late, cv)
		}
	}
	if len(late) != 2 {
		t.Fatalf("%d conversations of the two late probes; want 2", len(late))
	}
	for _, cv := range late {
		if want := cv.Client.Addr() == recent.SrcAddr; cv.Continued != want {
			t.Errorf("%s: continued %v; want %v", cv, cv.Continued, want)
		}
	}
	if st := c.Stats(); st.LateRecords != 1 {
		t.Errorf("late records %d; want 1", st.LateRecords)
	}
}

func ptrs(rs []flowlog.Record) []*flowlog.Record {
	out := make([]*flowlog.Record, len(rs))
	for i := range rs {
		out[i] = &rs[i]
	}
	return out
}

// A conversation evicted under the bound is marked CutEarly; its late
// reply (11 s later, while its key is still kept) starts a new
// conversation, marked Continued, and cut early in turn as the scan goes
// on. Without the bound it is one conversation, neither.
func TestEvictedConversationIsMarked(t *testing.T) {
	rs := scanRecords(20_000, 100) // 200 s of probes
	slow := []flowlog.Record{
		{SrcAddr: netip.MustParseAddr("10.0.2.8"), DstAddr: netip.MustParseAddr("10.0.1.10"), SrcPort: 41000, DstPort: 8443,
			Protocol: flowlog.ProtoTCP, Start: 1_741_942_800, End: 1_741_942_801, Action: flowlog.ActionAccept},
		{SrcAddr: netip.MustParseAddr("10.0.1.10"), DstAddr: netip.MustParseAddr("10.0.2.8"), SrcPort: 8443, DstPort: 41000,
			Protocol: flowlog.ProtoTCP, Start: 1_741_942_811, End: 1_741_942_812, Action: flowlog.ActionAccept},
	}
	for i := range slow {
		slow[i].InterfaceID, slow[i].LogStatus, slow[i].Packets, slow[i].Bytes = "eni-0target", flowlog.LogStatusOK, 1, 60
		slow[i].Pos = flowlog.Pos{Source: "slow.log", Line: int64(i + 1)}
	}
	// The request first, the reply where its time falls among the probes.
	in := append([]flowlog.Record{slow[0]}, rs[:1_100]...)
	in = append(in, slow[1])
	in = append(in, rs[1_100:]...)
	for _, tc := range []struct {
		maxOpen int
		want    []string // the slow conversation's parts: flags
	}{
		{1000, []string{"cut-early", "cut-earlycontinued"}},
		{0, []string{""}},
	} {
		var parts []string
		c := New(Options{MaxOpen: tc.maxOpen}, func(cv *Conversation) {
			if cv.Server.Port() == 8443 || cv.Client.Port() == 8443 {
				flags := ""
				if cv.CutEarly {
					flags += "cut-early"
				}
				if cv.Continued {
					flags += "continued"
				}
				parts = append(parts, flags)
			}
		})
		for i := range in {
			c.Add(&in[i])
		}
		c.Flush()
		if !slices.Equal(parts, tc.want) {
			t.Errorf("MaxOpen %d: the slow conversation came out as %q; want %q", tc.maxOpen, parts, tc.want)
		}
	}
}
