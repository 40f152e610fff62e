package correlate

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/flowdiag/flowdiag/flowlog"
)

// testKey returns a distinct key for each i.
func testKey(i int) Key {
	a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
	k, _, _ := keyFrom(a, netip.MustParseAddr("10.9.9.9"), uint16(40000+i%20000), 443, flowlog.ProtoTCP)
	return k
}

// TestOpenIndexAgainstMap drives the index with random inserts, head
// replacements and removals and checks every key after each step against a
// Go map. The tags are crafted to fall on a few home positions at the end
// of the table, so that clusters are long and wrap around its end, which
// is where backward-shift deletion goes wrong if it does.
func TestOpenIndexAgainstMap(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		rng := rand.New(rand.NewPCG(seed, 99))
		var slots pool[slot]
		slots.mem = new(offheap)
		defer slots.mem.free()
		var x openIndex
		x.init()
		model := map[int]uint32{} // key number -> slot id
		keys := map[int]Key{}
		tags := map[int]uint32{}
		const universe = 3000
		for step := 0; step < 20000; step++ {
			i := rng.IntN(universe)
			k, ok := keys[i]
			if !ok {
				k = testKey(i)
				keys[i] = k
				tags[i] = uint32(1016+rng.IntN(16)) | uint32(rng.IntN(1<<8))<<20
			}
			tag := tags[i]
			pos, id := x.find(tag, &k, &slots)
			if id != model[i] {
				t.Fatalf("seed %d step %d: key %d found slot %d, want %d", seed, step, i, id, model[i])
			}
			switch {
			case id == 0: // insert
				nid := slots.alloc()
				slots.at(nid).key = k
				x.set(pos, tag, nid)
				model[i] = nid
			case rng.IntN(3) == 0: // replace the head
				nid := slots.alloc()
				slots.at(nid).key = k
				x.set(pos, tag, nid)
				slots.release(id)
				model[i] = nid
			default:
				x.remove(pos)
				slots.release(id)
				delete(model, i)
			}
			if x.n != len(model) {
				t.Fatalf("seed %d step %d: %d entries, want %d", seed, step, x.n, len(model))
			}
			if step%997 == 0 {
				for j, k := range keys {
					if _, id := x.find(tags[j], &k, &slots); id != model[j] {
						t.Fatalf("seed %d step %d: key %d found slot %d, want %d", seed, step, j, id, model[j])
					}
				}
			}
		}
		if len(x.ents) <= 1024 {
			t.Fatalf("seed %d: the index never grew (%d entries at most)", seed, len(x.ents))
		}
	}
}

// TestTombTableAgainstMap checks put, get and prune against a Go map, with
// the table kept small enough to be crowded.
func TestTombTableAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const seed = 12345
	var tt tombTable
	tt.init()
	model := map[int]tomb{}
	var now int64
	for step := 0; step < 60000; step++ {
		now++
		i := rng.IntN(5000)
		k := testKey(i)
		tag := k.tag(seed)
		got, ok := tt.get(tag, &k)
		want, wok := model[i]
		if ok != wok || got != want {
			t.Fatalf("step %d: key %d: got %v %v, want %v %v", step, i, got, ok, want, wok)
		}
		pos, _ := tt.find(tag, &k)
		v := tomb{last: int64(rng.IntN(1000)), at: now}
		tt.put(pos, &k, v, seed)
		model[i] = v
		if step%1500 == 0 {
			limit := now - 700
			tt.prune(limit, seed)
			for j, v := range model {
				if v.at < limit {
					delete(model, j)
				}
			}
			if tt.n != len(model) {
				t.Fatalf("step %d: %d entries after prune, want %d", step, tt.n, len(model))
			}
			for j := 0; j < 5000; j++ {
				k := testKey(j)
				got, ok := tt.get(k.tag(seed), &k)
				want, wok := model[j]
				if ok != wok || got != want {
					t.Fatalf("step %d after prune: key %d: got %v %v, want %v %v", step, j, got, ok, want, wok)
				}
			}
		}
	}
}

func TestKeyEqual(t *testing.T) {
	a := testKey(1)
	for _, mut := range []func(*Key){
		func(k *Key) { k.lo[3]++ },
		func(k *Key) { k.lo[12]++ },
		func(k *Key) { k.hi[0]++ },
		func(k *Key) { k.hi[15]++ },
		func(k *Key) { k.loPort++ },
		func(k *Key) { k.hiPort++ },
		func(k *Key) { k.proto++ },
	} {
		b := a
		if !a.equal(&b) {
			t.Fatal("a key differs from its copy")
		}
		mut(&b)
		if a.equal(&b) || a == b {
			t.Fatalf("keys %v and %v compare equal", a, b)
		}
	}
}

// BenchmarkTombTableFill puts 800,000 distinct keys into an empty table,
// through every doubling, as the emitted keys of an hour of a busy VPC do.
func BenchmarkTombTableFill(b *testing.B) {
	const n = 800_000
	keys := make([]Key, n)
	for i := range keys {
		keys[i] = testKey(i)
	}
	const seed = 99
	for b.Loop() {
		var t tombTable
		t.init()
		for i := range keys {
			k := &keys[i]
			pos, _ := t.find(k.tag(seed), k)
			t.put(pos, k, tomb{int64(i), int64(i)}, seed)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}
