package engine

import (
	"errors"
	"sync"

	"github.com/flowdiag/flowdiag/correlate"
	"github.com/flowdiag/flowdiag/flowlog"
)

// ParallelOptions configure RunParallel.
type ParallelOptions struct {
	RunOptions
	// Workers is the number of goroutines parsing and, separately, the
	// number diagnosing; less than 1 means 1.
	Workers int
	// Encode, when set, runs on a diagnosing goroutine for every diagnosis
	// (appending, say, its JSON form to buf); the bytes it returns are
	// handed to the sink with the diagnosis.
	Encode func(d *Diagnosis, buf []byte) []byte
}

// convBatch is how many conversations a diagnosing worker takes at once.
const convBatch = 256

// RunParallel is Run over a stream, using several goroutines: the stream's
// inputs are parsed in parallel (flowlog.ReadParallel; the record filter
// runs there too), one goroutine correlates (so conversations, and the
// order in which they complete, are exactly Run's), and batches of
// completed conversations are built (correlate.NewDeferred) and diagnosed
// by Workers goroutines, each with its own rule evaluator. sink is called
// on one goroutine, in the order Run would call it, whatever the
// scheduling; encoded is what opts.Encode returned for d (nil without
// Encode) and is valid only during the call.
// Correlation is not partitioned: a Correlator learns each ENI's own
// address from all of that ENI's records, which a split by conversation key
// would scatter over partitions and so change roles and gaps.
func (e *Engine) RunParallel(s *flowlog.Stream, opts ParallelOptions, sink func(d *Diagnosis, encoded []byte) error) (RunStats, error) {
	var st RunStats
	workers := max(opts.Workers, 1)
	every := opts.ProgressEvery
	if every <= 0 {
		every = 1 << 20
	}

	p := &diagPipe{
		bufs:   make(chan []byte, 2*workers+4),
		eng:    e,
		opts:   &opts,
		work:   make(chan *diagJob, workers),
		order:  make(chan *diagJob, 2*workers+2),
		stop:   make(chan struct{}),
		sink:   sink,
		stats:  &st,
		outErr: make(chan error, 1),
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.diagnose()
		}()
	}
	go p.output()

	batch := p.newJob()
	// The correlator hands completed conversations over unbuilt: the
	// diagnosing workers build them, off the one goroutine that correlates.
	corr := correlate.NewDeferred(opts.Correlate, func(c *correlate.Pending) {
		st.Conversations++
		batch.convs = append(batch.convs, c)
		if len(batch.convs) == convBatch {
			p.send(batch)
			batch = p.newJob()
		}
	})
	errStopped := errors.New("stopped")
	keep := func(r *flowlog.Record, x *correlate.Rec) bool {
		if opts.KeepRecord != nil && !opts.KeepRecord(r) {
			return false
		}
		x.Set(r)
		return true
	}
	readErr := flowlog.ReadParallel(s, workers, keep, func(recs []correlate.Rec, read int64) error {
		select {
		case <-p.stop:
			return errStopped
		default:
		}
		if opts.Progress != nil && (st.Records+read)/every > st.Records/every {
			opts.Progress((st.Records + read) / every * every)
		}
		st.Records += read
		st.Kept += int64(len(recs))
		corr.AddRecs(recs)
		return nil
	})
	stopped := false
	select {
	case <-p.stop:
		stopped = true
	default:
	}
	// After a read error (strict mode) the conversations read before it
	// are diagnosed all the same: nothing read is lost.
	if !stopped && !errors.Is(readErr, errStopped) {
		corr.Flush()
	}
	if len(batch.convs) > 0 {
		p.send(batch)
	}
	close(p.work)
	wg.Wait()
	close(p.order)
	outErr := <-p.outErr
	st.Correlate = corr.Stats()
	st.RuleFailures = sortFailures(p.failures)
	switch {
	case outErr != nil:
		return st, outErr
	case readErr != nil && !errors.Is(readErr, errStopped):
		return st, readErr
	}
	return st, nil
}

type diagPipe struct {
	eng    *Engine
	opts   *ParallelOptions
	work   chan *diagJob
	order  chan *diagJob
	stop   chan struct{} // closed when the sink or a diagnosis failed
	once   sync.Once
	sink   func(*Diagnosis, []byte) error
	stats  *RunStats // Diagnosed is counted by the output goroutine
	outErr chan error
	// bufs returns encoding buffers from the output goroutine, once their
	// bytes are written, to the diagnosing workers: a job's encodings
	// are a few hundred kilobytes, grown by doubling from nothing otherwise.
	bufs chan []byte

	failMu   sync.Mutex
	failures []RuleFailure // merged from every worker when it ends
}

// diagJob is a batch of completed conversations, in completion order, and
// what diagnosing them gave.
type diagJob struct {
	convs []*correlate.Pending
	diags []Diagnosis
	ends  []int // diags[i]'s encoding is enc[ends[i-1]:ends[i]]
	enc   []byte
	done  chan struct{}
}

func (p *diagPipe) newJob() *diagJob {
	return &diagJob{convs: make([]*correlate.Pending, 0, convBatch), done: make(chan struct{})}
}

func (p *diagPipe) halt() { p.once.Do(func() { close(p.stop) }) }

// send queues a batch for a worker and, in order, for the output.
func (p *diagPipe) send(j *diagJob) {
	select {
	case p.order <- j:
	case <-p.stop:
		return
	}
	select {
	case p.work <- j:
	case <-p.stop:
	}
}

func (p *diagPipe) diagnose() {
	w := p.eng.NewWorker()
	defer func() {
		p.failMu.Lock()
		p.failures = MergeFailures(p.failures, w.Failures())
		p.failMu.Unlock()
	}()
	for j := range p.work {
		if p.opts.Encode != nil {
			select {
			case b := <-p.bufs:
				j.enc = b[:0]
			default:
			}
		}
		for _, pc := range j.convs {
			c := pc.Build()
			if p.opts.KeepConversation != nil && !p.opts.KeepConversation(c) {
				continue
			}
			d, ok := w.Diagnose(c)
			if !ok {
				continue
			}
			j.diags = append(j.diags, d)
			if p.opts.Encode != nil {
				j.enc = p.opts.Encode(&j.diags[len(j.diags)-1], j.enc)
				j.ends = append(j.ends, len(j.enc))
			}
		}
		j.convs = nil
		close(j.done)
	}
}

// output hands the diagnoses to the sink in order.
func (p *diagPipe) output() {
	var err error
	for j := range p.order {
		if err != nil {
			continue // drain
		}
		select {
		case <-j.done:
		case <-p.stop:
			continue
		}
		for i := range j.diags {
			var enc []byte
			if p.opts.Encode != nil {
				from := 0
				if i > 0 {
					from = j.ends[i-1]
				}
				enc = j.enc[from:j.ends[i]]
			}
			p.stats.Diagnosed++
			if err = p.sink(&j.diags[i], enc); err != nil {
				break
			}
		}
		if j.enc != nil {
			select {
			case p.bufs <- j.enc[:0]:
			default:
			}
			j.enc = nil
		}
		if err != nil {
			p.halt()
		}
	}
	p.outErr <- err
}
