package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"github.com/flowdiag/flowdiag/correlate"
	"github.com/flowdiag/flowdiag/engine"
	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/rules"
	"github.com/flowdiag/flowdiag/topology"
)

// explainParams are the settings of one `flowdiag explain` run.
type explainParams struct {
	inputs      *inputFlags
	topology    string
	ruleFiles   []string
	noBuiltin   bool
	format      string
	groupBy     []string
	examples    int
	corr        *correlationFlags
	failOn      string
	color       string
	showSupport bool
	workers     int
	cpuProfile  string
	memProfile  string
}

func runExplain(args []string, s stdio) int {
	fs := pflag.NewFlagSet("explain", pflag.ContinueOnError)
	fs.SetOutput(s.err)
	p := explainParams{inputs: addInputFlags(fs)}
	p.inputs.mergeByTime = true
	fs.StringVar(&p.topology, "topology", "", "topology: flowdiag YAML, or AWS describe-* JSON (file or directory)")
	fs.StringArrayVar(&p.ruleFiles, "rules", nil, "extra rule file (YAML); repeatable")
	fs.BoolVar(&p.noBuiltin, "no-builtin-rules", false, "use only the rules given with --rules")
	fs.StringVar(&p.format, "format", "text", "output format: text, json or markdown")
	fs.StringSliceVar(&p.groupBy, "group-by", nil, "also group by: eni, subnet, vpc, port, protocol, client, server")
	fs.IntVar(&p.examples, "examples", 3, "example conversations shown per group (text, markdown)")
	p.corr = addCorrelationFlags(fs)
	fs.StringVar(&p.failOn, "fail-on", "", "exit 1 when a diagnosis at or above this severity exists (info, warning, error, critical)")
	fs.StringVar(&p.color, "color", "auto", "colour: auto (only on a terminal, never with NO_COLOR), always, never")
	fs.IntVar(&p.workers, "workers", runtime.GOMAXPROCS(0), "goroutines parsing, correlating and diagnosing in parallel; 1 runs everything on one")
	fs.StringVar(&p.cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of the run to this file")
	fs.StringVar(&p.memProfile, "memprofile", "", "write an allocation profile (pprof) at the end of the run to this file")
	_ = fs.MarkHidden("cpuprofile")
	_ = fs.MarkHidden("memprofile")
	fs.Usage = func() {
		fmt.Fprintln(s.err, "Usage: flowdiag explain [--topology T] [--rules FILE]... [--format text|json|markdown] [filters] FILE|DIR|-...")
		fmt.Fprintln(s.err, "\nDiagnoses every blocked or suspicious conversation in the flow logs: what blocked it, where, by which rule, and the fix.")
		fmt.Fprintln(s.err, "\nFlags:")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args, s); done {
		return code
	}
	if err := p.corr.check(); err != nil {
		fmt.Fprintf(s.err, "flowdiag explain: %s\n", err)
		return exitUsage
	}
	if p.workers < 1 {
		fmt.Fprintf(s.err, "flowdiag explain: --workers: %d is not a number of workers: want 1 or more\n", p.workers)
		return exitUsage
	}
	stop, err := startProfiles(p.cpuProfile, p.memProfile)
	if err != nil {
		fmt.Fprintf(s.err, "flowdiag explain: %s\n", safeLines(err.Error()))
		return exitUsage
	}
	code, err := explain(p, fs.Args(), s)
	if perr := stop(); perr != nil && err == nil {
		err = perr
		code = exitUsage
	}
	if err != nil {
		fmt.Fprintf(s.err, "flowdiag explain: %s\n", safeLines(err.Error()))
	}
	return code
}

// loadRules returns the built-in rules (unless disabled) merged with the
// user's rule files, in that order.
func loadRules(noBuiltin bool, files []string) (*rules.Set, error) {
	var set *rules.Set
	if !noBuiltin {
		b, err := rules.LoadBuiltin()
		if err != nil {
			return nil, fmt.Errorf("built-in rules: %w", err)
		}
		set = b
	}
	for _, f := range files {
		u, err := rules.LoadFile(f)
		if err != nil {
			return nil, err
		}
		if set == nil {
			set = u
			continue
		}
		if set, err = set.Merge(u); err != nil {
			return nil, err
		}
	}
	if set == nil {
		return nil, errors.New("--no-builtin-rules needs at least one --rules file")
	}
	return set, nil
}

func explain(p explainParams, args []string, s stdio) (int, error) {
	switch p.format {
	case "text", "json", "markdown", "md":
	default:
		return exitUsage, fmt.Errorf("--format: %q is not a format: want text, json or markdown", p.format)
	}
	if p.examples < 0 {
		return exitUsage, fmt.Errorf("--examples: %d is negative: want 0 (counts only) or more", p.examples)
	}
	var groupBy []engine.GroupBy
	for _, g := range p.groupBy {
		k, err := engine.ParseGroupBy(g)
		if err != nil {
			return exitUsage, fmt.Errorf("--group-by: %v", err)
		}
		groupBy = append(groupBy, k)
	}
	var failOn rules.Severity
	if p.failOn != "" {
		if err := failOn.UnmarshalText([]byte(p.failOn)); err != nil {
			return exitUsage, fmt.Errorf("--fail-on: %v", err)
		}
	}
	colour, err := useColour(p.color, s, s.out)
	if err != nil {
		return exitUsage, err
	}
	if len(args) == 0 {
		return exitUsage, errors.New("no input: name flow log files, directories, or - for standard input")
	}
	filter, err := p.inputs.filter()
	if err != nil {
		return exitUsage, err
	}
	set, err := loadRules(p.noBuiltin, distinctFiles(p.ruleFiles, s.err, "flowdiag explain"))
	if err != nil {
		return exitUsage, err
	}
	var topo *topology.Topology
	if p.topology != "" {
		if topo, err = loadTopology(p.topology, s); err != nil {
			return exitUsage, err
		}
	}
	eng, err := engine.New(set, topo)
	if err != nil {
		return exitUsage, err
	}
	stream, err := p.inputs.open(args, s)
	if err != nil {
		return exitUsage, err
	}
	defer stream.Close()

	opts, uncorrelatable, progressDone := runOptions(s, filter, p.corr)
	if topo != nil {
		opts.Correlate.Hints = engine.Hints(topo)
	}

	out := bufio.NewWriterSize(s.out, 64<<10)
	report := engine.NewReport(groupBy, p.examples)
	worst := rules.Severity(0)
	found := false
	var jbuf []byte
	sink := func(d *engine.Diagnosis) error {
		if !found || d.Severity > worst {
			worst = d.Severity
		}
		found = true
		if p.format == "json" {
			jbuf = append(d.AppendJSON(jbuf[:0]), '\n')
			_, err := out.Write(jbuf)
			return err
		}
		report.Add(*d)
		return nil
	}
	var st engine.RunStats
	var runErr error
	if p.workers > 1 {
		popts := engine.ParallelOptions{RunOptions: opts, Workers: p.workers}
		psink := func(d *engine.Diagnosis, enc []byte) error {
			if p.format != "json" {
				return sink(d)
			}
			if !found || d.Severity > worst {
				worst = d.Severity
			}
			found = true
			if _, err := out.Write(enc); err != nil {
				return err
			}
			return out.WriteByte('\n')
		}
		if p.format == "json" {
			popts.Encode = func(d *engine.Diagnosis, buf []byte) []byte { return d.AppendJSON(buf) }
		}
		st, runErr = eng.RunParallel(stream, popts, psink)
	} else {
		st, runErr = eng.Run(stream, opts, sink)
	}
	progressDone()
	sstats := stream.Stats()
	meta := runMeta{
		inputs: args, topology: p.topology, records: st.Records, conversations: st.Conversations,
		skipped: sstats.Skipped, gaps: sstats.Gaps, rules: len(set.Rules()), failed: len(sstats.Failed),
		ruleFailures: len(st.RuleFailures), uncorrelatable: uncorrelatable.Load(),
		stopped: readStop(runErr),
	}
	switch p.format {
	case "text":
		renderText(out, report, meta, colour)
	case "markdown", "md":
		renderMarkdown(out, report, meta)
	}
	if err := out.Flush(); err != nil && runErr == nil {
		runErr = err
	}
	p.inputs.summary(s.err, sstats)
	reportUncorrelatable(s, uncorrelatable.Load())
	p.corr.report(s, st.Correlate)
	if runErr != nil {
		return exitUsage, runErr
	}
	if len(sstats.Failed) > 0 {
		return exitUsage, nil // the report and the summary name the inputs
	}
	if reportRuleFailures(s, st.RuleFailures) {
		return exitUsage, nil
	}
	if p.failOn != "" && found && worst >= failOn {
		return exitFinding, nil
	}
	return exitOK, nil
}

// runOptions returns the run options explain and review share: the
// filters (split by splitFilter, whose count of uncorrelatable records it
// returns), the correlation horizon and, on a terminal, progress. done ends
// the progress line; it is never nil.
func runOptions(s stdio, filter flowlog.Filter, corr *correlationFlags) (opts engine.RunOptions, uncorrelatable *atomic.Int64, done func()) {
	recFilter, convFilter, uncorrelatable := splitFilter(filter)
	opts = engine.RunOptions{
		Correlate:        corr.options(),
		KeepRecord:       recFilter,
		KeepConversation: convFilter,
	}
	done = func() {}
	if pr := newProgress(s); pr != nil {
		opts.Progress, opts.ProgressEvery = pr.update, 1<<18
		done = pr.done
	}
	return opts, uncorrelatable, done
}

// splitFilter applies direction-symmetric filters (address, port, protocol,
// time) to records, and filters that need the whole conversation (action,
// ENI) to conversations: keeping only the REJECT records of a conversation
// would hide the ACCEPT half that tells a NACL from a security group.
//
// Records that cannot be correlated, because the log format lacks the
// protocol, an address, or the ports of a TCP or UDP flow, are left out and
// counted in uncorrelatable (KeepRecord runs on several goroutines).
func splitFilter(f flowlog.Filter) (rec func(*flowlog.Record) bool, conv func(*correlate.Conversation) bool, uncorrelatable *atomic.Int64) {
	actions, enis := f.Actions, f.ENIs
	f.Actions, f.ENIs = nil, nil
	uncorrelatable = new(atomic.Int64)
	rec = func(r *flowlog.Record) bool {
		if !r.IsGap() && !correlatable(r) {
			uncorrelatable.Add(1)
			return false
		}
		return f.Match(r)
	}
	if len(actions) == 0 && len(enis) == 0 {
		return rec, nil, uncorrelatable
	}
	conv = func(c *correlate.Conversation) bool {
		if len(enis) > 0 {
			ok := false
			for _, e := range enis {
				if _, seen := c.View(e); seen {
					ok = true
					break
				}
			}
			if !ok {
				return false
			}
		}
		if len(actions) > 0 {
			ok := false
			for i := range c.Views {
				v := &c.Views[i]
				for _, a := range actions {
					switch a {
					case flowlog.ActionAccept:
						ok = ok || v.Request.Accept.Records > 0 || v.Reply.Accept.Records > 0
					case flowlog.ActionReject:
						ok = ok || v.Request.Reject.Records > 0 || v.Reply.Reject.Records > 0
					}
				}
			}
			if !ok {
				return false
			}
		}
		return true
	}
	return rec, conv, uncorrelatable
}

// correlatable reports whether r names a flow: protocol, both addresses and,
// for TCP and UDP, both ports. Any subset of fields is a valid custom format,
// but without these a record cannot be paired with its reply or checked
// against a rule.
func correlatable(r *flowlog.Record) bool {
	if !r.Has(flowlog.FieldProtocol) || !r.Has(flowlog.FieldSrcAddr) || !r.Has(flowlog.FieldDstAddr) {
		return false
	}
	return !r.Protocol.HasPorts() || r.Has(flowlog.FieldSrcPort) && r.Has(flowlog.FieldDstPort)
}

// reportUncorrelatable says on stderr how many records were left out for
// lack of the fields that name a flow.
func reportUncorrelatable(s stdio, n int64) {
	if n > 0 {
		fmt.Fprintf(s.err, "flowdiag: left out %s without protocol, addresses or ports (not in the log format, or \"-\"): they cannot be paired into conversations\n",
			plural(n, "record", "records"))
	}
}

// useColour decides whether text output may use ANSI colour.
func useColour(mode string, s stdio, w io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto", "":
		return s.getenv("NO_COLOR") == "" && s.tty(w), nil
	}
	return false, fmt.Errorf("--color: %q is not a colour mode: want auto, always or never", mode)
}

// progress prints a self-overwriting progress line on a terminal's stderr.
type progress struct {
	w     io.Writer
	start time.Time
}

func newProgress(s stdio) *progress {
	if !s.tty(s.err) {
		return nil
	}
	return &progress{w: s.err, start: time.Now()}
}

func (p *progress) update(n int64) {
	secs := time.Since(p.start).Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(n) / secs
	}
	fmt.Fprintf(p.w, "\r\x1b[Kflowdiag: %s records read (%s/s)", humanCount(n), humanCount(int64(rate)))
}

func (p *progress) done() { fmt.Fprint(p.w, "\r\x1b[K") }

func humanCount(n int64) string {
	switch {
	case n >= 10_000_000:
		return fmt.Sprintf("%.0fM", float64(n)/1e6)
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.0fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// runMeta describes the run for the report header.
type runMeta struct {
	inputs        []string
	topology      string
	records       int64
	conversations int64
	skipped       int64
	gaps          int64
	rules         int
	failed        int    // inputs that could not be read to their end
	stopped       string // with --strict, the bad input that stopped reading
	ruleFailures  int    // rules that failed at run time and were skipped
	// uncorrelatable counts records left out for lack of protocol,
	// addresses or ports.
	uncorrelatable int64
}

// readStop returns the message of err when an input's failure stopped
// reading (--strict): the run still diagnosed what was read before it, and
// the report must say it covers only that. It returns "" otherwise.
func readStop(err error) string {
	var pe *flowlog.ParseError
	var ie *flowlog.InputError
	if errors.As(err, &pe) || errors.As(err, &ie) {
		return err.Error()
	}
	return ""
}

// incompleteNote is the report's warning that it covers only part of the
// input, or "".
func incompleteNote(failed int, stopped, what string) string {
	switch {
	case stopped != "":
		return fmt.Sprintf("INCOMPLETE: reading stopped at a bad input (--strict): %s. The %s below cover only the records read before it.", stopped, what)
	case failed > 0:
		return fmt.Sprintf("INCOMPLETE: %s could not be read to the end (see stderr); the %s below cover only what was read.", plural(int64(failed), "input", "inputs"), what)
	}
	return ""
}

// reportRuleFailures names on stderr each rule that failed at run time and
// reports whether there was any: the run is then incomplete (exit 2).
func reportRuleFailures(s stdio, fs []engine.RuleFailure) bool {
	for _, f := range fs {
		fmt.Fprintf(s.err, "flowdiag: %s: rule %s: %s failed at run time on %s, so the rule was skipped there; first on %s:\n",
			safe(f.Pos), safe(f.Rule), safe(f.Field), plural(f.Count, "conversation", "conversations"), safe(f.Conversation))
		for _, line := range strings.Split(f.First, "\n") {
			fmt.Fprintf(s.err, "    %s\n", safe(line))
		}
	}
	return len(fs) > 0
}

func (m runMeta) inputList() string {
	if len(m.inputs) <= 3 {
		return strings.Join(m.inputs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(m.inputs[:2], ", "), len(m.inputs)-2)
}

// startProfiles starts a CPU profile into cpuFile and arranges for an
// allocation profile into memFile; the returned stop writes and closes them.
// Empty names turn a profile off.
func startProfiles(cpuFile, memFile string) (stop func() error, err error) {
	var cpu *os.File
	if cpuFile != "" {
		if cpu, err = os.Create(cpuFile); err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		if err = pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	return func() error {
		var first error
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				first = fmt.Errorf("--cpuprofile: %w", err)
			}
		}
		if memFile != "" {
			f, err := os.Create(memFile)
			if err != nil {
				return fmt.Errorf("--memprofile: %w", err)
			}
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil && first == nil {
				first = fmt.Errorf("--memprofile: %w", err)
			}
			if err := f.Close(); err != nil && first == nil {
				first = fmt.Errorf("--memprofile: %w", err)
			}
		}
		return first
	}, nil
}
