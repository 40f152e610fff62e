package correlate

import (
	"cmp"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"unsafe"

	"github.com/flowdiag/flowdiag/flowlog"
)

// Defaults for Options, in seconds of log time.
const (
	// DefaultHorizon: a conversation whose last record ended 15 minutes
	// before the newest log time is complete. S3 files arrive every 5
	// minutes and hold 10-minute windows, so a quarter hour absorbs the
	// interleaving of files and ENIs without holding conversations long.
	DefaultHorizon = 900
	// DefaultTolerance: clocks of different ENIs, and the up to 60 s lag
	// AWS allows between a packet and its record's start/end, plus margin.
	DefaultTolerance = 120
	// DefaultIdleSplit: a 5-tuple silent for 13 minutes (15 with the
	// tolerance) starts a new conversation. That is longer than a whole
	// 10-minute aggregation window plus AWS's 60 s record lag, so a flow
	// with a packet at least every 13 minutes is never cut; UDP is
	// untracked by security groups after 180 s of silence anyway, and a
	// client reusing an ephemeral port a quarter hour later is a new
	// exchange. Idle TCP connections (keepalive defaults to 2 hours) split
	// too; the later part then decides its client from its own evidence.
	// IdleSplit+Tolerance equals DefaultHorizon, so by default a
	// conversation is emitted exactly when no in-order record can extend it.
	DefaultIdleSplit = 780
	// DefaultMaxEvidence record positions are kept per leg.
	DefaultMaxEvidence = 8
	// DefaultMaxOpen bounds the conversations open at once: 2^19 slots of
	// 512 bytes are 256 MiB. A busy VPC's quarter hour stays below it (the
	// benchmark's 10M-record hour peaks at about 410,000); a port scan
	// logging millions of one-record probes within the horizon would not.
	DefaultMaxOpen = 1 << 19
)

// Options tune a Correlator. The zero value uses the defaults above; a
// negative Tolerance, IdleSplit or MaxEvidence means zero.
type Options struct {
	// Horizon is in seconds of log time: a conversation whose last record
	// ends more than Horizon before the newest log time seen is complete and
	// emitted. Default 900. A Horizon below IdleSplit+Tolerance is raised
	// to it: a conversation is not emitted while a record arriving in order
	// could still extend it. Records that arrive out of order keep their
	// conversation open: it is emitted once the newest log time has moved
	// Horizon past both its last record and the arrival of its latest one.
	Horizon int64
	// Tolerance is the clock and window skew, in seconds, within which
	// records of one conversation join; it widens IdleSplit and the range
	// in which gap records are attached. Default 120.
	Tolerance int64
	// IdleSplit: a 5-tuple silent longer than IdleSplit+Tolerance seconds
	// (log time) starts a new conversation. Default 780.
	IdleSplit int64
	// Hints, when not nil, tell which end of a conversation serves (from
	// the topology). Consulted only when tcp-flags and the ENIs' actions
	// do not decide. With NewDeferred, Hints (and OwnerHints) are called
	// from every goroutine that builds, at the same time as the Correlator
	// calls them: they must be safe for concurrent use (the topology is
	// read-only once loaded).
	Hints Hints
	// MaxEvidence is the number of record positions kept per leg (the
	// earliest by log time); the rest are counted. Default 8.
	MaxEvidence int
	// MaxOpen bounds the conversations open at once, and so memory under a
	// scan or a flood. When a new conversation makes more than MaxOpen
	// open, the eighth touched longest ago is emitted before its horizon
	// (Stats.Evicted); a later record of one of them starts a new
	// conversation. The keys of emitted conversations, kept to recognize
	// late records, are bounded at MaxOpen too: beyond it the oldest half
	// is forgotten (Stats.ForgottenKeys). Default DefaultMaxOpen; at least
	// 8.
	MaxOpen int
}

func (o Options) withDefaults() Options {
	def := func(v *int64, d int64) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = 0
		}
	}
	if o.Horizon <= 0 {
		o.Horizon = DefaultHorizon
	}
	def(&o.Tolerance, DefaultTolerance)
	def(&o.IdleSplit, DefaultIdleSplit)
	o.Horizon = max(o.Horizon, o.IdleSplit+o.Tolerance)
	switch {
	case o.MaxEvidence == 0:
		o.MaxEvidence = DefaultMaxEvidence
	case o.MaxEvidence < 0:
		o.MaxEvidence = 0
	}
	switch {
	case o.MaxOpen == 0:
		o.MaxOpen = DefaultMaxOpen
	case o.MaxOpen < minMaxOpen:
		o.MaxOpen = minMaxOpen
	}
	return o
}

// minMaxOpen keeps eviction batches (an eighth of MaxOpen) at least one.
const minMaxOpen = 8

// Hints comes from the topology (topology.Topology implements it).
type Hints interface {
	// ServerHint reports which end serves: 0 when a serves, 1 when b
	// serves; ok false when the topology cannot tell.
	ServerHint(proto flowlog.Proto, a, b netip.AddrPort) (server int, ok bool)
}

// OwnerHints is an optional extension of Hints: a topology knows which ENI
// owns an address, which settles an ENI's role where its records cannot
// (default-format records between two private addresses) and names the ENI
// whose NODATA/SKIPDATA records qualify a conversation it never logged.
type OwnerHints interface {
	OwnerENI(a netip.Addr) (eni string, ok bool)
}

// MayOwnHints is an optional extension of OwnerHints: whether an ENI may
// own an address the topology gives to no ENI (it lies in the ENI's
// subnet, or the ENI is not in the topology). An ENI whose records cannot
// tell its role, logging a conversation one of whose ends the topology
// gives to another ENI, then owns the other end.
type MayOwnHints interface {
	MayOwn(eni string, a netip.Addr) bool
}

// Stats counts what a Correlator did.
type Stats struct {
	Records        int64 // records given to Add
	Keyed          int64 // records joined into a conversation
	Gaps           int64 // NODATA and SKIPDATA records kept
	TransitGateway int64 // Transit Gateway records, ignored
	Unkeyed        int64 // OK records without both packet-level addresses, ignored
	Conversations  int64 // conversations started
	Emitted        int64 // conversations emitted
	// Splits counts conversations started while another conversation of
	// the same 5-tuple was open but more than IdleSplit+Tolerance away.
	Splits int64
	// LateRecords counts records that arrived after the conversation they
	// belong to had been emitted (older than the horizon); each started a
	// new conversation with Continued set.
	LateRecords int64
	// Duplicates counts records dropped because the same record had already
	// been added: within an open conversation, one with the same ENI,
	// direction, addresses, start, end, action, packets, bytes and
	// tcp-flags; for NODATA/SKIPDATA, one with the same ENI, status, start
	// and end. A file read twice, or a directory and a file inside it, is
	// counted once. A copy that arrives after its conversation was emitted
	// is not recognized (it is a late record).
	Duplicates int64
	// Promoted counts conversations that outgrew the compact form kept for
	// open conversations (more than two ENIs, or more than two kinds of
	// record on one ENI); they are kept in a general, larger form.
	Promoted int64
	MaxOpen  int // most conversations open at once
	// Evicted counts conversations emitted before their horizon because
	// more than Options.MaxOpen were open (see there).
	Evicted int64
	// ForgottenKeys counts keys of emitted conversations dropped before
	// their retention ended because more than Options.MaxOpen were kept:
	// a late record of one of those is not marked Continued.
	ForgottenKeys int64
}

// Correlator joins records into conversations. It is not safe for
// concurrent use; run one per partition (see Partition) to correlate in
// parallel.
type Correlator struct {
	opts  Options
	owner OwnerHints // nil without a topology
	split int64      // IdleSplit + Tolerance
	emit  func(*Pending)
	fin   *finisher // what building an emitted conversation reads; shared with Pending

	seed  uint64    // of the key hash in open and tombs
	open  openIndex // slot id of the newest open conversation of each key; older ones chained by next
	nopen int
	heap  []heapEntry // min-heap on (possibly stale) touch; see expire

	slots   pool[slot] // open conversations
	evs     evPool     // evidence blocks of slots' legs
	bigs    []*conv    // conversations that outgrew their slot (slot.big-1)
	bigFree []uint32   // free indexes in bigs

	enis     map[string]uint32            // ENI id -> handle in eniList
	eniCache *[eniCacheSize]eniCacheEntry // see eniHandle
	eniList  []*eniState
	byAddr   map[netip.Addr]*eniState // learned own address -> ENI
	// ends caches, per conversation end address, the ENIs gapsFor attaches
	// through byAddr and the topology's owner, valid while endsGen is
	// unchanged: every change to byAddr or enis bumps it. An emitted
	// conversation otherwise paid three map lookups per end.
	ends    *[endsSize]endENIs
	endsGen uint32

	strs   []string // interned subnet, VPC, account ids and reject reasons; strs[0] is ""
	strIdx map[string]uint32

	fan     fanout    // distinct targets of each source of rejected traffic
	sess    sessions  // recent accepted sessions between two addresses
	tombs   tombTable // key -> the latest emitted conversation of the key
	sweptAt int64     // watermark when tombs were last swept

	watermark int64  // newest log time seen (largest end)
	touched   uint64 // sum of AddRecs' look-ahead loads, so they are not optimized away
	stats     Stats
	batch     []uint32
	order     []emitOrder // emitBatch's sort buffer
	forceBig  bool        // tests: every conversation takes the general form

	srcs    []string          // source names of evidence positions (one per input)
	srcIdx  map[string]uint32 // index in srcs
	lastSrc uint32            // index of the last source seen
}

type tomb struct {
	last int64 // of the emitted conversation
	at   int64 // newest log time when it was emitted
}

type heapEntry struct {
	touch int64
	id    uint32 // slot
}

// New returns a Correlator that calls emit for each completed conversation,
// from within Add or Flush. emit owns the Conversation it is given.
func New(opts Options, emit func(*Conversation)) *Correlator {
	if emit == nil {
		emit = func(*Conversation) {}
	}
	return NewDeferred(opts, func(p *Pending) { emit(p.Build()) })
}

// NewDeferred returns a Correlator that calls emit for each completed
// conversation with the conversation not yet built: emit, or whoever it
// hands the Pending to, calls Build, on any goroutine. Building (deciding
// the client, orienting the views, rendering evidence) is about a third of
// the correlator's work, which a caller with several goroutines takes off
// the one that correlates. The order of emission, and every Conversation,
// are exactly New's.
func NewDeferred(opts Options, emit func(*Pending)) *Correlator {
	opts = opts.withDefaults()
	if emit == nil {
		emit = func(p *Pending) { p.Build() }
	}
	owner, _ := opts.Hints.(OwnerHints)
	c := &Correlator{
		opts:   opts,
		owner:  owner,
		split:  opts.IdleSplit + opts.Tolerance,
		emit:   emit,
		fin:    &finisher{hints: opts.Hints, owner: owner},
		seed:   rand.Uint64(),
		enis:   make(map[string]uint32),
		byAddr: make(map[netip.Addr]*eniState),
		strs:   []string{""},
		strIdx: make(map[string]uint32),
	}
	c.open.init()
	c.tombs.init()
	c.evs.stride = max(1, min(opts.MaxEvidence, maxEvStride))
	mem := new(offheap)
	c.slots.mem, c.evs.mem = mem, mem
	runtime.AddCleanup(c, (*offheap).free, mem)
	return c
}

// Open returns the number of conversations currently open.
func (c *Correlator) Open() int { return c.nopen }

// Stats returns the counters so far.
func (c *Correlator) Stats() Stats { return c.stats }

// Add adds one record of any kind. OK records join a conversation; NODATA
// and SKIPDATA records are kept as gaps of their ENI; Transit Gateway
// records are counted and ignored. Conversations that fall behind the
// horizon are emitted before Add returns. Add keeps no reference to r.
func (c *Correlator) Add(r *flowlog.Record) {
	var x Rec
	x.Set(r)
	c.AddRec(&x)
}

// AddRec is Add for a record already reduced to what correlation reads.
func (c *Correlator) AddRec(r *Rec) {
	k, fwd, ok := Key{}, false, false
	var tag uint32
	if r.Kind != flowlog.KindTransitGateway && !r.IsGap() {
		if k, fwd, ok = keyOf(r); ok {
			tag = k.tag(c.seed)
		}
	}
	c.addKeyed(r, &k, tag, fwd, ok)
}

// lookAhead is how many records AddRecs looks up before adding them.
const lookAhead = 16

// AddRecs adds records in order, exactly as AddRec on each. It first reads,
// for a few records ahead, the index entry and the slot their conversation
// is likely in, so that those cache misses (the index and the slots of
// hundreds of thousands of open conversations are far larger than the
// caches) are in flight together instead of one after the other.
func (c *Correlator) AddRecs(rs []Rec) {
	var keys [lookAhead]struct {
		k       Key
		tag     uint32
		fwd, ok bool
	}
	var ents [lookAhead]uint64
	for len(rs) > 0 {
		batch := rs[:min(len(rs), lookAhead)]
		// Keys first, then the loads in loops of a few instructions each,
		// so that all of them fit in the processor's window at once.
		for i := range batch {
			r, x := &batch[i], &keys[i]
			x.ok = false
			if r.Kind != flowlog.KindTransitGateway && !r.IsGap() {
				if x.k, x.fwd, x.ok = keyOf(r); x.ok {
					x.tag = x.k.tag(c.seed)
				}
			}
		}
		for i := range batch {
			ents[i] = c.open.ents[keys[i].tag&c.open.mask]
		}
		var touched uint64
		for i := range batch {
			if e := ents[i]; e != 0 && uint32(e>>32) == keys[i].tag {
				s := c.slots.at(uint32(e))
				touched += uint64(s.key.loPort) + uint64(s.views[0].ntally) // the key's line and the first view's
			} else if e == 0 && keys[i].ok {
				touched += uint64(c.tombs.ents[keys[i].tag&c.tombs.mask].at)
			}
		}
		c.touched += touched // keep the loads
		for i := range batch {
			x := &keys[i]
			c.addKeyed(&batch[i], &x.k, x.tag, x.fwd, x.ok)
		}
		rs = rs[len(batch):]
	}
}

// addKeyed adds r, whose key is k with hash tag tag (ok false: r has none,
// or is a gap or Transit Gateway record).
func (c *Correlator) addKeyed(r *Rec, k *Key, tag uint32, fwd, ok bool) {
	c.stats.Records++
	if r.InterfaceID == "" && c.owner != nil {
		// A format without interface-id: the topology names the ENI when
		// it owns exactly one of the record's addresses.
		src, sok := c.owner.OwnerENI(r.SrcAddr)
		dst, dok := c.owner.OwnerENI(r.DstAddr)
		switch {
		case sok && !dok:
			r.InterfaceID = src
		case dok && !sok:
			r.InterfaceID = dst
		}
	}
	if r.InterfaceID == "" {
		r.InterfaceID = UnnamedENI // one name everywhere: views are matched by it
	}
	switch {
	case r.Kind == flowlog.KindTransitGateway:
		c.stats.TransitGateway++
		return
	case r.IsGap():
		c.addGap(r)
	default:
		if !ok {
			c.stats.Unkeyed++
			return
		}
		if r.End > c.watermark {
			c.watermark = r.End
		}
		d := 0
		if !fwd {
			d = 1
		}
		eh := c.eniHandle(r.InterfaceID)
		s := c.slots.at(c.lookup(k, tag, r))
		s.touch = c.watermark
		if c.seenBefore(s, fingerprint(eh, d, r)) {
			c.stats.Duplicates++
			break
		}
		c.stats.Keyed++
		if r.Action == flowlog.ActionReject {
			if probeLike(r) {
				c.fan.add(r, c.opts.Horizon, c.watermark, c.ownAddr(r.SrcAddr))
			}
		} else if r.Packets >= 5 && r.Action == flowlog.ActionAccept {
			c.sess.add(r)
		}
		s.header(r, d)
		if s.big == 0 && !c.forceBig && c.addCompact(s, r, d, eh) {
			break
		}
		if s.big == 0 {
			c.promote(s)
		}
		c.bigs[s.big-1].add(c, r, d)
	}
	if r.End > c.watermark {
		c.watermark = r.End
	}
	if len(c.heap) > 0 && c.heap[0].touch < c.watermark-c.opts.Horizon {
		c.expire()
	}
}

// Flush emits every open conversation, ordered by First and then by key,
// as at the end of input. The Correlator may be used again afterwards.
func (c *Correlator) Flush() {
	batch := c.batch[:0]
	for _, e := range c.open.ents {
		for id := uint32(e); id != 0; id = c.slots.at(id).next {
			batch = append(batch, id)
		}
	}
	c.heap = c.heap[:0]
	c.emitBatch(batch)
}

// lookup returns the open conversation of key k that r joins, starting a
// new one when none is within IdleSplit+Tolerance of r.
func (c *Correlator) lookup(k *Key, tag uint32, r *Rec) uint32 {
	pos, head := c.open.find(tag, k, &c.slots)
	for id := head; id != 0; {
		s := c.slots.at(id)
		if r.Start <= s.last+c.split && r.End >= s.first-c.split {
			return id
		}
		id = s.next
	}
	if c.nopen >= c.opts.MaxOpen {
		// Evicting changes the index (and may take head): look again.
		c.evict()
		return c.lookup(k, tag, r)
	}
	id := c.slots.alloc()
	s := c.slots.at(id)
	s.key, s.first, s.last, s.base, s.next = *k, r.Start, r.End, r.Start, head
	if head != 0 {
		c.stats.Splits++
	}
	if t, ok := c.tombs.get(tag, k); ok && t.at >= c.watermark-c.retention() && r.Start <= t.last+c.split {
		s.bits |= bitContinued
		c.stats.LateRecords++
	}
	c.open.set(pos, tag, id)
	c.nopen++
	c.stats.MaxOpen = max(c.stats.MaxOpen, c.nopen)
	c.stats.Conversations++
	c.push(heapEntry{c.watermark, id})
	return id
}

// expire emits the conversations not touched within the horizon. A
// conversation's touch is the newest log time seen when its latest record
// arrived: its last end for input in time order, later for a record that
// arrived out of order. Heap entries carry the touch a conversation had
// when it was pushed; one touched since is pushed again with its current
// touch instead of being emitted, so Add never touches the heap for a
// record that joins an open conversation.
func (c *Correlator) expire() {
	limit := c.watermark - c.opts.Horizon
	batch := c.batch[:0]
	for len(c.heap) > 0 && c.heap[0].touch < limit {
		e := c.pop()
		if t := c.slots.at(e.id).touch; t > e.touch {
			c.push(heapEntry{t, e.id})
			continue
		}
		batch = append(batch, e.id)
	}
	c.emitBatch(batch)
	c.pruneTombs()
}

// evict emits the eighth of the open conversations touched longest ago,
// before their horizon, to make room under MaxOpen for a new one. It
// reads the same heap as expire, so it costs no more per conversation than
// expiring it, and a batch of MaxOpen/8 keeps it rare.
func (c *Correlator) evict() {
	target := c.opts.MaxOpen - c.opts.MaxOpen/8
	batch := c.batch[:0]
	for len(c.heap) > 0 && c.nopen-len(batch) > target {
		e := c.pop()
		if t := c.slots.at(e.id).touch; t > e.touch {
			c.push(heapEntry{t, e.id}) // at most once per conversation: its entry is now current
			continue
		}
		batch = append(batch, e.id)
	}
	for _, id := range batch {
		c.slots.at(id).bits |= bitCutEarly
	}
	c.stats.Evicted += int64(len(batch))
	c.emitBatch(batch)
}

// emitOrder is a conversation's place in emission order: by first, then
// key (compareKeys), then last. It carries first and the key's leading
// fields, so that sorting reads a slot only to break a tie on them.
type emitOrder struct {
	first    int64
	lo0, lo1 uint64 // the key's lo address, big-endian halves
	proto    flowlog.Proto
	id       uint32
}

func (c *Correlator) emitBatch(batch []uint32) {
	order := c.order[:0]
	for _, id := range batch {
		s := c.slots.at(id)
		order = append(order, emitOrder{s.first, binary.BigEndian.Uint64(s.key.lo[:8]), binary.BigEndian.Uint64(s.key.lo[8:]), s.key.proto, id})
	}
	slices.SortFunc(order, func(a, b emitOrder) int {
		if x := cmp.Compare(a.first, b.first); x != 0 {
			return x
		}
		if x := cmp.Compare(a.proto, b.proto); x != 0 {
			return x
		}
		if x := cmp.Compare(a.lo0, b.lo0); x != 0 {
			return x
		}
		if x := cmp.Compare(a.lo1, b.lo1); x != 0 {
			return x
		}
		sa, sb := c.slots.at(a.id), c.slots.at(b.id)
		if x := compareKeys(sa.key, sb.key); x != 0 {
			return x
		}
		return cmp.Compare(sa.last, sb.last)
	})
	for i := range order {
		batch[i] = order[i].id
	}
	c.order = order[:0]
	var tags [lookAhead]uint32
	for i, id := range batch {
		if j := i % lookAhead; j == 0 {
			// As in AddRecs: the index and tomb entries of the next few
			// conversations are loaded together.
			next := batch[i:min(i+lookAhead, len(batch))]
			for k, id := range next {
				tags[k] = c.slots.at(id).key.tag(c.seed)
			}
			var touched uint64
			for k := range next {
				touched += c.open.ents[tags[k]&c.open.mask] + uint64(c.tombs.ents[tags[k]&c.tombs.mask].at)
			}
			c.touched += touched
		}
		s := c.slots.at(id)
		tag := tags[i%lookAhead]
		c.unlink(tag, id, s)
		out := c.pendingSlot(s)
		if c.tombs.n >= c.opts.MaxOpen {
			c.forgetOldTombs()
		}
		pos, ok := c.tombs.find(tag, &s.key)
		if t := c.tombs.ents[pos]; !ok || s.last > t.last || t.at < c.watermark-c.retention() {
			c.tombs.put(pos, &s.key, tomb{s.last, c.watermark}, c.seed)
		}
		c.stats.Emitted++
		c.releaseSlot(id, s)
		c.emit(out)
	}
	c.batch = batch[:0]
}

// pendingSlot takes an emitted conversation out of its slot, with a copy
// of everything building it reads that later records may change: each
// ENI's learned own addresses, the gaps of the ENIs involved, the source
// names.
func (c *Correlator) pendingSlot(s *slot) *Pending {
	var cv *conv
	if s.big != 0 {
		cv = c.bigs[s.big-1]
		c.bigs[s.big-1] = nil
		c.bigFree = append(c.bigFree, s.big-1)
		s.big = 0
		c.loadHeader(s, cv)
	} else {
		cv = c.newConv()
		c.expand(s, cv)
	}
	for i := range cv.views {
		vs := &cv.views[i]
		vs.fam = vs.eni.fam
	}
	p := &Pending{cv: cv, gaps: c.gapsFor(cv), srcs: c.srcs, fin: c.fin}
	if len(c.fan.m) > 0 {
		lo, hi := cv.key.Lo().Addr(), cv.key.Hi().Addr()
		p.fan[0] = c.fan.of(lo, cv.first, c.opts.Horizon, c.ownAddr(lo))
		p.fan[1] = c.fan.of(hi, cv.first, c.opts.Horizon, c.ownAddr(hi))
		if p.fan[0] != (FanOut{}) || p.fan[1] != (FanOut{}) {
			s := c.sess.with(lo, hi, cv.first, c.opts.Horizon)
			p.fan[0].Session, p.fan[1].Session = s, s
		}
	}
	return p
}

// releaseSlot frees an emitted conversation's slot and evidence blocks (its
// general form, if any, went with the Pending).
func (c *Correlator) releaseSlot(id uint32, s *slot) {
	c.releaseViews(s)
	c.slots.release(id)
}

func (c *Correlator) unlink(tag, id uint32, s *slot) {
	pos, p := c.open.find(tag, &s.key, &c.slots)
	if p == id {
		if s.next == 0 {
			c.open.remove(pos)
		} else {
			c.open.set(pos, tag, s.next)
		}
	} else {
		for p != 0 {
			ps := c.slots.at(p)
			if ps.next == id {
				ps.next = s.next
				break
			}
			p = ps.next
		}
	}
	s.next = 0
	c.nopen--
}

// retention is how long gap records (after their end) and the keys of
// emitted conversations (after their emission) are kept, in log time: as
// long as a record could still join, or continue, a conversation.
func (c *Correlator) retention() int64 { return c.opts.Horizon + c.split }

// pruneTombs deletes the keys of conversations emitted more than retention
// ago. A key counts only for retention after its emission (lookup checks);
// the map is swept whenever log time has moved by an eighth of that, so it
// holds at most 1.125 retentions of emitted keys, without a queue.
func (c *Correlator) pruneTombs() {
	if c.watermark-c.sweptAt < c.retention()/8 {
		return
	}
	c.sweptAt = c.watermark
	c.tombs.prune(c.watermark-c.retention(), c.seed)
}

// forgetOldTombs drops the older half of the emitted keys (by emission
// time, ties included), when more are kept than the bound in
// Options.MaxOpen. It runs once per MaxOpen emissions at most, so sorting
// the emission times is cheap against emitting.
func (c *Correlator) forgetOldTombs() {
	ats := make([]int64, 0, c.tombs.n)
	for i := range c.tombs.ents {
		if e := &c.tombs.ents[i]; e.used {
			ats = append(ats, e.at)
		}
	}
	slices.Sort(ats)
	before := c.tombs.n
	c.tombs.prune(ats[len(ats)/2]+1, c.seed)
	c.stats.ForgottenKeys += int64(before - c.tombs.n)
}

func (c *Correlator) addGap(r *Rec) {
	e := c.eni(r.InterfaceID)
	limit := c.watermark - c.retention()
	drop := 0
	for drop < len(e.gaps) && e.gaps[drop].End < limit {
		drop++
	}
	if drop > 0 {
		e.gaps = append(e.gaps[:0], e.gaps[drop:]...)
	}
	for i := range e.gaps {
		if g := &e.gaps[i]; g.Status == r.LogStatus && g.Start == r.Start && g.End == r.End {
			c.stats.Duplicates++
			return
		}
	}
	c.stats.Gaps++
	e.gaps = append(e.gaps, Gap{ENI: e.id, Status: r.LogStatus, Start: r.Start, End: r.End, Pos: r.Pos})
}

// probeLike reports whether a REJECT record may be a request (a probe)
// rather than a reply: TCP with tcp-flags must carry SYN without ACK;
// otherwise a record from a lower port to a higher one is taken for a reply
// (a server answering from its service port to a client's ephemeral one).
// Replies a network ACL drops must not make their server a "scanner".
func probeLike(r *Rec) bool {
	if r.Protocol == flowlog.ProtoTCP && r.HasTCPFlags {
		return r.TCPFlags&0x02 != 0 && r.TCPFlags&0x10 == 0
	}
	return !r.Protocol.HasPorts() || r.SrcPort >= r.DstPort
}

// ownAddr reports whether a is known to be an ENI's own address (learned
// from its records, or from the topology): such a source is one host, never
// aggregated into its /64.
func (c *Correlator) ownAddr(a netip.Addr) bool {
	if !a.Is6() {
		return true
	}
	if _, ok := c.byAddr[a.Unmap()]; ok {
		return true
	}
	if c.owner != nil {
		if _, ok := c.owner.OwnerENI(a); ok {
			return true
		}
	}
	return false
}

// UnnamedENI stands for the ENI of records whose format has no
// interface-id: all of them are one interface as far as correlation can
// tell, and reports must not print an empty id.
const UnnamedENI = "(no interface-id)"

// eniHandle returns the handle of ENI id, adding it the first time.
func (c *Correlator) eniHandle(id string) uint32 {
	// The parsers intern ids, so a record's id is almost always the very
	// string an earlier record had: a cache keyed by the string's address
	// answers without hashing it. The entry holds the string, so its
	// memory cannot be reused for another while cached.
	if c.eniCache == nil {
		c.eniCache = new([eniCacheSize]eniCacheEntry)
	}
	p := unsafe.StringData(id)
	e := &c.eniCache[uint64(uintptr(unsafe.Pointer(p))>>3)*0x9e3779b97f4a7c15>>(64-eniCacheBits)]
	if unsafe.StringData(e.id) == p && len(e.id) == len(id) && p != nil {
		return e.h
	}
	if h, ok := c.enis[id]; ok {
		*e = eniCacheEntry{id, h}
		return h
	}
	h := uint32(len(c.eniList))
	c.eniList = append(c.eniList, &eniState{id: id})
	c.enis[id] = h
	c.bumpEnds()
	return h
}

func (c *Correlator) eni(id string) *eniState { return c.eniList[c.eniHandle(id)] }

// min-heap on touch.

func (c *Correlator) push(e heapEntry) {
	c.heap = append(c.heap, e)
	h := c.heap
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].touch <= h[i].touch {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func (c *Correlator) pop() heapEntry {
	h := c.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h[n] = heapEntry{}
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].touch < h[l].touch {
			m = r
		}
		if h[i].touch <= h[m].touch {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	c.heap = h
	return top
}

const (
	eniCacheBits = 12
	eniCacheSize = 1 << eniCacheBits
)

type eniCacheEntry struct {
	id string
	h  uint32
}

// eniState is what the Correlator learns about one ENI across
// conversations: its own address (per address family) and its gap records.
type eniState struct {
	id   string
	fam  [2]ownAddr // 0: IPv4, 1: IPv6
	gaps []Gap
}

// ownAddr learns an ENI's own address. It is fixed by a record that shows it
// (flow-direction, or a record-level address differing from the packet
// level); otherwise it is the address common to all of the ENI's records.
type ownAddr struct {
	addr  netip.Addr
	fixed bool
	cand  [2]netip.Addr
	n     int
}

func famOf(a netip.Addr) int {
	if a.Is4() || a.Is4In6() {
		return 0
	}
	return 1
}

func (c *Correlator) setOwn(e *eniState, a netip.Addr) {
	o := &e.fam[famOf(a)]
	if o.fixed && o.addr == a {
		return
	}
	c.forgetOwn(e, o.addr)
	o.addr, o.fixed, o.n = a, true, 0
	c.byAddr[a.Unmap()] = e
	c.bumpEnds()
}

// forgetOwn drops the address -> ENI entry of an address e no longer owns,
// so that another ENI's gaps are never attached through a stale entry.
func (c *Correlator) forgetOwn(e *eniState, old netip.Addr) {
	if old.IsValid() && c.byAddr[old.Unmap()] == e {
		delete(c.byAddr, old.Unmap())
		c.bumpEnds()
	}
}

// observe narrows the candidates for the ENI's own address to the two
// record-level addresses of one more record.
func (c *Correlator) observe(e *eniState, src, dst netip.Addr) {
	if !src.IsValid() || !dst.IsValid() || famOf(src) != famOf(dst) {
		return
	}
	o := &e.fam[famOf(src)]
	if o.fixed {
		return
	}
	if o.n == 0 {
		o.cand, o.n = [2]netip.Addr{src, dst}, 2
		if src == dst {
			o.n = 1
		}
	} else {
		k := 0
		for i := 0; i < o.n; i++ {
			if o.cand[i] == src || o.cand[i] == dst {
				o.cand[k] = o.cand[i]
				k++
			}
		}
		if k == 0 { // several own addresses, or a contradiction: start over
			o.cand, k = [2]netip.Addr{src, dst}, 2
		}
		o.n = k
	}
	if o.n == 1 && o.addr != o.cand[0] {
		c.forgetOwn(e, o.addr)
		o.addr = o.cand[0]
		c.byAddr[o.addr.Unmap()] = e
		c.bumpEnds()
	}
}

// own returns the ENI's own address in the family of a, if known. When two
// candidates remain and exactly one is a private IPv4 address, that one is
// the ENI's: AWS always logs the ENI side by its private IPv4.
func (e *eniState) own(a netip.Addr) netip.Addr { return ownIn(&e.fam, a) }

// ownIn is eniState.own for a copy of its addresses.
func ownIn(fam *[2]ownAddr, a netip.Addr) netip.Addr {
	o := &fam[famOf(a)]
	if o.fixed || o.n == 1 {
		return o.addr
	}
	if o.n == 2 && o.cand[0].Is4() {
		p0, p1 := isPrivate4(o.cand[0]), isPrivate4(o.cand[1])
		if p0 && !p1 {
			return o.cand[0]
		}
		if p1 && !p0 {
			return o.cand[1]
		}
	}
	return netip.Addr{}
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func isPrivate4(a netip.Addr) bool { return a.IsPrivate() || cgnat.Contains(a) }

// conv is the general form of an open conversation, for the few that
// outgrow their slot, and the form finish reads (a slot is expanded into
// one). Its views' Request leg holds the lo->hi records and Reply the
// hi->lo records until finish orients them. The conversation-wide fields
// (key to synAck) are copied from the slot, which keeps them up to date.
type conv struct {
	key         Key
	first, last int64
	views       []viewState
	inline      [2]viewState // backing for views: most conversations have 1 or 2
	continued   bool
	cutEarly    bool

	seen       [2]bool  // a record of direction d (0: lo->hi, 1: hi->lo) on any ENI
	firstStart [2]int64 // earliest start per direction
	synBare    [2]bool  // a record of direction d carried SYN without ACK
	synAck     [2]bool  // a record of direction d carried SYN-ACK
}

type viewState struct {
	eni        *eniState
	view       View
	ev         [2][]evItem
	own        uint8      // ownValid, ownLo, ownHi: the ENI's address shown by this conversation's records
	translated bool       // a record's addresses differed from the packet level
	fam        [2]ownAddr // eni's learned own addresses when the conversation was emitted
}

// evItem is one evidence position. It holds no pointer (the source is an
// index into Correlator.srcs).
type evItem struct {
	start int64
	line  int64
	src   uint32
}

func (cv *conv) view(c *Correlator, id string) *viewState {
	for i := range cv.views {
		if cv.views[i].view.ENI == id {
			return &cv.views[i]
		}
	}
	vs := cv.newView()
	vs.eni = c.eni(id)
	vs.view.ENI = vs.eni.id
	return vs
}

// newView appends a cleared view, reusing a recycled slot's evidence
// buffers.
func (cv *conv) newView() *viewState {
	if n := len(cv.views); n < cap(cv.views) {
		cv.views = cv.views[:n+1]
		vs := &cv.views[n]
		ev := vs.ev
		*vs = viewState{ev: [2][]evItem{ev[0][:0], ev[1][:0]}}
		return vs
	}
	cv.views = append(cv.views, viewState{})
	return &cv.views[len(cv.views)-1]
}

// newConv returns a cleared conversation, reusing an emitted one's memory
// when there is one.
func (c *Correlator) newConv() *conv { return c.fin.newConv() }

// reset clears cv for reuse, keeping the evidence buffers of its inline
// views.
func (cv *conv) reset() {
	var ev [len(cv.inline)][2][]evItem
	for i := range cv.inline {
		ev[i] = cv.inline[i].ev
	}
	*cv = conv{}
	for i := range cv.inline {
		cv.inline[i].ev = [2][]evItem{ev[i][0][:0], ev[i][1][:0]}
	}
	cv.views = cv.inline[:0]
}

// add adds the per-ENI part of r, of direction d, to cv; the slot keeps the
// conversation-wide part.
func (cv *conv) add(c *Correlator, r *Rec, d int) {
	vs := cv.view(c, r.InterfaceID)
	v := &vs.view
	if v.Subnet == "" {
		v.Subnet = r.SubnetID
	}
	if v.VPC == "" {
		v.VPC = r.VPCID
	}
	if v.Account == "" {
		v.Account = r.AccountID
	}
	if r.HasTCPFlags {
		v.FlagsKnown = true
	}
	leg := &v.Request
	if d == 1 {
		leg = &v.Reply
	}
	leg.Seen = true
	switch r.Action {
	case flowlog.ActionAccept:
		leg.Accept.add(r)
	case flowlog.ActionReject:
		leg.Reject.add(r)
		if r.RejectReason != "" {
			leg.RejectReason = r.RejectReason
		}
	default:
		leg.NoAction.add(r)
	}
	if leg.Direction == flowlog.DirUnknown {
		leg.Direction = r.FlowDirection
	}
	vs.addEvidence(c, d, r, leg)

	own, translated := ownOf(r)
	if translated {
		vs.translated = true
	}
	if own.IsValid() {
		vs.own = ownMask(&cv.key, own)
		c.setOwn(vs.eni, own)
	} else {
		c.observe(vs.eni, r.SrcAddr, r.DstAddr)
	}
}

// addEvidence keeps the earliest max positions of leg d by (start, source,
// line) and counts the rest.
func (vs *viewState) addEvidence(c *Correlator, d int, r *Rec, leg *Leg) {
	maxEv := c.opts.MaxEvidence
	if maxEv == 0 {
		leg.MoreEvidence++
		return
	}
	ev := vs.ev[d]
	it := evItem{r.Start, r.Pos.Line, c.srcOf(r.Pos.Source)}
	if ev == nil {
		ev = make([]evItem, 0, min(maxEv, 4))
	}
	if n := len(ev); n < maxEv && (n == 0 || !c.evLess(it, ev[n-1])) {
		vs.ev[d] = append(ev, it) // in order: the common case
		return
	}
	if len(ev) == maxEv {
		leg.MoreEvidence++
		if !c.evLess(it, ev[len(ev)-1]) {
			return
		}
		ev = ev[:len(ev)-1]
	}
	i := len(ev)
	for i > 0 && c.evLess(it, ev[i-1]) {
		i--
	}
	ev = slices.Insert(ev, i, it)
	vs.ev[d] = ev
}

// evLess orders evidence by start, then source name, then line.
func (c *Correlator) evLess(a, b evItem) bool {
	if a.start != b.start {
		return a.start < b.start
	}
	if a.src != b.src {
		return c.srcs[a.src] < c.srcs[b.src]
	}
	return a.line < b.line
}

// srcOf returns the index of source name s in c.srcs, adding it the first
// time. Records come file by file, so the last name answers almost always.
func (c *Correlator) srcOf(s string) uint32 {
	if len(c.srcs) > 0 && s == c.srcs[c.lastSrc] {
		return c.lastSrc
	}
	i, ok := c.srcIdx[s]
	if !ok {
		if c.srcIdx == nil {
			c.srcIdx = make(map[string]uint32)
		}
		i = uint32(len(c.srcs))
		c.srcs = append(c.srcs, s)
		c.srcIdx[s] = i
	}
	c.lastSrc = i
	return i
}

// finish turns an emitted conversation into its Conversation. It reads
// only cv, srcs, gaps and the finisher's topology hints, so it runs on any
// goroutine.
func (c *finisher) finish(cv *conv, srcs []string, gaps []Gap, fan [2]FanOut) *Conversation {
	clientLo, basis, conf := c.decide(cv)
	lo, hi := cv.key.Lo(), cv.key.Hi()
	out := &Conversation{
		Proto: cv.key.proto, Client: lo, Server: hi,
		Basis: basis, Confidence: conf,
		First: cv.first, Last: cv.last,
		Continued: cv.continued,
		CutEarly:  cv.cutEarly,
	}
	out.ClientFanOut, out.ServerFanOut = fan[0], fan[1]
	if !clientLo {
		out.Client, out.Server = hi, lo
		out.ClientFanOut, out.ServerFanOut = fan[1], fan[0]
	}
	n := 0
	for i := range cv.views {
		n += len(cv.views[i].ev[0]) + len(cv.views[i].ev[1])
	}
	pos := make([]flowlog.Pos, n)
	out.Views = make([]View, len(cv.views))
	for i := range cv.views {
		vs := &cv.views[i]
		v := vs.view
		req, rep := vs.ev[0], vs.ev[1]
		if !clientLo {
			v.Request, v.Reply = v.Reply, v.Request
			req, rep = rep, req
		}
		v.Request.Evidence, pos = fillPos(srcs, pos, req)
		v.Reply.Evidence, pos = fillPos(srcs, pos, rep)
		v.Role = c.role(vs, clientLo, out.Client.Addr(), out.Server.Addr())
		out.Views[i] = v
	}
	inferRoles(out.Views)
	slices.SortFunc(out.Views, func(a, b View) int { return strings.Compare(a.ENI, b.ENI) })
	out.Gaps = gaps
	return out
}

// endENIs are the ENIs of one address: the one whose records showed it as
// its own, and the one the topology says owns it (when that ENI has
// records).
type endENIs struct {
	addr           [16]byte
	gen            uint32 // Correlator.endsGen when filled; 0: empty
	learned, owner *eniState
}

const (
	endsBits = 12
	endsSize = 1 << endsBits
)

// bumpEnds invalidates the ends cache.
func (c *Correlator) bumpEnds() {
	c.endsGen++
	if c.endsGen == 0 && c.ends != nil { // wrapped: old entries would look valid
		*c.ends = [endsSize]endENIs{}
	}
}

func (c *Correlator) endENIsOf(a netip.Addr) endENIs {
	key := a.As16()
	if c.ends == nil {
		c.ends = new([endsSize]endENIs)
	}
	if c.endsGen == 0 {
		c.endsGen = 1
	}
	h := (binary.LittleEndian.Uint64(key[8:]) ^ binary.LittleEndian.Uint64(key[:8])) * 0x9e3779b97f4a7c15
	ent := &c.ends[h>>(64-endsBits)]
	if ent.gen == c.endsGen && ent.addr == key {
		return *ent
	}
	*ent = endENIs{addr: key, gen: c.endsGen, learned: c.byAddr[a]}
	if c.owner != nil {
		if id, ok := c.owner.OwnerENI(a); ok {
			if h, ok := c.enis[id]; ok {
				ent.owner = c.eniList[h]
			}
		}
	}
	return *ent
}

func fillPos(srcs []string, buf []flowlog.Pos, ev []evItem) ([]flowlog.Pos, []flowlog.Pos) {
	if len(ev) == 0 {
		return nil, buf
	}
	for i, it := range ev {
		buf[i] = flowlog.Pos{Source: srcs[it.src], Line: it.line}
	}
	return buf[:len(ev):len(ev)], buf[len(ev):]
}

func (c *finisher) role(vs *viewState, clientLo bool, client, server netip.Addr) Role {
	if vs.view.ENI == UnnamedENI {
		// Records of every ENI without an id: its role cannot be told,
		// and it is no forwarding ENI.
		return RoleUnknown
	}
	var isClient, isServer bool
	if vs.own&ownValid != 0 {
		lo, hi := vs.own&ownLo != 0, vs.own&ownHi != 0
		isClient, isServer = lo, hi
		if !clientLo {
			isClient, isServer = hi, lo
		}
		// flow-direction shows the address on the ENI's side of the
		// packet, which for an ENI that forwards (a Transit Gateway
		// attachment) is not its own: the topology tells when that
		// address is another ENI's.
		if c.owner != nil && isClient != isServer {
			a := server
			if isClient {
				a = client
			}
			if id, ok := c.owner.OwnerENI(a); ok && id != vs.view.ENI {
				return RoleTransit
			}
		}
	} else {
		own := ownIn(&vs.fam, client)
		if own.IsValid() && !vs.fam[famOf(own)].fixed && own.Is4() && !isPrivate4(own.Unmap()) {
			// AWS logs an ENI's side by its private IPv4, so a public
			// address common to all of an ENI's records is a peer's (a
			// NAT gateway talking to one server), unless the topology puts
			// it in a subnet (a VPC numbered from public ranges). The
			// conversation's one private end is then the better guess.
			if m, ok := c.owner.(MayOwnHints); !ok || !m.MayOwn(vs.view.ENI, own) {
				own = netip.Addr{}
				if cp, sp := client.Is4() && isPrivate4(client.Unmap()), server.Is4() && isPrivate4(server.Unmap()); cp != sp {
					own = server
					if cp {
						own = client
					}
				}
			}
		}
		forwards := false // the topology gives the guessed own address to another ENI
		if c.owner != nil {
			cid, cok := c.owner.OwnerENI(client)
			sid, sok := c.owner.OwnerENI(server)
			if cok && cid == vs.view.ENI {
				return RoleClient
			}
			if sok && sid == vs.view.ENI {
				return RoleServer
			}
			// Both ends are other ENIs': this one forwards between them
			// (a Transit Gateway attachment, an appliance).
			if cok && sok {
				return RoleTransit
			}
			// The records guess an ENI's address from what all of them
			// share (or the one private IPv4 of two): a NAT gateway
			// forwarding for one instance shows that instance's address
			// on every record. When the topology gives that address to
			// another ENI, this one forwards for it.
			if own.IsValid() {
				u := own.Unmap()
				if cok && u == client.Unmap() || sok && u == server.Unmap() {
					own, forwards = netip.Addr{}, true
				}
			}
			// One end is another ENI's: this ENI is the other end, when
			// it may own that address (not a transit ENI forwarding for
			// an address outside the topology's subnets).
			if m, ok := c.owner.(MayOwnHints); ok && !own.IsValid() {
				switch {
				case cok && !sok && m.MayOwn(vs.view.ENI, server):
					return RoleServer
				case sok && !cok && m.MayOwn(vs.view.ENI, client):
					return RoleClient
				}
			}
		}
		if !own.IsValid() {
			if vs.translated || forwards {
				return RoleTransit
			}
			return RoleUnknown
		}
		own = own.Unmap()
		isClient, isServer = own == client, own == server
	}
	switch {
	case isClient:
		return RoleClient
	case isServer:
		return RoleServer
	}
	return RoleTransit
}

// gapsFor returns the gaps of the conversation's ENIs, and of the ENIs that
// own either end, within the tolerance of its time range.
func (c *Correlator) gapsFor(cv *conv) []Gap {
	var enis [4]*eniState
	list := enis[:0]
	for i := range cv.views {
		list = append(list, cv.views[i].eni)
	}
	// The ENIs after the views', and the end each owns.
	nviews := len(list)
	var ofs [4]netip.Addr
	for _, a := range [2]netip.Addr{cv.key.Lo().Addr(), cv.key.Hi().Addr()} {
		ends := c.endENIsOf(a)
		for _, e := range [2]*eniState{ends.learned, ends.owner} {
			if e != nil && !slices.Contains(list, e) {
				ofs[len(list)-nviews] = a
				list = append(list, e)
			}
		}
	}
	// Strictly overlapping: a gap beside the conversation says nothing
	// about it, and a NODATA overlapping it on an end's ENI is evidence
	// (that ENI had no traffic then), not a mere doubt.
	// Capture windows are half-open: a gap that starts when the
	// conversation's last record ends (or ends when its first starts) only
	// touches it.
	from, to := cv.first, max(cv.last, cv.first+1)
	var gaps []Gap
	for i, e := range list {
		for _, g := range e.gaps {
			if g.End > from && g.Start < to {
				if i >= nviews {
					g.Of = ofs[i-nviews]
				}
				gaps = append(gaps, g)
			}
		}
	}
	slices.SortFunc(gaps, func(a, b Gap) int {
		if x := strings.Compare(a.ENI, b.ENI); x != 0 {
			return x
		}
		if x := cmp.Compare(a.Start, b.Start); x != 0 {
			return x
		}
		if x := strings.Compare(a.Pos.Source, b.Pos.Source); x != 0 {
			return x
		}
		return cmp.Compare(a.Pos.Line, b.Pos.Line)
	})
	return gaps
}
