package correlate

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/flowdiag/flowdiag/flowlog"
)

// fuzzRecords decodes bytes into records drawn from small pools of
// addresses, ports, ENIs and times, so that fuzzed input collides into
// conversations, splits, late records and gaps.
func fuzzRecords(data []byte) []flowlog.Record {
	addrs := []netip.Addr{
		netip.MustParseAddr("10.0.1.5"), netip.MustParseAddr("10.0.2.9"),
		netip.MustParseAddr("203.0.113.5"), netip.MustParseAddr("2001:db8::1"),
		netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("::ffff:10.0.1.5"),
	}
	ports := []uint16{0, 22, 443, 1023, 8080, 40000, 51234, 65535}
	protos := []flowlog.Proto{flowlog.ProtoTCP, flowlog.ProtoUDP, flowlog.ProtoICMP, flowlog.ProtoICMPv6, 0, 47}
	enis := []string{"eni-a", "eni-b", "eni-c", ""}
	var out []flowlog.Record
	for i := 0; i+8 <= len(data); i += 8 {
		d := data[i : i+8]
		var r flowlog.Record
		r.Pos = flowlog.Pos{Source: "fuzz", Line: int64(i/8 + 1)}
		r.InterfaceID = enis[int(d[0])%len(enis)]
		r.Start = 1_000_000 + int64(d[1])*int64(d[7]%16+1)*10
		r.End = r.Start + int64(d[2]%120)
		r.LogStatus = flowlog.LogStatusOK
		switch d[0] >> 5 {
		case 0:
			r.LogStatus = flowlog.LogStatusNoData
			out = append(out, r)
			continue
		case 1:
			r.Kind = flowlog.KindTransitGateway
		}
		r.SrcAddr = addrs[int(d[3]&7)%len(addrs)]
		r.DstAddr = addrs[int(d[3]>>3&7)%len(addrs)]
		if d[3]&0x40 != 0 {
			r.PktSrcAddr = addrs[int(d[4]>>4)%len(addrs)]
		}
		if d[3]&0x80 != 0 {
			r.PktDstAddr = addrs[int(d[5]>>4)%len(addrs)]
		}
		r.SrcPort = ports[d[4]&7]
		r.DstPort = ports[d[5]&7]
		r.Protocol = protos[int(d[6]&7)%len(protos)]
		r.Action = flowlog.Action(d[6] >> 3 & 3 % 3)
		r.FlowDirection = flowlog.Direction(d[6] >> 5 % 3)
		r.TCPFlags = d[7] & 0x17
		if d[7]&0x80 != 0 {
			r.Present.Add(flowlog.FieldTCPFlags)
		}
		r.Packets, r.Bytes = int64(d[2]), int64(d[2])*40
		out = append(out, r)
	}
	return out
}

func FuzzCorrelate(f *testing.F) {
	f.Add([]byte("\x40\x01\x3c\x08\x12\x23\x00\x82\x60\x01\x3c\x01\x23\x12\x08\x92"))
	f.Add([]byte("\x41\x10\x3c\x08\x12\x23\x08\x82\x00\x10\x3c\x00\x00\x00\x00\x00\x42\xff\x3c\x08\x12\x23\x10\x00\x42\x00\x3c\x08\x12\x23\x10\x0f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs := fuzzRecords(data)
		for _, opts := range []Options{{}, {Horizon: 1, Tolerance: -1, IdleSplit: -1, MaxEvidence: 2}, {MaxOpen: 8, MaxEvidence: 3}} {
			var out []*Conversation
			c := New(opts, func(cv *Conversation) { out = append(out, cv) })
			for i := range rs {
				c.Add(&rs[i])
				if c.Open() > c.opts.MaxOpen || c.tombs.n > c.opts.MaxOpen {
					t.Fatalf("%d open, %d emitted keys kept; MaxOpen %d", c.Open(), c.tombs.n, c.opts.MaxOpen)
				}
			}
			c.Flush()
			st := c.Stats()
			// The compact open-conversation form gives what the general
			// form gives.
			var general []*Conversation
			g := New(opts, func(cv *Conversation) { general = append(general, cv) })
			g.forceBig = true
			for i := range rs {
				g.Add(&rs[i])
			}
			g.Flush()
			gst := g.Stats()
			gst.Promoted = st.Promoted
			if gst != st || len(general) != len(out) {
				t.Fatalf("stats %+v, %d conversations; general form %+v, %d", st, len(out), gst, len(general))
			}
			for i := range out {
				if a, b := out[i].String(), general[i].String(); a != b {
					t.Fatalf("conversation %d:\n%s\ngeneral form:\n%s", i, a, b)
				}
			}
			// AddRecs with deferred building gives the same.
			var deferred []*Pending
			dc := NewDeferred(opts, func(p *Pending) { deferred = append(deferred, p) })
			xs := make([]Rec, len(rs))
			for i := range rs {
				xs[i].Set(&rs[i])
			}
			dc.AddRecs(xs)
			dc.Flush()
			if dst := dc.Stats(); dst != st || len(deferred) != len(out) {
				t.Fatalf("AddRecs/NewDeferred: stats %+v, %d conversations; want %+v, %d", dst, len(deferred), st, len(out))
			}
			for i := range out {
				if a, b := deferred[i].Build().String(), out[i].String(); a != b {
					t.Fatalf("AddRecs/NewDeferred conversation %d:\n%s\nwant:\n%s", i, a, b)
				}
			}
			if c.Open() != 0 || st.Emitted != st.Conversations || int(st.Emitted) != len(out) {
				t.Fatalf("open %d, stats %+v, %d emitted", c.Open(), st, len(out))
			}
			if st.Records != int64(len(rs)) || st.Keyed+st.Gaps+st.Duplicates+st.TransitGateway+st.Unkeyed != st.Records {
				t.Fatalf("stats do not add up: %+v", st)
			}
			var legs int64
			maxEv := c.opts.MaxEvidence
			for _, cv := range out {
				if cv.First > cv.Last || len(cv.Views) == 0 {
					t.Fatalf("bad conversation %s", cv)
				}
				if !slices.IsSortedFunc(cv.Views, func(a, b View) int { return strings.Compare(a.ENI, b.ENI) }) {
					t.Fatalf("views not sorted: %s", cv)
				}
				for _, v := range cv.Views {
					for _, l := range []*Leg{&v.Request, &v.Reply} {
						n := l.Records()
						legs += int64(n)
						if l.Seen != (n > 0) || len(l.Evidence)+l.MoreEvidence != n || len(l.Evidence) > maxEv {
							t.Fatalf("leg %+v of %s", l, cv)
						}
					}
				}
				_ = cv.String()
			}
			if legs != st.Keyed {
				t.Fatalf("legs hold %d records; %d keyed", legs, st.Keyed)
			}
		}
	})
}
