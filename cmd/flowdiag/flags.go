package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/flowdiag/flowdiag/internal/suggest"
	"github.com/flowdiag/flowdiag/topology"
	"github.com/spf13/pflag"
)

// newFlagSet returns the flag set of a subcommand. Its help prints usage (a
// synopsis line, then any paragraphs about the command) and the flags.
func newFlagSet(name string, s stdio, usage string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(s.err)
	fs.Usage = func() {
		fmt.Fprintln(s.err, strings.TrimSpace(usage))
		fmt.Fprintln(s.err, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args. When done is true the command must return code at
// once: --help was asked for (exitOK; usage printed) or a flag was bad
// (exitUsage; the problem printed, with the closest flag when one was
// mistyped). pflag prints nothing itself under ContinueOnError.
func parseFlags(fs *pflag.FlagSet, args []string, s stdio) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return exitOK, false
	case errors.Is(err, pflag.ErrHelp):
		return exitOK, true
	}
	fmt.Fprintf(s.err, "flowdiag %s: %s%s\nRun 'flowdiag %s --help' for its flags.\n", fs.Name(), err, flagSuggestion(fs, err), fs.Name())
	return exitUsage, true
}

// flagSuggestion names the defined flag closest to an unknown one:
// ` (did you mean --topology?)`, or "" when none is close.
func flagSuggestion(fs *pflag.FlagSet, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return ""
	}
	best, bestD := "", 3
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if d := suggest.Distance(name, f.Name); d < bestD || d == bestD && f.Name < best {
			best, bestD = f.Name, d
		}
	})
	if best == "" {
		return ""
	}
	return " (did you mean --" + best + "?)"
}

// loadTopology loads the --topology argument (YAML, AWS JSON file or
// directory) and prints its warnings, such as rules that reference security
// groups the topology does not hold, on stderr.
func loadTopology(path string, s stdio) (*topology.Topology, error) {
	t, err := topology.Load(path)
	if err != nil {
		return nil, err
	}
	for _, w := range t.Warnings() {
		fmt.Fprintf(s.err, "flowdiag: topology warning: %s\n", safe(w))
	}
	return t, nil
}
