package flowlog

// interner hands out one shared string per distinct byte sequence, so that
// the ids repeated on every line (ENI, account, VPC, subnet, region, service
// names) are allocated once per reader rather than once per record.
//
// The table is bounded: when it reaches max entries it is cleared and starts
// again, so high-cardinality columns (ECS task ids) cannot make memory grow
// without limit. An interner is not safe for concurrent use; each Parser owns
// one (a Reader shares its interner between the parsers of the formats it
// meets).
type interner struct {
	m   map[string]string
	max int
}

// defaultInternMax bounds an interner's table. At about 100 bytes an entry
// it keeps the table under a few MiB.
const defaultInternMax = 1 << 15

func newInterner(max int) *interner {
	if max <= 0 {
		max = defaultInternMax
	}
	return &interner{m: make(map[string]string, 256), max: max}
}

// get returns the shared string equal to b. It allocates only the first
// time a value is seen (and after the table was cleared).
func (in *interner) get(b []byte) string {
	if s, ok := in.m[string(b)]; ok { // no allocation: map lookup with string(b)
		return s
	}
	if len(in.m) >= in.max {
		clear(in.m)
	}
	s := string(b)
	in.m[s] = s
	return s
}

// len reports the number of entries, for tests.
func (in *interner) len() int { return len(in.m) }
