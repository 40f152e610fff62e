package correlate

import "sync"

// Pending is an emitted conversation not yet built into its Conversation
// (see NewDeferred). It holds a copy of all it needs, so Build may run on
// any goroutine while the Correlator goes on.
type Pending struct {
	cv   *conv
	gaps []Gap
	srcs []string // the Correlator's source names when emitted; only appended to since
	fin  *finisher
	out  *Conversation
	fan  [2]FanOut // of the key's low and high address
}

// Build returns the Conversation. The first call builds it; later calls
// return the same one.
func (p *Pending) Build() *Conversation {
	if p.out == nil {
		p.out = p.fin.finish(p.cv, p.srcs, p.gaps, p.fan)
		p.fin.recycle(p.cv)
		p.cv, p.gaps, p.srcs = nil, nil, nil
	}
	return p.out
}

// finisher is what building a conversation reads besides the conversation:
// the topology's hints, which never change, and a pool of conv buffers
// shared by the Correlator and the goroutines that build.
type finisher struct {
	hints Hints
	owner OwnerHints
	convs sync.Pool // *conv, reset
}

// newConv returns a cleared conversation, reusing a built one's memory when
// there is one.
func (f *finisher) newConv() *conv {
	if cv, ok := f.convs.Get().(*conv); ok {
		return cv
	}
	cv := &conv{}
	cv.views = cv.inline[:0]
	return cv
}

// recycle clears a built conversation for reuse.
func (f *finisher) recycle(cv *conv) {
	cv.reset()
	f.convs.Put(cv)
}
