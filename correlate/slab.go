package correlate

import (
	"math"
	"net/netip"
	"slices"

	"github.com/flowdiag/flowdiag/flowlog"
)

// Open conversations live in a slab of slots: fixed-size structs with no
// pointers, in chunks that never move, indexed by a uint32 id. The garbage
// collector never scans them, and an emitted conversation's slot is reused
// by the next one. ENIs, subnets, VPCs, accounts and reject reasons are
// small integer handles into tables owned by the Correlator; times are
// int32 offsets from the slot's base; tallies are kept only for the
// (direction, action) pairs seen. The public Conversation, with its strings
// and slices, is built only when the conversation is emitted.
//
// A conversation that does not fit a slot (a third ENI, a third
// (direction, action) pair on one ENI, times more than 68 years apart, a
// line number beyond 2^32) moves to the general, pointer-based conv; its
// slot keeps the key, time range and client evidence (the header), so
// lookup, expiry and emission treat both alike.

const (
	slotChunkBits = 10
	slotChunk     = 1 << slotChunkBits
	evInline      = 2  // evidence positions per leg kept in the slot itself
	maxEvStride   = 64 // a larger MaxEvidence sends overflowing legs to conv
	// fpRing is how many of a conversation's latest record fingerprints
	// are kept to drop duplicates. A duplicate (the same file given twice,
	// overlapping exports) arrives next to its original once inputs are
	// merged by time, so the latest few suffice; comparing against all of a
	// long conversation's records cost a scan per record.
	fpRing = 6
)

// Bits of slot.bits; seen, synBare and synAck are shifted by direction.
const (
	bitContinued = 1 << iota
	bitSeen0
	bitSeen1
	bitSynBare0
	bitSynBare1
	bitSynAck0
	bitSynAck1
	bitCutEarly // emitted by evict, before its horizon
)

// Bits of the own-address mask of a view: the ENI's own address shown by
// the conversation's records, as its relation to the key's two ends.
const (
	ownValid = 1 << iota // the records showed the ENI's own address
	ownLo                // it is the lo end's address
	ownHi                // it is the hi end's address
)

// slot is an open conversation. Direction 0 is lo->hi, 1 is hi->lo; a view's
// legs are indexed by direction until finish orients them.
type slot struct {
	key        Key
	next       uint32 // id+1 of the older open conversation of the same key; 0: none
	big        uint32 // index+1 in Correlator.bigs once the conversation outgrew the slot
	first      int64
	last       int64
	touch      int64 // newest log time seen when the latest record arrived
	base       int64 // origin of the int32 times in views: the first record's start
	firstStart [2]int64
	fp         [fpRing]uint64 // fingerprints of the latest records, for duplicates (a ring)
	nfp        uint32
	bits       uint8
	nviews     uint8
	views      [2]cview
}

// cview is one ENI's view in a slot.
type cview struct {
	eni        uint32 // handle in Correlator.eniList
	subnet     uint32 // handles in Correlator.strs; 0 is ""
	vpc        uint32
	account    uint32
	tallies    [2]ctally
	legs       [2]cleg
	ntally     uint8
	own        uint8 // ownValid, ownLo, ownHi
	translated bool
	flagsKnown bool
}

// ctally is Tally for one (direction, action) pair, times relative to the
// slot's base.
type ctally struct {
	packets int64
	bytes   int64
	first   int32
	last    int32
	records uint32
	dir     uint8 // 0 or 1
	action  uint8 // actAccept, actReject, actNone
	flags   uint8
}

const (
	actAccept = iota
	actReject
	actNone
)

func actionIndex(a flowlog.Action) uint8 {
	switch a {
	case flowlog.ActionAccept:
		return actAccept
	case flowlog.ActionReject:
		return actReject
	}
	return actNone
}

// cleg is the per-direction part of a cview other than tallies.
type cleg struct {
	ev [evInline]cev
	// tail is the start of the latest kept position (ev or the block's
	// [nev-1]), so that a record later than all kept ones, the common case
	// once a long conversation's evidence is full, is counted without
	// reading its block.
	tail   int32
	evb    uint32 // evidence block id when more than evInline are kept; 0: none
	more   uint32 // records not kept as evidence
	reason uint32 // handle in Correlator.strs
	nev    uint8  // positions kept: at most maxEvStride
	dir    flowlog.Direction
}

// cev is an evidence position: start relative to the slot's base, the
// source as an index in Correlator.srcs, the line.
type cev struct {
	start int32
	src   uint32
	line  uint32
}

// pool is a chunked slab of T with a free list. Ids start at 1; 0 means
// none. Chunks never move, so a pointer from at stays valid until release.
type pool[T any] struct {
	mem    *offheap
	chunks [][]T
	n      uint32 // ids handed out so far (the highest)
	free   []uint32
}

func (p *pool[T]) alloc() uint32 {
	if n := len(p.free); n > 0 {
		id := p.free[n-1]
		p.free = p.free[:n-1]
		return id
	}
	i := p.n
	if int(i>>slotChunkBits) == len(p.chunks) {
		p.chunks = append(p.chunks, chunkOf[T](p.mem, slotChunk))
	}
	p.n++
	return p.n
}

func (p *pool[T]) at(id uint32) *T {
	i := id - 1
	return &p.chunks[i>>slotChunkBits][i&(slotChunk-1)]
}

func (p *pool[T]) release(id uint32) {
	var zero T
	*p.at(id) = zero
	p.free = append(p.free, id)
}

// evPool holds evidence blocks of stride positions each.
type evPool struct {
	mem    *offheap
	stride int
	chunks [][]cev
	n      uint32
	free   []uint32
}

func (p *evPool) alloc() uint32 {
	if n := len(p.free); n > 0 {
		id := p.free[n-1]
		p.free = p.free[:n-1]
		return id
	}
	i := p.n
	if int(i>>slotChunkBits) == len(p.chunks) {
		p.chunks = append(p.chunks, chunkOf[cev](p.mem, slotChunk*p.stride))
	}
	p.n++
	return p.n
}

// block returns the positions of block id, length stride.
func (p *evPool) block(id uint32) []cev {
	i := id - 1
	off := int(i&(slotChunk-1)) * p.stride
	return p.chunks[i>>slotChunkBits][off : off+p.stride : off+p.stride]
}

func (p *evPool) release(id uint32) { p.free = append(p.free, id) }

// header records what every record tells about the conversation as a
// whole: time range, directions seen, SYN and SYN-ACK.
func (s *slot) header(r *Rec, d int) {
	s.first = min(s.first, r.Start)
	s.last = max(s.last, r.End)
	if s.bits&(bitSeen0<<d) == 0 || r.Start < s.firstStart[d] {
		s.firstStart[d] = r.Start
	}
	s.bits |= bitSeen0 << d
	if r.Protocol == flowlog.ProtoTCP && r.HasTCPFlags && r.TCPFlags&flowlog.FlagSYN != 0 {
		if r.TCPFlags&flowlog.FlagACK != 0 {
			s.bits |= bitSynAck0 << d
		} else {
			s.bits |= bitSynBare0 << d
		}
	}
}

// rel returns t relative to the slot's base, ok false when it does not fit
// an int32.
func (s *slot) rel(t int64) (int32, bool) {
	x := t - s.base
	if (t^s.base) < 0 && (x^t) < 0 { // the subtraction overflowed
		return 0, false
	}
	if x < math.MinInt32 || x > math.MaxInt32 {
		return 0, false
	}
	return int32(x), true
}

// fingerprint identifies a record within its conversation for duplicate
// detection: the ENI, the direction, the record-level addresses, the times,
// the action, the counts and the flags.
func fingerprint(eni uint32, d int, r *Rec) uint64 {
	const m = 0x9e3779b97f4a7c15
	h := uint64(eni)<<16 ^ uint64(d)<<12 ^ uint64(r.Action)<<4 ^ uint64(r.TCPFlags)<<24
	if r.HasTCPFlags {
		h ^= 1 << 40
	}
	s, t := r.SrcAddr.As16(), r.DstAddr.As16()
	for _, w := range [...]uint64{
		uint64(r.Start), uint64(r.End), uint64(r.Packets), uint64(r.Bytes),
		le64(s[:8]), le64(s[8:]), le64(t[:8]), le64(t[8:]),
	} {
		h = (h ^ w) * m
		h ^= h >> 29
	}
	return h
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// seenBefore reports whether a record with fingerprint fp is one of the latest
// fpRing records added to s, and remembers fp when not.
func (c *Correlator) seenBefore(s *slot, fp uint64) bool {
	if slices.Contains(s.fp[:min(s.nfp, fpRing)], fp) {
		return true
	}
	s.fp[s.nfp%fpRing] = fp
	s.nfp++
	return false
}

// addCompact adds the per-ENI part of r to the slot. It changes nothing and
// returns false when r does not fit the slot.
func (c *Correlator) addCompact(s *slot, r *Rec, d int, eh uint32) bool {
	start, ok1 := s.rel(r.Start)
	end, ok2 := s.rel(r.End)
	if !ok1 || !ok2 || r.Pos.Line < 0 || r.Pos.Line > math.MaxUint32 {
		return false
	}
	var v *cview
	for i := range s.views[:s.nviews] {
		if s.views[i].eni == eh {
			v = &s.views[i]
			break
		}
	}
	if v == nil && int(s.nviews) == len(s.views) {
		return false
	}
	act := actionIndex(r.Action)
	var t *ctally
	if v != nil {
		for i := range v.tallies[:v.ntally] {
			if x := &v.tallies[i]; int(x.dir) == d && x.action == act {
				t = x
				break
			}
		}
		if t == nil && int(v.ntally) == len(v.tallies) {
			return false
		}
		if t != nil && t.records == math.MaxUint32 {
			return false
		}
	}
	maxEv := c.opts.MaxEvidence
	if v != nil && maxEv > maxEvStride && v.legs[d].nev == evInline {
		return false
	}
	// It fits: from here on, nothing fails.
	if v == nil {
		v = &s.views[s.nviews]
		s.nviews++
		*v = cview{eni: eh}
	}
	if t == nil {
		t = &v.tallies[v.ntally]
		v.ntally++
		*t = ctally{dir: uint8(d), action: act, first: start, last: end}
	}
	t.first = min(t.first, start)
	t.last = max(t.last, end)
	t.records++
	t.packets += r.Packets
	t.bytes += r.Bytes
	t.flags |= r.TCPFlags

	if v.subnet == 0 && r.SubnetID != "" {
		v.subnet = c.intern(r.SubnetID)
	}
	if v.vpc == 0 && r.VPCID != "" {
		v.vpc = c.intern(r.VPCID)
	}
	if v.account == 0 && r.AccountID != "" {
		v.account = c.intern(r.AccountID)
	}
	if r.HasTCPFlags {
		v.flagsKnown = true
	}
	l := &v.legs[d]
	if r.Action == flowlog.ActionReject && r.RejectReason != "" {
		l.reason = c.intern(r.RejectReason)
	}
	if l.dir == flowlog.DirUnknown {
		l.dir = r.FlowDirection
	}
	c.addCompactEvidence(l, cev{start, c.srcOf(r.Pos.Source), uint32(r.Pos.Line)})

	own, translated := ownOf(r)
	if translated {
		v.translated = true
	}
	e := c.eniList[eh]
	if own.IsValid() {
		v.own = ownMask(&s.key, own)
		c.setOwn(e, own)
	} else {
		c.observe(e, r.SrcAddr, r.DstAddr)
	}
	return true
}

// addCompactEvidence keeps the earliest MaxEvidence positions of the leg by
// (start, source, line) and counts the rest, as addEvidence does.
func (c *Correlator) addCompactEvidence(l *cleg, it cev) {
	maxEv := c.opts.MaxEvidence
	if maxEv == 0 {
		l.more++
		return
	}
	n := int(l.nev)
	if n > 0 && it.start > l.tail {
		if n == maxEv {
			l.more++
			return
		}
	}
	if n == evInline && l.evb == 0 && n < maxEv {
		l.evb = c.evs.alloc()
		copy(c.evs.block(l.evb), l.ev[:])
	}
	var buf []cev
	if l.evb != 0 {
		buf = c.evs.block(l.evb)
	} else {
		buf = l.ev[:min(maxEv, evInline)]
	}
	if n < maxEv && (n == 0 || it.start > l.tail || !c.cevLess(it, buf[n-1])) {
		buf[n] = it
		l.nev++
		l.tail = it.start
		return
	}
	if n == maxEv {
		l.more++
		if !c.cevLess(it, buf[n-1]) {
			return
		}
		n--
	} else {
		l.nev++
	}
	i := n
	for i > 0 && c.cevLess(it, buf[i-1]) {
		buf[i] = buf[i-1]
		i--
	}
	buf[i] = it
	l.tail = buf[l.nev-1].start
}

func (c *Correlator) cevLess(a, b cev) bool {
	if a.start != b.start {
		return a.start < b.start
	}
	if a.src != b.src {
		return c.srcs[a.src] < c.srcs[b.src]
	}
	return a.line < b.line
}

func (c *Correlator) legEvidence(l *cleg) []cev {
	if l.evb != 0 {
		return c.evs.block(l.evb)[:l.nev]
	}
	return l.ev[:l.nev]
}

// ownOf returns the ENI's own address shown by r (invalid when r does not
// show it) and whether r's record-level addresses differ from the packet
// level (a NAT gateway, a TGW attachment).
func ownOf(r *Rec) (own netip.Addr, translated bool) {
	switch r.FlowDirection {
	case flowlog.DirEgress:
		own = r.SrcAddr
	case flowlog.DirIngress:
		own = r.DstAddr
	}
	srcX := r.PktSrcAddr.IsValid() && r.SrcAddr.IsValid() && r.PktSrcAddr != r.SrcAddr
	dstX := r.PktDstAddr.IsValid() && r.DstAddr.IsValid() && r.PktDstAddr != r.DstAddr
	if srcX || dstX {
		translated = true
		if !own.IsValid() && srcX != dstX {
			// Egress from a source that is not the ENI's own shows the
			// ENI in srcaddr; ingress to a destination that is not its
			// own shows the ENI in dstaddr (DOMAIN 1.9).
			if srcX {
				own = r.SrcAddr
			} else {
				own = r.DstAddr
			}
		}
	}
	return own, translated
}

// ownMask relates a valid own address to the key's ends.
func ownMask(k *Key, own netip.Addr) uint8 {
	m := uint8(ownValid)
	u := own.Unmap()
	if u == netip.AddrFrom16(k.lo).Unmap() {
		m |= ownLo
	}
	if u == netip.AddrFrom16(k.hi).Unmap() {
		m |= ownHi
	}
	return m
}

// intern returns the handle of s in c.strs; "" is 0.
func (c *Correlator) intern(s string) uint32 {
	if s == "" {
		return 0
	}
	if h, ok := c.strIdx[s]; ok {
		return h
	}
	h := uint32(len(c.strs))
	c.strs = append(c.strs, s)
	c.strIdx[s] = h
	return h
}

// expand fills cv, cleared, from slot s: the general form that decide and
// finish read.
func (c *Correlator) expand(s *slot, cv *conv) {
	c.loadHeader(s, cv)
	for i := range s.views[:s.nviews] {
		v := &s.views[i]
		vs := cv.newView()
		vs.eni = c.eniList[v.eni]
		vs.view.ENI = vs.eni.id
		vs.view.Subnet, vs.view.VPC, vs.view.Account = c.strs[v.subnet], c.strs[v.vpc], c.strs[v.account]
		vs.view.FlagsKnown = v.flagsKnown
		vs.own, vs.translated = v.own, v.translated
		legs := [2]*Leg{&vs.view.Request, &vs.view.Reply}
		for _, t := range v.tallies[:v.ntally] {
			leg := legs[t.dir]
			leg.Seen = true
			*leg.tally(t.action) = Tally{
				Records: int(t.records), Packets: t.packets, Bytes: t.bytes,
				First: s.base + int64(t.first), Last: s.base + int64(t.last), Flags: t.flags,
			}
		}
		for d, leg := range legs {
			l := &v.legs[d]
			leg.Direction, leg.RejectReason, leg.MoreEvidence = l.dir, c.strs[l.reason], int(l.more)
			for _, e := range c.legEvidence(l) {
				vs.ev[d] = append(vs.ev[d], evItem{s.base + int64(e.start), int64(e.line), e.src})
			}
		}
	}
}

// loadHeader copies the conversation-wide state of s into cv.
func (c *Correlator) loadHeader(s *slot, cv *conv) {
	cv.key, cv.first, cv.last = s.key, s.first, s.last
	cv.continued = s.bits&bitContinued != 0
	cv.cutEarly = s.bits&bitCutEarly != 0
	for d := range 2 {
		cv.seen[d] = s.bits&(bitSeen0<<d) != 0
		cv.synBare[d] = s.bits&(bitSynBare0<<d) != 0
		cv.synAck[d] = s.bits&(bitSynAck0<<d) != 0
		cv.firstStart[d] = s.firstStart[d]
	}
}

// tally returns the tally of action index a.
func (l *Leg) tally(a uint8) *Tally {
	switch a {
	case actAccept:
		return &l.Accept
	case actReject:
		return &l.Reject
	}
	return &l.NoAction
}

// releaseViews returns the slot's evidence blocks to the pool and clears
// its views.
func (c *Correlator) releaseViews(s *slot) {
	for i := range s.views[:s.nviews] {
		for d := range 2 {
			if b := s.views[i].legs[d].evb; b != 0 {
				c.evs.release(b)
			}
		}
	}
	s.views = [2]cview{}
	s.nviews = 0
}

// promote moves the per-ENI state of s to a general conv.
func (c *Correlator) promote(s *slot) {
	cv := c.newConv()
	c.expand(s, cv)
	c.releaseViews(s)
	if n := len(c.bigFree); n > 0 {
		i := c.bigFree[n-1]
		c.bigFree = c.bigFree[:n-1]
		c.bigs[i] = cv
		s.big = i + 1
	} else {
		c.bigs = append(c.bigs, cv)
		s.big = uint32(len(c.bigs))
	}
	c.stats.Promoted++
}
