package flowlog

import (
	"strconv"
	"testing"
	"unsafe"
)

func TestInternerSharesStrings(t *testing.T) {
	in := newInterner(0)
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
	in := newInterner(8)
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
	if newInterner(5).len() != 0 || len(newInterner(5).slots) != 8 || len(newInterner(0).slots) != defaultInternSlots {
		t.Errorf("slot counts not rounded up to a power of two")
	}
}

func TestInternerNoAllocsWhenWarm(t *testing.T) {
	in := newInterner(0)
	b := []byte("vpc-0abc")
	in.get(b)
	if n := testing.AllocsPerRun(100, func() { in.get(b) }); n != 0 {
		t.Fatalf("warm get allocates %v times; want 0", n)
	}
}
