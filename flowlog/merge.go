package flowlog

import (
	"container/heap"
	"errors"
	"io"
	"math"
	"slices"
)

// merger reads a Stream's inputs in time order: a k-way merge on record
// start over the inputs that are open, where an input is opened only when
// the merge reaches the start of its first record. Inputs cut by time (an S3
// series) are so read one after the other, and inputs cut by ENI (one
// CloudWatch stream per file) are read side by side, as the traffic was.
type merger struct {
	first []int64 // start of each input's first record (math.MinInt64: none, or unreadable)
	order []int   // input indexes by (first, index)
	next  int     // next position in order to open
	open  srcHeap
	last  *mergeSrc // source of the record Read returned last; advanced at the next Read

	// Standard input cannot be opened twice: the reader of the peek is kept.
	stdinRR  RecordReader
	stdinRec Record
	stdinOK  bool
}

type mergeSrc struct {
	idx int // input index
	seq int // position in the merger's order: ties go to the earlier input
	rr  RecordReader
	rec Record
}

// key is the merge time of a source's current record: its start, or, for
// formats without start, the earliest time, so such inputs are read in order.
func (m *mergeSrc) key() int64 {
	if m.rec.Has(FieldStart) {
		return m.rec.Start
	}
	return math.MinInt64
}

type srcHeap []*mergeSrc

func (h srcHeap) Len() int { return len(h) }
func (h srcHeap) Less(i, j int) bool {
	if a, b := h[i].key(), h[j].key(); a != b {
		return a < b
	}
	return h[i].seq < h[j].seq
}
func (h srcHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *srcHeap) Push(x any)   { *h = append(*h, x.(*mergeSrc)) }
func (h *srcHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// peek learns the start of every input's first record. Each input is opened
// and closed again (but standard input, which stays open); one that cannot be
// opened or holds no record sorts first, so its failure or emptiness is
// reported in place.
func (s *Stream) peek() *merger {
	m := &merger{first: make([]int64, len(s.inputs))}
	var rec Record
	for i, in := range s.inputs {
		m.first[i] = math.MinInt64
		rr, err := in.Open(s.stdin, s.opts)
		if err != nil {
			continue
		}
		var t int64
		var ok bool
		for {
			err := rr.Read(&rec)
			if err != nil {
				break
			}
			ok = true
			if rec.Has(FieldStart) {
				t = rec.Start
			} else {
				t = math.MinInt64
			}
			break
		}
		if ok {
			m.first[i] = t
		}
		if in.Path == "-" {
			m.stdinRR, m.stdinRec, m.stdinOK = rr, rec, ok
			rec = Record{}
			continue
		}
		rr.Close()
	}
	m.order = make([]int, len(s.inputs))
	for i := range m.order {
		m.order[i] = i
	}
	slices.SortStableFunc(m.order, func(a, b int) int {
		switch {
		case m.first[a] < m.first[b]:
			return -1
		case m.first[a] > m.first[b]:
			return 1
		}
		return 0
	})
	return m
}

// readMerged is Read over inputs merged by time.
func (s *Stream) readMerged(rec *Record) error {
	if s.merge == nil {
		s.merge = s.peek()
	}
	m := s.merge
	if src := m.last; src != nil {
		m.last = nil
		if err := s.advance(src); err != nil {
			return err
		}
	}
	for m.next < len(m.order) {
		j := m.order[m.next]
		if len(m.open) > 0 && m.first[j] > m.open[0].key() {
			break
		}
		seq := m.next
		m.next++
		if err := s.activate(j, seq); err != nil {
			return err
		}
	}
	if len(m.open) == 0 {
		return io.EOF
	}
	src := heap.Pop(&m.open).(*mergeSrc)
	*rec = src.rec // src is read again only at the next Read, so rec.Extra stays valid until then
	m.last = src
	return nil
}

// activate opens input j and reads its first record.
func (s *Stream) activate(j, seq int) error {
	m := s.merge
	in := s.inputs[j]
	src := &mergeSrc{idx: j, seq: seq}
	if in.Path == "-" && m.stdinRR != nil {
		src.rr, m.stdinRR = m.stdinRR, nil
		if m.stdinOK {
			src.rec = m.stdinRec
			heap.Push(&m.open, src)
			return nil
		}
		return s.advance(src) // the peek met an error or the end: meet it again
	}
	rr, err := in.Open(s.stdin, s.opts)
	if err != nil {
		ie := &InputError{File: in.Name(), Err: err}
		s.done = append(s.done, InputStats{Name: in.Name(), Err: ie})
		if s.opts.Strict {
			s.err = ie
			return ie
		}
		return nil // in Stats().Failed for the caller's summary
	}
	src.rr = rr
	return s.advance(src)
}

// advance reads the next record of src and puts it back in the merge, or
// finishes the input at its end or on an error.
func (s *Stream) advance(src *mergeSrc) error {
	err := src.rr.Read(&src.rec)
	if err == nil {
		heap.Push(&s.merge.open, src)
		return nil
	}
	name := s.inputs[src.idx].Name()
	if err == io.EOF {
		s.finishReader(name, src.rr, nil)
		return nil
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		s.finishReader(name, src.rr, nil)
		s.err = err
		return err
	}
	ie := &InputError{File: name, Records: src.rr.Stats().Records, Err: err}
	s.finishReader(name, src.rr, ie)
	if s.opts.Strict {
		s.err = ie
		return ie
	}
	return nil
}

// openStats returns the stats of the inputs still open in the merge.
func (m *merger) openStats(inputs []Input) []InputStats {
	if m == nil {
		return nil
	}
	srcs := append([]*mergeSrc(nil), m.open...)
	if m.last != nil {
		srcs = append(srcs, m.last)
	}
	slices.SortFunc(srcs, func(a, b *mergeSrc) int { return a.seq - b.seq })
	var out []InputStats
	for _, src := range srcs {
		out = append(out, inputStats(inputs[src.idx].Name(), src.rr))
	}
	return out
}

// closeMerged closes every input still open in the merge.
func (s *Stream) closeMerged() error {
	m := s.merge
	var first error
	srcs := append([]*mergeSrc(nil), m.open...)
	if m.last != nil {
		srcs = append(srcs, m.last)
	}
	slices.SortFunc(srcs, func(a, b *mergeSrc) int { return a.seq - b.seq })
	for _, src := range srcs {
		st := inputStats(s.inputs[src.idx].Name(), src.rr)
		if err := src.rr.Close(); err != nil && first == nil {
			first = err
		}
		s.done = append(s.done, st)
	}
	if m.stdinRR != nil {
		m.stdinRR.Close()
		m.stdinRR = nil
	}
	m.open, m.last = nil, nil
	m.next = len(m.order)
	s.next = len(s.inputs)
	return first
}
