package correlate

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"

	"github.com/flowdiag/flowdiag/flowlog"
)

// generator produces realistic flow log records: clients in two subnets
// talking to a pool of servers on service ports, some conversations logged
// on the client's ENI only (server outside the VPC), most on both ENIs,
// lasting one or several windows, with request and reply records per ENI
// per window, tcp-flags on the first and last window, occasional REJECTs.
type generator struct {
	rng     *rand.Rand
	window  int64
	maxWins int // windows a conversation lasts: 1..maxWins
	clients []endpoint
	servers []endpoint
	ext     []endpoint
}

type endpoint struct {
	addr netip.Addr
	eni  string
	port uint16
}

func newGenerator(seed uint64, window int64, maxWins int) *generator {
	g := &generator{rng: rand.New(rand.NewPCG(seed, 7)), window: window, maxWins: maxWins}
	for i := range 400 {
		a := netip.AddrFrom4([4]byte{10, 0, byte(1 + i%2), byte(10 + i/2)})
		g.clients = append(g.clients, endpoint{a, fmt.Sprintf("eni-c%016x", i), 0})
	}
	ports := []uint16{443, 5432, 80, 22, 6379, 8080}
	for i := range 60 {
		a := netip.AddrFrom4([4]byte{10, 0, 9, byte(10 + i)})
		g.servers = append(g.servers, endpoint{a, fmt.Sprintf("eni-s%016x", i), ports[i%len(ports)]})
	}
	for i := range 40 {
		a := netip.AddrFrom4([4]byte{198, 51, 100, byte(1 + i)})
		g.ext = append(g.ext, endpoint{a, "", []uint16{443, 53}[i%2]})
	}
	return g
}

// conv calls emit for the records of one conversation starting at start.
// The record passed to emit is reused; emit must not keep it.
func (g *generator) conv(start int64, r *flowlog.Record, line *int64, emit func(*flowlog.Record)) {
	cl := g.clients[g.rng.IntN(len(g.clients))]
	var sv endpoint
	if g.rng.IntN(4) == 0 {
		sv = g.ext[g.rng.IntN(len(g.ext))]
	} else {
		sv = g.servers[g.rng.IntN(len(g.servers))]
	}
	proto := flowlog.ProtoTCP
	if sv.port == 53 {
		proto = flowlog.ProtoUDP
	}
	cport := uint16(32768 + g.rng.IntN(28232))
	wins := 1 + g.rng.IntN(g.maxWins)
	rejectReply := g.rng.IntN(20) == 0
	for w := range wins {
		ws := start + int64(w)*g.window
		s := ws + g.rng.Int64N(5)
		e := ws + g.window - 1 - g.rng.Int64N(5)
		var reqFlags, repFlags uint8
		if w == 0 {
			reqFlags, repFlags = flowlog.FlagSYN, flowlog.FlagSYN|flowlog.FlagACK
		}
		if w == wins-1 {
			reqFlags |= flowlog.FlagFIN
			repFlags |= flowlog.FlagFIN
		}
		for _, leg := range [...]struct {
			eni              string
			src, dst         endpoint
			sport, dport     uint16
			flags            uint8
			dir              flowlog.Direction
			reply, serverENI bool
		}{
			{cl.eni, cl, sv, cport, sv.port, reqFlags, flowlog.DirEgress, false, false},
			{cl.eni, sv, cl, sv.port, cport, repFlags, flowlog.DirIngress, true, false},
			{sv.eni, cl, sv, cport, sv.port, reqFlags, flowlog.DirIngress, false, true},
			{sv.eni, sv, cl, sv.port, cport, repFlags, flowlog.DirEgress, true, true},
		} {
			if leg.eni == "" {
				continue // server outside the VPC
			}
			r.Reset()
			*line++
			r.Pos = flowlog.Pos{Source: "gen.log", Line: *line}
			r.Version = 5
			r.AccountID = "123456789012"
			r.InterfaceID = leg.eni
			r.SrcAddr, r.DstAddr = leg.src.addr, leg.dst.addr
			r.SrcPort, r.DstPort = leg.sport, leg.dport
			r.Protocol = proto
			r.Packets = 1 + g.rng.Int64N(50)
			r.Bytes = r.Packets * (40 + g.rng.Int64N(1400))
			r.Start, r.End = s, e
			r.Action = flowlog.ActionAccept
			if rejectReply && leg.reply && leg.serverENI {
				r.Action = flowlog.ActionReject
			}
			r.LogStatus = flowlog.LogStatusOK
			r.FlowDirection = leg.dir
			if proto == flowlog.ProtoTCP {
				r.TCPFlags = leg.flags
				r.Present.Add(flowlog.FieldTCPFlags)
			}
			emit(r)
			if rejectReply && leg.reply && leg.serverENI {
				break // the rejected reply never reaches the client's ENI
			}
		}
	}
}

// genRecords returns the records of n conversations, starting 20 per
// second of log time, in the order a reader of several interleaved files
// would give them: sorted by end time, then shuffled within blocks of 256.
func genRecords(n int, seed uint64) []flowlog.Record {
	g := newGenerator(seed, 60, 4)
	var out []flowlog.Record
	var r flowlog.Record
	var line int64
	for i := range n {
		g.conv(1_700_000_000+int64(i/20), &r, &line, func(r *flowlog.Record) { out = append(out, *r) })
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(out[a].End, out[b].End) })
	for i := 0; i < len(idx); i += 256 {
		blk := idx[i:min(i+256, len(idx))]
		g.rng.Shuffle(len(blk), func(a, b int) { blk[a], blk[b] = blk[b], blk[a] })
	}
	sorted := make([]flowlog.Record, len(out))
	for i, j := range idx {
		sorted[i] = out[j]
	}
	return sorted
}
