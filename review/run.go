package review

import (
	"github.com/flowdiag/flowdiag/engine"
	"github.com/flowdiag/flowdiag/flowlog"
)

// Run streams the records of src through the engine with the compiled
// rules (correlation, facts, rule evaluation, exactly as flowdiag explain
// does) and hands every traffic finding to sink as its conversation
// completes. opts.Correlate.Hints is set from the topology when unset.
func (c *Compiled) Run(src engine.RecordSource, opts engine.RunOptions, sink func(*Finding) error) (engine.RunStats, error) {
	eng, err := engine.New(c.Set, c.topo)
	if err != nil {
		return engine.RunStats{}, err
	}
	if opts.Correlate.Hints == nil && c.topo != nil {
		opts.Correlate.Hints = engine.Hints(c.topo)
	}
	return eng.Run(src, opts, func(d *engine.Diagnosis) error {
		for _, f := range c.findingsFrom(d) {
			if err := sink(&f); err != nil {
				return err
			}
		}
		return nil
	})
}

// RunParallel is Run over a stream with engine.RunParallel: inputs parsed
// and conversations diagnosed on workers goroutines each, correlation on
// one. Findings reach sink on one goroutine in exactly Run's order.
func (c *Compiled) RunParallel(s *flowlog.Stream, opts engine.RunOptions, workers int, sink func(*Finding) error) (engine.RunStats, error) {
	eng, err := engine.New(c.Set, c.topo)
	if err != nil {
		return engine.RunStats{}, err
	}
	if opts.Correlate.Hints == nil && c.topo != nil {
		opts.Correlate.Hints = engine.Hints(c.topo)
	}
	popts := engine.ParallelOptions{RunOptions: opts, Workers: workers}
	return eng.RunParallel(s, popts, func(d *engine.Diagnosis, _ []byte) error {
		for _, f := range c.findingsFrom(d) {
			if err := sink(&f); err != nil {
				return err
			}
		}
		return nil
	})
}
