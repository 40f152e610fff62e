package correlate

import (
	"encoding/binary"
	"net/netip"
	"slices"
)

// fanCap is the count at which a source's distinct rejected destination
// ports and hosts saturate: enough to tell a scan (tens to thousands of
// targets) from a client that a few misconfigured rules stop.
const fanCap = 16

// fanMax bounds the sources tracked at once (about 200 bytes each): a
// flood from millions of addresses, each rejected once, must not grow
// memory with it. Past it, sources idle for longer than the horizon are
// forgotten, then the older half.
const fanMax = 1 << 16

// fanout counts, per source address of REJECT records (per /64 for IPv6),
// the distinct destination ports and hosts it was rejected on while active
// (a source idle for longer than the horizon starts again from zero). It is
// updated on the correlator's goroutine in record order, so the counts a
// conversation is emitted with are the same whatever the scheduling.
type fanout struct {
	m map[netip.Addr]*fanEntry
}

type fanEntry struct {
	last           int64 // end of the source's latest REJECT record
	nports, nhosts uint8
	ports          [fanCap]uint16
	hosts          [fanCap]uint64 // hashes of the destination addresses
}

// FanOut is what the records up to a conversation's emission show of one
// end's address as a source of rejected traffic: the distinct destination
// ports and hosts it was rejected on while active, each counted to 16.
type FanOut struct {
	Ports, Hosts int
	// Session: the end held an accepted session (a record of 5 or more
	// packets) with the other end within the horizon.
	Session bool
	// Source is what the counts are kept for: the address, or an IPv6 /64.
	Source netip.Prefix
}

func (f *fanout) add(r *Rec, horizon, watermark int64, own bool) {
	if f.m == nil {
		f.m = make(map[netip.Addr]*fanEntry)
	}
	src := fanKey(r.SrcAddr, own)
	e := f.m[src]
	if e == nil {
		if len(f.m) >= fanMax {
			f.prune(watermark - horizon)
		}
		e = &fanEntry{}
		f.m[src] = e
	} else if r.End-e.last > horizon {
		*e = fanEntry{}
	}
	e.last = max(e.last, r.End)
	if r.Protocol.HasPorts() && e.nports < fanCap && !slices.Contains(e.ports[:e.nports], r.DstPort) {
		e.ports[e.nports] = r.DstPort
		e.nports++
	}
	if h := addrHash(r.DstAddr); e.nhosts < fanCap && !slices.Contains(e.hosts[:e.nhosts], h) {
		e.hosts[e.nhosts] = h
		e.nhosts++
	}
}

// prune forgets the sources idle since before limit and, when that leaves
// more than half the bound, the older half of the rest.
func (f *fanout) prune(limit int64) {
	for a, e := range f.m {
		if e.last < limit {
			delete(f.m, a)
		}
	}
	if len(f.m) <= fanMax/2 {
		return
	}
	lasts := make([]int64, 0, len(f.m))
	for _, e := range f.m {
		lasts = append(lasts, e.last)
	}
	slices.Sort(lasts)
	cut := lasts[len(lasts)/2]
	for a, e := range f.m {
		if e.last <= cut {
			delete(f.m, a)
		}
	}
}

// of returns a's counts for a conversation that started at first: none
// when a's last rejection is more than the horizon before it (the counts
// are of an earlier episode).
func (f *fanout) of(a netip.Addr, first, horizon int64, own bool) FanOut {
	k := fanKey(a, own)
	e := f.m[k]
	if e == nil || first-e.last > horizon {
		return FanOut{}
	}
	bits := k.BitLen()
	if k != a {
		bits = 64
	}
	return FanOut{Ports: int(e.nports), Hosts: int(e.nhosts), Source: netip.PrefixFrom(k, bits)}
}

// fanKey is the source a rejection counts for: the address, or for an
// IPv6 address no ENI is known to own its /64, which one host owns (a
// scanner can probe from a new address of it each time; inside a VPC a /64
// is a whole subnet of hosts).
func fanKey(a netip.Addr, own bool) netip.Addr {
	if !own && a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// addrHash mixes an address's 128 bits into 64: it runs for every
// rejected record and every accepted session record, on the correlator's
// goroutine.
func addrHash(a netip.Addr) uint64 {
	b := a.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	h := (hi*0x9e3779b97f4a7c15 ^ lo) * 0xbf58476d1ce4e5b9
	return h ^ h>>31
}

// sessionBits sizes the table of recent accepted sessions: a direct-mapped
// cache (a newer pair overwrites an older one in its slot), 256 KiB.
const sessionBits = 14

// sessions remembers, per pair of addresses, when they last exchanged a
// record of an accepted conversation with 5 or more packets: a session (a
// scanner's accepted probe is a SYN and a reset). A client holding one with
// a server is no scanner of that server's high ports: passive FTP's data
// connections are rejected one port after another beside an accepted
// control connection. Updated in record order on the correlator's
// goroutine; lossy (a slot keeps the latest pair), never wrong about a pair
// it reports.
type sessions struct {
	t *[1 << sessionBits]sessionSlot
}

type sessionSlot struct {
	pair uint64
	at   int64
}

func pairHash(a, b netip.Addr) uint64 {
	x, y := addrHash(a), addrHash(b)
	if x > y {
		x, y = y, x
	}
	return (x*0x9e3779b97f4a7c15 ^ y) | 1 // never 0, the empty slot's pair
}

func (s *sessions) add(r *Rec) {
	if s.t == nil {
		s.t = new([1 << sessionBits]sessionSlot)
	}
	h := pairHash(r.SrcAddr, r.DstAddr)
	sl := &s.t[h>>(64-sessionBits)]
	if sl.pair != h || r.End > sl.at {
		sl.pair, sl.at = h, r.End
	}
}

// with reports whether a and b held a session within horizon of t.
func (s *sessions) with(a, b netip.Addr, t, horizon int64) bool {
	if s.t == nil {
		return false
	}
	h := pairHash(a, b)
	sl := &s.t[h>>(64-sessionBits)]
	return sl.pair == h && sl.at >= t-horizon && sl.at <= t+horizon
}
