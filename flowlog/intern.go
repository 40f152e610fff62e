package flowlog

import "hash/maphash"

// interner hands out one shared string per distinct byte sequence, so that
// the ids repeated on every line (ENI, account, VPC, subnet, region, service
// names) are allocated once per reader rather than once per record.
//
// It is a set-associative cache: a value hashes to two sets of four slots
// and, when both are full, replaces one of them; the table doubles
// when it is a quarter full or a value was evicted, up to a fixed maximum. Memory is
// therefore bounded whatever the cardinality of the input (ECS task ids),
// and a lookup costs one hash and at most eight comparisons.
// An interner is not safe for concurrent use; each Parser owns one (a
// Reader shares its interner between the parsers of the formats it meets).
type interner struct {
	seed      maphash.Seed
	slots     []string // length is a power of two, at least internWays
	max       int      // the table does not grow beyond max slots
	n         int      // occupied slots
	evictions int      // since the last growth
}

const (
	internWays = 4
	// An interner starts with internStartSlots slots (64 KiB of string
	// headers) and doubles, up to internMaxSlots (1 MiB), when values keep
	// evicting each other; beyond that it evicts.
	internStartSlots = 1 << 12
	internMaxSlots   = 1 << 16
)

// newInterner returns an interner of at least slots slots that never grows
// beyond max slots (0: defaults).
func newInterner(slots, max int) *interner {
	if slots <= 0 {
		slots = internStartSlots
	}
	if max <= 0 {
		max = internMaxSlots
	}
	n := internWays
	for n < slots {
		n <<= 1
	}
	return &interner{seed: maphash.MakeSeed(), slots: make([]string, n), max: max}
}

// get returns the shared string equal to b. It allocates only the first
// time a value is seen, or again after it was evicted.
func (in *interner) get(b []byte) string {
	h := maphash.Bytes(in.seed, b)
	a, c := in.sets(h)
	for _, s := range a {
		if s == string(b) { // the comparison does not allocate
			return s
		}
	}
	for _, s := range c {
		if s == string(b) {
			return s
		}
	}
	s := string(b)
	if in.insert(h, s) {
		in.n++
	} else {
		in.evictions++
	}
	// Keep the table at most a quarter full, where evictions are rare, and
	// grow on any eviction below the maximum: at a quarter full two sets
	// can still both be full, and the two values would then evict each
	// other on every line (TestInternerNoEvictionsAtRealisticCardinality
	// failed about once in a hundred runs while growth waited for many).
	if (in.n > len(in.slots)/4 || in.evictions > 0) && len(in.slots)*2 <= in.max {
		in.grow()
	}
	return s
}

// sets returns the two sets of internWays slots where a value of hash h
// may be (two choices keep sets from overflowing).
func (in *interner) sets(h uint64) (a, c []string) {
	mask := len(in.slots) - 1
	i := int(h) & mask &^ (internWays - 1)
	j := int(h>>32) & mask &^ (internWays - 1)
	return in.slots[i : i+internWays : i+internWays], in.slots[j : j+internWays : j+internWays]
}

// insert puts s into a free slot of its sets (true) or in place of a value
// chosen by the hash (false: an eviction).
func (in *interner) insert(h uint64, s string) bool {
	a, c := in.sets(h)
	for _, set := range [2][]string{a, c} {
		for i := range set {
			if set[i] == "" {
				set[i] = s
				return true
			}
		}
	}
	if h&(1<<31) == 0 {
		a[(h>>29)&(internWays-1)] = s
	} else {
		c[(h>>29)&(internWays-1)] = s
	}
	return false
}

// grow doubles the table, keeping its values.
func (in *interner) grow() {
	old := in.slots
	in.slots = make([]string, 2*len(old))
	in.evictions, in.n = 0, 0
	for _, s := range old {
		if s != "" && in.insert(maphash.String(in.seed, s), s) {
			in.n++
		}
	}
}

// len counts the occupied slots, for tests.
func (in *interner) len() int {
	n := 0
	for _, s := range in.slots {
		if s != "" {
			n++
		}
	}
	return n
}
