package correlate

import "encoding/binary"

// The two hash tables of a Correlator, keyed by conversation Key. Each
// record looks up its conversation, and each new or emitted conversation
// looks up the key's latest emission; with hundreds of thousands of open
// conversations both lookups miss the cache, so the tables are built to
// touch as few cache lines as possible: open addressing with linear
// probing over one flat slice, no tombstones (deletion shifts the cluster
// back), and the hash seeded per Correlator so that crafted addresses and
// ports cannot pile keys into one cluster.

// openIndex maps a Key to the slot id of the key's newest open
// conversation. An entry is 8 bytes: the upper 32 bits of the key's hash
// (which also give its home position) and the slot id; the key itself is
// compared in the slot, which the caller reads next anyway. A hit costs the
// entry's cache line and the slot's, where a Go map adds its control word
// and its own copy of the key.
type openIndex struct {
	ents []uint64 // tag<<32 | slot id; 0 is empty (slot ids start at 1)
	mask uint32
	n    int
}

func (x *openIndex) init() {
	x.ents = make([]uint64, 1024)
	x.mask = uint32(len(x.ents) - 1)
	x.n = 0
}

// find returns the position of key k (hash tag) and its slot id, or the
// empty position where k would go and id 0.
func (x *openIndex) find(tag uint32, k *Key, slots *pool[slot]) (pos, id uint32) {
	pos = tag & x.mask
	for {
		e := x.ents[pos]
		if e == 0 {
			return pos, 0
		}
		if uint32(e>>32) == tag {
			if id := uint32(e); slots.at(id).key.equal(k) {
				return pos, id
			}
		}
		pos = (pos + 1) & x.mask
	}
}

// set stores id at pos, as found by find for the same key. When pos was
// empty the index may grow, which moves entries: positions from earlier
// finds are then stale.
func (x *openIndex) set(pos, tag, id uint32) {
	if x.ents[pos] == 0 {
		x.n++
	}
	x.ents[pos] = uint64(tag)<<32 | uint64(id)
	if x.n > len(x.ents)/4*3 {
		x.grow()
	}
}

// remove empties pos and moves back the entries after it that would no
// longer be found (backward-shift deletion).
func (x *openIndex) remove(pos uint32) {
	x.n--
	hole := pos
	for j := (pos + 1) & x.mask; ; j = (j + 1) & x.mask {
		e := x.ents[j]
		if e == 0 {
			break
		}
		home := uint32(e>>32) & x.mask
		// e may fill the hole when its home is not within (hole, j].
		if (j-home)&x.mask >= (j-hole)&x.mask {
			x.ents[hole] = e
			hole = j
		}
	}
	x.ents[hole] = 0
}

func (x *openIndex) grow() {
	old := x.ents
	x.ents = make([]uint64, 2*len(old))
	x.mask = uint32(len(x.ents) - 1)
	for _, e := range old {
		if e == 0 {
			continue
		}
		p := uint32(e>>32) & x.mask
		for x.ents[p] != 0 {
			p = (p + 1) & x.mask
		}
		x.ents[p] = e
	}
}

// tombTable maps the Key of an emitted conversation to when it was emitted
// and its last record, so that a late record of it can be marked as a
// continuation. Entries hold the key inline: a lookup is one cache line.
type tombTable struct {
	ents []tombEntry
	mask uint32
	n    int
}

type tombEntry struct {
	key  Key
	used bool
	tomb
}

func (t *tombTable) init() {
	t.ents = make([]tombEntry, 1024)
	t.mask = uint32(len(t.ents) - 1)
	t.n = 0
}

func (t *tombTable) find(tag uint32, k *Key) (pos uint32, found bool) {
	pos = tag & t.mask
	for {
		e := &t.ents[pos]
		if !e.used {
			return pos, false
		}
		if e.key.equal(k) {
			return pos, true
		}
		pos = (pos + 1) & t.mask
	}
}

func (t *tombTable) get(tag uint32, k *Key) (tomb, bool) {
	pos, ok := t.find(tag, k)
	return t.ents[pos].tomb, ok
}

// put stores v for k at pos, as found by find for the same key.
func (t *tombTable) put(pos uint32, k *Key, v tomb, seed uint64) {
	e := &t.ents[pos]
	if !e.used {
		t.n++
		e.key, e.used = *k, true
	}
	e.tomb = v
	if t.n > len(t.ents)/4*3 {
		t.grow(seed)
	}
}

// prune deletes the entries emitted before limit.
func (t *tombTable) prune(limit int64, seed uint64) {
	for i := uint32(0); i < uint32(len(t.ents)); {
		if e := &t.ents[i]; e.used && e.at < limit {
			t.remove(i, seed)
			continue // an entry may have moved into i
		}
		i++
	}
}

func (t *tombTable) remove(pos uint32, seed uint64) {
	t.n--
	hole := pos
	for j := (pos + 1) & t.mask; ; j = (j + 1) & t.mask {
		e := &t.ents[j]
		if !e.used {
			break
		}
		home := e.key.tag(seed) & t.mask
		if (j-home)&t.mask >= (j-hole)&t.mask {
			t.ents[hole] = *e
			hole = j
		}
	}
	t.ents[hole] = tombEntry{}
}

func (t *tombTable) grow(seed uint64) {
	old := t.ents
	t.ents = make([]tombEntry, 2*len(old))
	t.mask = uint32(len(t.ents) - 1)
	for i := range old {
		e := &old[i]
		if !e.used {
			continue
		}
		p := e.key.tag(seed) & t.mask
		for t.ents[p].used {
			p = (p + 1) & t.mask
		}
		t.ents[p] = *e
	}
}

// tag is the 32 bits of k's seeded hash that the tables use: its home
// position (low bits) and, in openIndex, a filter before the key compare.
func (k *Key) tag(seed uint64) uint32 { return uint32(k.hashWith(seed) >> 32) }

// equal compares two keys word by word (the generated == calls memequal).
func (k *Key) equal(o *Key) bool {
	return binary.LittleEndian.Uint64(k.lo[:8]) == binary.LittleEndian.Uint64(o.lo[:8]) &&
		binary.LittleEndian.Uint64(k.lo[8:]) == binary.LittleEndian.Uint64(o.lo[8:]) &&
		binary.LittleEndian.Uint64(k.hi[:8]) == binary.LittleEndian.Uint64(o.hi[:8]) &&
		binary.LittleEndian.Uint64(k.hi[8:]) == binary.LittleEndian.Uint64(o.hi[8:]) &&
		k.loPort == o.loPort && k.hiPort == o.hiPort && k.proto == o.proto
}
