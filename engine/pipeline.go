package engine

import (
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/flowdiag/flowdiag/correlate"
	"github.com/flowdiag/flowdiag/flowlog"
)

// RecordSource yields records; flowlog.Stream is one. Read returns io.EOF at
// the end.
type RecordSource interface {
	Read(rec *flowlog.Record) error
}

// RunOptions configure Run.
type RunOptions struct {
	Correlate correlate.Options
	// KeepRecord drops records before correlation when it returns false
	// (address, port, protocol and time filters). Gap records should be kept
	// for the ENIs of interest, since they qualify the evidence.
	KeepRecord func(*flowlog.Record) bool
	// KeepConversation drops conversations before diagnosis when it returns
	// false (filters that need the whole conversation: action, ENI).
	KeepConversation func(*correlate.Conversation) bool
	// Progress, when set, is called every ProgressEvery records read.
	Progress      func(records int64)
	ProgressEvery int64
}

// RunStats counts what a run saw.
type RunStats struct {
	Records       int64 // records read
	Kept          int64 // records given to correlation
	Conversations int64
	Diagnosed     int64
	Correlate     correlate.Stats
	// RuleFailures lists the rules that failed at run time, with how many
	// conversations they were skipped on; sorted by rule id.
	RuleFailures []RuleFailure
}

func sortFailures(fs []RuleFailure) []RuleFailure {
	slices.SortFunc(fs, func(a, b RuleFailure) int { return strings.Compare(a.Rule, b.Rule) })
	return fs
}

// Run reads every record of src, correlates them into conversations and
// diagnoses each, handing every diagnosis to sink in the order conversations
// complete. A sink error stops the run and is returned. A read error (an
// input failing in strict mode) stops reading and is returned too, after
// the conversations read before it are diagnosed: nothing read is lost.
func (e *Engine) Run(src RecordSource, opts RunOptions, sink func(*Diagnosis) error) (RunStats, error) {
	var st RunStats
	w := e.NewWorker()
	var sinkErr error
	corr := correlate.New(opts.Correlate, func(c *correlate.Conversation) {
		if sinkErr != nil {
			return
		}
		st.Conversations++
		if opts.KeepConversation != nil && !opts.KeepConversation(c) {
			return
		}
		d, ok := w.Diagnose(c)
		if !ok {
			return
		}
		st.Diagnosed++
		if err := sink(&d); err != nil {
			sinkErr = err
		}
	})
	every := opts.ProgressEvery
	if every <= 0 {
		every = 1 << 20
	}
	var rec flowlog.Record
	var readErr error
	for sinkErr == nil {
		err := src.Read(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		st.Records++
		if opts.Progress != nil && st.Records%every == 0 {
			opts.Progress(st.Records)
		}
		if opts.KeepRecord != nil && !opts.KeepRecord(&rec) {
			continue
		}
		st.Kept++
		corr.Add(&rec)
	}
	if sinkErr == nil {
		corr.Flush()
	}
	st.Correlate = corr.Stats()
	st.RuleFailures = sortFailures(w.Failures())
	if sinkErr != nil {
		return st, sinkErr
	}
	return st, readErr
}
