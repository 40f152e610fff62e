package flowlog

import "hash/maphash"

// interner hands out one shared string per distinct byte sequence, so that
// the ids repeated on every line (ENI, account, VPC, subnet, region, service
// names) are allocated once per reader rather than once per record.
//
// It is a direct-mapped cache: a value hashes to one slot, and a new value
// replaces whatever the slot held. Memory is therefore bounded by the slot
// count, whatever the cardinality of the input (ECS task ids), and a lookup
// costs one hash and one comparison. An interner is not safe for concurrent
// use; each Parser owns one (a Reader shares its interner between the
// parsers of the formats it meets).
type interner struct {
	seed  maphash.Seed
	slots []string // length is a power of two
}

// defaultInternSlots is the slot count of an interner: 8192 slots (128 KiB
// of string headers) keep thousands of distinct ids with few collisions.
const defaultInternSlots = 1 << 13

// newInterner returns an interner with at least slots slots (0: default).
func newInterner(slots int) *interner {
	if slots <= 0 {
		slots = defaultInternSlots
	}
	n := 1
	for n < slots {
		n <<= 1
	}
	return &interner{seed: maphash.MakeSeed(), slots: make([]string, n)}
}

// get returns the shared string equal to b. It allocates only the first
// time a value is seen, or again after a colliding value evicted it.
func (in *interner) get(b []byte) string {
	i := maphash.Bytes(in.seed, b) & uint64(len(in.slots)-1)
	if s := in.slots[i]; s == string(b) { // the comparison does not allocate
		return s
	}
	s := string(b)
	in.slots[i] = s
	return s
}

// len reports the number of occupied slots, for tests.
func (in *interner) len() int {
	n := 0
	for _, s := range in.slots {
		if s != "" {
			n++
		}
	}
	return n
}
