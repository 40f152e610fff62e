package flowlog

import (
	"strconv"
	"testing"
	"unsafe"
)

func TestInternerSharesStrings(t *testing.T) {
	in := newInterner(0, 0)
	a := in.get([]byte("eni-0123456789abcdef0"))
	b := in.get([]byte("eni-0123456789abcdef0"))
	if a != b || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Fatalf("get twice returned different backing arrays for %q", a)
	}
	if c := in.get([]byte("eni-1")); c != "eni-1" {
		t.Fatalf("get(eni-1) = %q", c)
	}
	if in.len() != 2 {
		t.Fatalf("len = %d; want 2", in.len())
	}
}

func TestInternerBounded(t *testing.T) {
	in := newInterner(8, 8)
	if len(in.slots) != 8 {
		t.Fatalf("%d slots; want 8", len(in.slots))
	}
	for i := range 100 {
		s := "task-" + strconv.Itoa(i)
		if got := in.get([]byte(s)); got != s {
			t.Fatalf("get(%q) = %q", s, got)
		}
		if in.len() > 8 {
			t.Fatalf("after %d values len = %d; want <= 8", i+1, in.len())
		}
	}
	if len(in.slots) != 8 {
		t.Errorf("table grew to %d slots beyond its maximum 8", len(in.slots))
	}
	if newInterner(5, 0).len() != 0 || len(newInterner(5, 0).slots) != 8 || len(newInterner(1, 0).slots) != internWays || len(newInterner(0, 0).slots) != internStartSlots {
		t.Errorf("slot counts not rounded up to a power of two")
	}
}

func TestInternerNoAllocsWhenWarm(t *testing.T) {
	in := newInterner(0, 0)
	b := []byte("vpc-0abc")
	in.get(b)
	if n := testing.AllocsPerRun(100, func() { in.get(b) }); n != 0 {
		t.Fatalf("warm get allocates %v times; want 0", n)
	}
}

// A few thousand distinct ids, as in a busy VPC, end up without evictions:
// once warm every lookup is a hit.
func TestInternerNoEvictionsAtRealisticCardinality(t *testing.T) {
	for trial := range 20 { // the seed is random: try several
		in := newInterner(0, 0)
		var ids [][]byte
		for i := range 2000 {
			ids = append(ids, []byte("eni-"+strconv.FormatInt(int64(i)*7919, 16)))
		}
		for range 3 { // warm: the table grows while values evict each other
			for _, id := range ids {
				in.get(id)
			}
		}
		for _, id := range ids {
			if got := in.get(id); got != string(id) {
				t.Fatalf("get(%q) = %q", id, got)
			}
		}
		if in.len() != in.n {
			t.Fatalf("occupied count %d; table holds %d", in.n, in.len())
		}
		if len(in.slots) > internMaxSlots {
			t.Fatalf("%d slots; max %d", len(in.slots), internMaxSlots)
		}
		if n := testing.AllocsPerRun(3, func() {
			for _, id := range ids {
				in.get(id)
			}
		}); n != 0 {
			t.Fatalf("trial %d: %v allocations per pass over 2000 warm ids; want 0", trial, n)
		}
	}
}
