// Command flowdiag tells why traffic in an AWS VPC was blocked, and by which
// security group or network ACL rule, from VPC Flow Logs and the VPC's
// topology.
package main

import (
	"fmt"
	"github.com/flowdiag/flowdiag/internal/suggest"
	"io"
	"os"
	"runtime/debug"
	"sort"
)

// Exit statuses shared by every subcommand.
const (
	exitOK      = 0 // success; for explain/why/review: nothing found at or above the threshold
	exitFinding = 1 // why: something blocks; review: a finding at or above --fail-on
	exitUsage   = 2 // bad flags, bad input, unreadable files
)

// stdio carries the process's standard streams and environment into a
// subcommand, so tests can run subcommands against buffers.
type stdio struct {
	in     io.Reader
	out    io.Writer
	err    io.Writer
	getenv func(string) string
	// isTTY reports whether the writer is an interactive terminal; tests
	// leave it nil (never a terminal).
	isTTY func(w io.Writer) bool
}

func (s stdio) tty(w io.Writer) bool { return s.isTTY != nil && s.isTTY(w) }

type command struct {
	summary string
	run     func(args []string, s stdio) int
}

func commands() map[string]command {
	return map[string]command{
		"records":  {"print normalized flow log records, filtered", runRecords},
		"explain":  {"diagnose blocked conversations: which SG or NACL rule, and the fix", runExplain},
		"why":      {"what-if: walk one packet and its reply through every SG and NACL check", runWhy},
		"topology": {"topology import: convert AWS describe-* JSON into flowdiag's YAML", runTopology},
		"rules":    {"list, test and lint diagnosis rules", runRules},
		"review":   {"security review: traffic and rules reaching prohibited destinations", runReview},
	}
}

// defaultMemoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT
// is set: the garbage collector then works harder near it instead of letting
// the heap double, so peak memory stays flat however long the input (a
// 30M-record dump peaks at the same ~500 MB as a 10M one). It is soft: a
// run that needs more still gets it.
const defaultMemoryLimit = 256 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	os.Exit(run(os.Args[1:], stdio{
		in: os.Stdin, out: os.Stdout, err: os.Stderr,
		getenv: os.Getenv, isTTY: isTerminal,
	}))
}

func run(args []string, s stdio) int {
	if s.getenv == nil {
		s.getenv = func(string) string { return "" }
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(s.err)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(s.err, "flowdiag: unknown command %q%s\n\n", args[0], didYouMean(args[0]))
		usage(s.err)
		return exitUsage
	}
	return cmd.run(args[1:], s)
}

// didYouMean names the command closest to a mistyped one, when one is
// close: ` (did you mean "explain"?)`.
func didYouMean(name string) string {
	best, bestD := "", 3
	for c := range commands() {
		if d := suggest.Distance(name, c); d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "flowdiag: why was this VPC traffic blocked, and by which rule?")
	fmt.Fprintln(w, "\nUsage: flowdiag <command> [flags] [args]\n\nCommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'flowdiag <command> --help' for a command's flags.")
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
