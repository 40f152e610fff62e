package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/flowdiag/flowdiag/correlate"
)

// correlationFlags are the flags that tune correlation, shared by explain
// and review.
type correlationFlags struct {
	horizon time.Duration
	maxOpen int
}

func addCorrelationFlags(fs *pflag.FlagSet) *correlationFlags {
	c := new(correlationFlags)
	fs.DurationVar(&c.horizon, "horizon", 15*time.Minute, "log time after which a quiet conversation is complete")
	fs.IntVar(&c.maxOpen, "max-open", correlate.DefaultMaxOpen,
		"conversations kept open at once (about 512 bytes each); beyond it the longest quiet are completed early, so a scan cannot exhaust memory")
	return c
}

// check validates the flags; the error names the flag.
func (c *correlationFlags) check() error {
	if c.horizon < time.Second {
		return fmt.Errorf("--horizon: %s is not a horizon: want a duration of a second or more, such as 15m", c.horizon)
	}
	if c.maxOpen < 1000 {
		return fmt.Errorf("--max-open: %d is too few conversations to correlate a VPC's traffic: want 1000 or more", c.maxOpen)
	}
	return nil
}

func (c *correlationFlags) options() correlate.Options {
	return correlate.Options{Horizon: int64(c.horizon / time.Second), MaxOpen: c.maxOpen}
}

// report says on stderr when the bound on open conversations cut in: the
// diagnoses are still right for the conversations as emitted, but one cut
// early and continued later is diagnosed as two.
func (c *correlationFlags) report(s stdio, st correlate.Stats) {
	if st.Evicted == 0 {
		return
	}
	fmt.Fprintf(s.err, "flowdiag: more than %s conversations were open at once (a scan or a flood?): %s completed before the %s horizon, the longest quiet first, to bound memory; a later record of one starts a new conversation (--max-open raises the bound)\n",
		commas(int64(c.maxOpen)), plural(st.Evicted, "was", "were"), c.horizon)
}
