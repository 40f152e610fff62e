package flowlog

import (
	"container/heap"
	"errors"
	"io"
	"math"
	"sync"
	"sync/atomic"
)

// mergeBatch is a run of records one input's goroutine read, in file order.
// times holds the merge time of every record read (kept or not, so that
// the merge order is that of Read), slots the index in recs of a kept
// record or -1.
type mergeBatch[T any] struct {
	times []int64
	slots []int32
	recs  []T
	end   bool       // the input's last batch
	stats InputStats // with end: the input's counts and failure
	err   error      // with end: the error that stops the stream (strict mode)
}

// mergeFeed is one input of a parallel merge, fed by its goroutine.
type mergeFeed[T any] struct {
	idx, seq int
	ch       chan *mergeBatch[T]
	cur      *mergeBatch[T]
	pos      int
}

func (f *mergeFeed[T]) key() int64 { return f.cur.times[f.pos] }

type feedHeap[T any] []*mergeFeed[T]

func (h feedHeap[T]) Len() int { return len(h) }
func (h feedHeap[T]) Less(i, j int) bool {
	if a, b := h[i].key(), h[j].key(); a != b {
		return a < b
	}
	return h[i].seq < h[j].seq
}
func (h feedHeap[T]) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *feedHeap[T]) Push(x any)   { *h = append(*h, x.(*mergeFeed[T])) }
func (h *feedHeap[T]) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// mergeSizing says how long the batches are that an input's goroutine
// hands to the merge; it holds up to three (one filling, two queued). The
// inputs being read share budget records per batch, within min..max.
type mergeSizing struct{ min, max, budget int }

// The default sizing gives the two or three consecutive S3 objects open at
// a time long batches (a hand-off between goroutines every 256 records
// cost a tenth of the CPU), and hundreds of overlapping per-ENI files
// short ones, so that what they hold together stays a few tens of MB.
const (
	mergeBatchMin    = 256
	mergeBatchMax    = 4096
	mergeBatchBudget = 16384
)

// batchLen is the batch length for an input while running inputs are
// being read.
func (z mergeSizing) batchLen(running int32) int {
	return min(max(z.budget/max(int(running), 1), z.min), z.max)
}

// mergeShared is what the goroutines of a merge share.
type mergeShared[T any] struct {
	sizing mergeSizing
	// free takes back the batches the merge has used up, for the inputs'
	// goroutines to fill again.
	free    sync.Pool
	running atomic.Int32 // inputs being read
}

// readMergedParallel is ReadParallel for inputs merged by time. Each input
// is read and parsed by a goroutine of its own, ahead of the merge by at
// most two batches, and the next inputs in time order are started early
// (prefetch of workers inputs), so parsing and decompression of several
// files overlap; the merge itself, on this goroutine, takes records in
// exactly the order Read gives them.
func readMergedParallel[T any](s *Stream, workers int, sizing mergeSizing, keep func(r *Record, out *T) bool, deliver func(recs []T, read int64) error) error {
	m := s.peek()
	quit := make(chan struct{})
	var wg sync.WaitGroup
	feeds := make([]*mergeFeed[T], len(m.order))
	if sizing == (mergeSizing{}) {
		sizing = mergeSizing{min: mergeBatchMin, max: mergeBatchMax, budget: mergeBatchBudget}
	}
	sh := &mergeShared[T]{sizing: sizing}
	recycle := func(b *mergeBatch[T]) {
		clear(b.recs) // T may hold pointers: let them go
		*b = mergeBatch[T]{times: b.times[:0], slots: b.slots[:0], recs: b.recs[:0]}
		sh.free.Put(b)
	}
	start := func(pos int) {
		if feeds[pos] != nil {
			return
		}
		f := &mergeFeed[T]{idx: m.order[pos], seq: pos, ch: make(chan *mergeBatch[T], 2)}
		feeds[pos] = f
		var stdin RecordReader
		var stdinRec *Record
		if s.inputs[f.idx].Path == "-" && m.stdinRR != nil {
			stdin, m.stdinRR = m.stdinRR, nil
			if m.stdinOK {
				r := m.stdinRec
				stdinRec = &r
			}
		}
		wg.Add(1)
		sh.running.Add(1)
		go func() {
			defer wg.Done()
			defer sh.running.Add(-1)
			produceMerged(s, f.idx, stdin, stdinRec, keep, f.ch, sh, quit)
		}()
	}
	stop := func() {
		close(quit)
		wg.Wait()
		if m.stdinRR != nil {
			m.stdinRR.Close()
		}
		s.next = len(s.inputs)
	}
	prefetch := max(workers, 1)
	var open feedHeap[T]
	out := make([]T, 0, 1024)
	var read int64
	flush := func() error {
		if len(out) == 0 && read == 0 {
			return nil
		}
		err := deliver(out, read)
		out, read = out[:0], 0
		return err
	}
	// finish records an input's end; it returns the error that stops the
	// stream, if any.
	finish := func(b *mergeBatch[T]) error {
		s.done = append(s.done, b.stats)
		if b.err != nil {
			s.err = b.err
		}
		return b.err
	}
	// next receives f's next batch with records; false at the input's end.
	next := func(f *mergeFeed[T]) (bool, error) {
		for {
			b := <-f.ch
			if len(b.times) > 0 {
				f.cur, f.pos = b, 0 // an end batch is finished when used up
				return true, nil
			}
			if b.end {
				return false, finish(b)
			}
		}
	}
	pos := 0
	for {
		for p := pos; p < len(m.order) && p < pos+prefetch; p++ {
			start(p)
		}
		for pos < len(m.order) && (len(open) == 0 || m.first[m.order[pos]] <= open[0].key()) {
			start(pos)
			f := feeds[pos]
			pos++
			ok, err := next(f)
			if err != nil {
				flush()
				stop()
				return err
			}
			if ok {
				heap.Push(&open, f)
			}
			for p := pos; p < len(m.order) && p < pos+prefetch; p++ {
				start(p)
			}
		}
		if len(open) == 0 {
			break
		}
		f := open[0]
		b := f.cur
		if i := b.slots[f.pos]; i >= 0 {
			out = append(out, b.recs[i])
		}
		read++
		f.pos++
		if f.pos == len(b.times) {
			// b is used up (its kept records were copied into out).
			var ok bool
			var err error
			end := b.end
			if end {
				err = finish(b)
			}
			recycle(b)
			if err == nil && !end {
				ok, err = next(f)
			}
			if err != nil {
				flush()
				stop()
				return err
			}
			if ok {
				heap.Fix(&open, 0)
			} else {
				heap.Pop(&open)
			}
		} else {
			heap.Fix(&open, 0)
		}
		if len(out) == cap(out) {
			if err := flush(); err != nil {
				stop()
				if s.err == nil {
					s.err = err
				}
				return err
			}
		}
	}
	err := flush()
	stop()
	return err
}

// produceMerged reads input idx and sends its records in batches on ch
// until the end, an error, or quit.
func produceMerged[T any](s *Stream, idx int, rr RecordReader, first *Record, keep func(*Record, *T) bool, ch chan<- *mergeBatch[T], sh *mergeShared[T], quit <-chan struct{}) {
	in := s.inputs[idx]
	name := in.Name()
	send := func(b *mergeBatch[T]) bool {
		select {
		case ch <- b:
			return true
		case <-quit:
			return false
		}
	}
	if rr == nil {
		var err error
		if rr, err = in.Open(s.stdin, s.opts); err != nil {
			ie := &InputError{File: name, Err: err}
			b := &mergeBatch[T]{end: true, stats: InputStats{Name: name, Err: ie}}
			if s.opts.Strict {
				b.err = ie
			}
			send(b)
			return
		}
	}
	size := 0 // of the batch being filled
	newBatch := func() *mergeBatch[T] {
		size = sh.sizing.batchLen(sh.running.Load())
		// A recycled batch much longer than wanted (from when fewer inputs
		// were open) would hold memory the budget does not count.
		if b, ok := sh.free.Get().(*mergeBatch[T]); ok && cap(b.times) <= 2*size {
			return b
		}
		return &mergeBatch[T]{
			times: make([]int64, 0, size),
			slots: make([]int32, 0, size),
			recs:  make([]T, 0, size),
		}
	}
	b := newBatch()
	var rec Record
	var zero T
	add := func(r *Record) {
		t := int64(math.MinInt64)
		if r.Has(FieldStart) {
			t = r.Start
		}
		b.times = append(b.times, t)
		// keep fills the record's place in the batch: a T of its own
		// would escape to the heap, one allocation per record.
		b.recs = append(b.recs, zero)
		if keep(r, &b.recs[len(b.recs)-1]) {
			b.slots = append(b.slots, int32(len(b.recs)-1))
		} else {
			b.recs = b.recs[:len(b.recs)-1]
			b.slots = append(b.slots, -1)
		}
	}
	if first != nil {
		add(first)
	}
	for {
		err := rr.Read(&rec)
		if err == nil {
			add(&rec)
			if len(b.times) >= size {
				if !send(b) {
					rr.Close()
					return
				}
				b = newBatch()
			}
			continue
		}
		b.end = true
		var pe *ParseError
		switch {
		case err == io.EOF:
		case errors.As(err, &pe):
			b.err = err
		default:
			ie := &InputError{File: name, Records: rr.Stats().Records, Err: err}
			b.stats.Err = ie
			if s.opts.Strict {
				b.err = ie
			}
		}
		st := inputStats(name, rr)
		if b.stats.Err != nil {
			st.Err = b.stats.Err
		}
		if cerr := rr.Close(); cerr != nil && st.Err == nil {
			st.Err = &InputError{File: name, Records: st.Records, Err: cerr}
		}
		b.stats = st
		send(b)
		return
	}
}
