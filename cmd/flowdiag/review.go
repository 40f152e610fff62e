package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/flowdiag/flowdiag/engine"
	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/review"
	"github.com/flowdiag/flowdiag/rules"
	"github.com/flowdiag/flowdiag/topology"
)

// reviewParams are the settings of one `flowdiag review` run.
type reviewParams struct {
	inputs   *inputFlags
	policy   string
	topology string
	format   string
	failOn   string
	now      string
	corr     *correlationFlags
	color    string
	workers  int
}

const reviewUsage = `
Usage: flowdiag review --policy FILE [--topology T] [--format text|json|markdown|sarif] [--fail-on SEV] [filters] [FILE|DIR|-...]

Reports traffic that reached (or tried to reach) destinations the policy prohibits, and, with a topology,
every security group rule and network ACL entry that would let it, with the narrowest fix (docs/review.md).`

func runReview(args []string, s stdio) int {
	fs := newFlagSet("review", s, reviewUsage)
	p := reviewParams{inputs: addInputFlags(fs)}
	p.inputs.mergeByTime = true
	fs.StringVar(&p.policy, "policy", "", "review policy: prohibited destinations and exceptions (YAML; see docs/review.md)")
	fs.StringVar(&p.topology, "topology", "", "topology: flowdiag YAML, or AWS describe-* JSON (file or directory); enables the rule analysis")
	fs.StringVar(&p.format, "format", "text", "output format: text, json (one finding per line), markdown or sarif")
	fs.StringVar(&p.failOn, "fail-on", "error", "exit 1 when an unsuppressed finding at or above this severity exists (info, warning, error, critical)")
	fs.StringVar(&p.now, "now", "", "review time for exception expiry: YYYY-MM-DD or RFC 3339 (default: the current time)")
	p.corr = addCorrelationFlags(fs)
	fs.StringVar(&p.color, "color", "auto", "colour: auto (only on a terminal, never with NO_COLOR), always, never")
	fs.IntVar(&p.workers, "workers", runtime.GOMAXPROCS(0), "goroutines parsing and evaluating in parallel (the output is the same); 1 runs everything on one")
	if code, done := parseFlags(fs, args, s); done {
		return code
	}
	if p.workers < 1 {
		fmt.Fprintf(s.err, "flowdiag review: --workers: %d is not a number of workers: want 1 or more\n", p.workers)
		return exitUsage
	}
	code, err := reviewCmd(p, fs.Args(), s)
	if err != nil {
		fmt.Fprintf(s.err, "flowdiag review: %s\n", safeLines(err.Error()))
	}
	return code
}

// parseNow reads --now: a date (midnight UTC) or an RFC 3339 time.
func parseNow(v string) (time.Time, error) {
	if v == "" {
		return time.Now().UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--now: %q is not a time: want YYYY-MM-DD or RFC 3339 (2026-11-22T12:00:00Z)", v)
	}
	return t.UTC(), nil
}

// reviewSummary counts what a review found.
type reviewSummary struct {
	policy, topology string
	inputs           []string
	now              time.Time
	records          int64
	conversations    int64
	skipped          int64
	failed           int    // inputs that could not be read to their end
	stopped          string // with --strict, the bad input that stopped reading
	subnetsUnmatched bool   // subnet sources, no topology, no record with subnet-id
	ruleFailures     []engine.RuleFailure
}

func reviewCmd(p reviewParams, args []string, s stdio) (int, error) {
	if err := p.corr.check(); err != nil {
		return exitUsage, err
	}
	switch p.format {
	case "text", "json", "markdown", "md", "sarif":
	default:
		return exitUsage, fmt.Errorf("--format: %q is not a format: want text, json, markdown or sarif", p.format)
	}
	failOn, err := rules.ParseSeverity(p.failOn)
	if err != nil {
		return exitUsage, fmt.Errorf("--fail-on: %v", err)
	}
	now, err := parseNow(p.now)
	if err != nil {
		return exitUsage, err
	}
	colour, err := useColour(p.color, s, s.out)
	if err != nil {
		return exitUsage, err
	}
	if p.policy == "" {
		return exitUsage, errors.New("--policy is required: the YAML file of prohibited destinations (see docs/review.md)")
	}
	if len(args) == 0 && p.topology == "" {
		return exitUsage, errors.New("nothing to review: name flow log files, directories or - for standard input, and/or give --topology")
	}
	filter, err := p.inputs.filter()
	if err != nil {
		return exitUsage, err
	}
	pol, err := review.LoadFile(p.policy)
	if err != nil {
		return exitUsage, err
	}
	var topo *topology.Topology
	if p.topology != "" {
		if topo, err = loadTopology(p.topology, s); err != nil {
			return exitUsage, err
		}
	}
	comp, err := review.Compile(pol, topo, now)
	if err != nil {
		return exitUsage, err
	}

	sum := reviewSummary{policy: p.policy, topology: p.topology, inputs: args, now: now}
	out := bufio.NewWriterSize(s.out, 64<<10)
	// JSON lines stream each conversation's findings as it completes; the
	// other formats merge the conversations of one source and destination
	// (review.Collector), so memory follows distinct pairs.
	var coll review.Collector
	worst, found := rules.SeverityInfo, false
	note := func(f *review.Finding) {
		if f.Counts() && (!found || f.Severity > worst) {
			worst, found = f.Severity, true
		}
	}
	emit := func(f *review.Finding) error {
		note(f)
		if p.format != "json" {
			coll.Add(*f)
			return nil
		}
		b, err := json.Marshal(f)
		if err != nil {
			return err
		}
		out.Write(b)
		return out.WriteByte('\n')
	}
	var readErr error // a bad input that stopped reading (--strict)
	if len(args) > 0 {
		stream, err := p.inputs.open(args, s)
		if err != nil {
			return exitUsage, err
		}
		defer stream.Close()
		opts, uncorrelatable, progressDone := runOptions(s, filter, p.corr)
		defer progressDone()
		// Without a topology, a subnet source matches only records that
		// carry subnet-id: note whether any did.
		subnetSources := topo == nil && policyUsesSubnets(pol)
		var sawSubnetID atomic.Bool
		if subnetSources {
			keep := opts.KeepRecord
			opts.KeepRecord = func(r *flowlog.Record) bool {
				if !r.IsGap() && r.Has(flowlog.FieldSubnetID) && !sawSubnetID.Load() {
					sawSubnetID.Store(true)
				}
				return keep == nil || keep(r)
			}
		}
		var st engine.RunStats
		if p.workers > 1 {
			st, err = comp.RunParallel(stream, opts, p.workers, emit)
		} else {
			st, err = comp.Run(stream, opts, emit)
		}
		sstats := stream.Stats()
		sum.records, sum.conversations, sum.skipped = st.Records, st.Conversations, sstats.Skipped
		sum.failed = len(sstats.Failed)
		sum.ruleFailures = st.RuleFailures
		sum.subnetsUnmatched = subnetSources && !sawSubnetID.Load() && st.Records > 0
		p.inputs.summary(s.err, sstats)
		reportUncorrelatable(s, uncorrelatable.Load())
		p.corr.report(s, st.Correlate)
		// A bad input under --strict stops reading, but what was read
		// before it is reported (marked incomplete), then the error.
		if sum.stopped = readStop(err); err != nil && sum.stopped == "" {
			out.Flush()
			return exitUsage, err
		}
		readErr = err
	}
	rest := append(comp.Analyze(), comp.PolicyFindings()...)
	review.Sort(rest)
	for i := range rest {
		if err := emit(&rest[i]); err != nil {
			return exitUsage, err
		}
	}
	findings := coll.Findings()
	switch p.format {
	case "sarif":
		if err := review.WriteSARIF(out, pol, findings, "dev"); err != nil {
			return exitUsage, err
		}
	case "markdown", "md":
		renderReviewMarkdown(out, findings, sum)
	case "text":
		renderReviewText(out, findings, sum, colour)
	}
	if err := out.Flush(); err != nil {
		return exitUsage, err
	}
	if readErr != nil {
		return exitUsage, fmt.Errorf("%w (the review is incomplete)", readErr)
	}
	if reportRuleFailures(s, sum.ruleFailures) {
		return exitUsage, errors.New("the review is incomplete: a policy condition failed at run time")
	}
	if sum.subnetsUnmatched {
		// A gate must not pass on prohibitions it could not evaluate.
		return exitUsage, errors.New("the review is incomplete: the policy selects sources by subnet, but no record carries subnet-id (the default format has none) and no --topology maps addresses to subnets; give --topology, or logs in a format with ${subnet-id}")
	}
	if sum.failed > 0 {
		// A gate must not pass on logs it could not read.
		return exitUsage, fmt.Errorf("%s could not be read to the end: the review is incomplete", plural(int64(sum.failed), "input", "inputs"))
	}
	if found && worst >= failOn {
		return exitFinding, nil
	}
	return exitOK, nil
}

// reviewGroups splits findings into what needs action, the attempts the
// controls stopped, and what exceptions cover.
func reviewGroups(fs []review.Finding) (open, blocked, suppressed []*review.Finding) {
	for i := range fs {
		f := &fs[i]
		switch {
		case f.Suppressed != nil:
			suppressed = append(suppressed, f)
		case f.Kind == review.KindBlocked:
			blocked = append(blocked, f)
		default:
			open = append(open, f)
		}
	}
	return open, blocked, suppressed
}

func kindWords(k review.Kind) string {
	switch k {
	case review.KindReached:
		return "traffic reached"
	case review.KindBlocked:
		return "attempt blocked"
	case review.KindRulePermits:
		return "rule permits"
	case review.KindExpired:
		return "exception expired"
	case review.KindUnenforceable:
		return "not enforceable"
	}
	return string(k)
}

func findingEvidence(f *review.Finding, max int) string {
	ev := f.Evidence
	more := f.MoreEvidence
	if len(ev) > max {
		more += len(ev) - max
		ev = ev[:max]
	}
	s := strings.Join(ev, ", ")
	if more > 0 {
		s += fmt.Sprintf(" +%d", more)
	}
	return s
}

func (r reviewSummary) header() string {
	var parts []string
	parts = append(parts, "policy "+r.policy)
	if len(r.inputs) > 0 {
		parts = append(parts, plural(r.records, "record", "records")+" from "+runMeta{inputs: r.inputs}.inputList())
	}
	if r.topology != "" {
		parts = append(parts, "topology "+r.topology)
	} else {
		parts = append(parts, "no topology (no rule analysis)")
	}
	parts = append(parts, "review time "+r.now.Format("2006-01-02 15:04 UTC"))
	return strings.Join(parts, ", ")
}

func countLine(open, blocked, suppressed []*review.Finding) string {
	bySev := map[rules.Severity]int{}
	for _, f := range open {
		bySev[f.Severity]++
	}
	var sev []string
	for s := rules.SeverityCritical; ; s-- {
		if n := bySev[s]; n > 0 {
			sev = append(sev, fmt.Sprintf("%d %s", n, s))
		}
		if s == rules.SeverityInfo {
			break
		}
	}
	line := plural(int64(len(open)), "finding", "findings")
	if len(sev) > 0 {
		line += " (" + strings.Join(sev, ", ") + ")"
	}
	return line + ", " + plural(int64(len(blocked)), "blocked attempt", "blocked attempts") + ", " + plural(int64(len(suppressed)), "suppressed", "suppressed")
}

// renderReviewText writes the review for a person: findings needing action
// worst first, then the attempts the controls stopped, then what exceptions
// cover, in 80 columns.
func renderReviewText(w io.Writer, fs []review.Finding, sum reviewSummary, colour bool) {
	pal := palette{colour}
	open, blocked, suppressed := reviewGroups(fs)
	fmt.Fprintf(w, "%s %s\n", pal.bold("flowdiag review:"), countLine(open, blocked, suppressed))
	for _, line := range wrap(safe(sum.header()), "", textWidth) {
		fmt.Fprintln(w, pal.dim(line))
	}
	n := 0
	section := func(title string, list []*review.Finding) {
		if len(list) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s\n", pal.bold(title))
		for _, f := range list {
			n++
			fmt.Fprintln(w)
			fmt.Fprintf(w, "%d. %s %s · %s\n", n, pal.sev(f.Severity, strings.ToUpper(f.Severity.String())), kindWords(f.Kind), safe(f.Prohibition))
			fmt.Fprintf(w, "   %s\n", pal.bold(safe(oneLine(f.Title))))
			for _, line := range wrap(safe(oneLine(f.Message)), "   ", textWidth) {
				fmt.Fprintln(w, line)
			}
			if f.IsTraffic() {
				facts := []string{timeRange(f.First, f.Last), plural(f.Packets, "packet", "packets"), humanBytes(f.Bytes)}
				if f.Conversations > 1 {
					facts = append([]string{plural(int64(f.Conversations), "conversation", "conversations")}, facts...)
				}
				for _, line := range wrap(strings.Join(facts, " · "), "   ", textWidth) {
					fmt.Fprintln(w, line)
				}
				for _, line := range wrap("Evidence: "+safe(findingEvidence(f, 4)), "   ", textWidth) {
					fmt.Fprintln(w, pal.dim(line))
				}
			}
			if f.Location.File != "" {
				fmt.Fprintf(w, "   At: %s\n", safe(f.Location.String()))
			}
			if f.Fix != "" {
				for _, line := range wrap("Fix: "+safe(f.Fix), "   ", textWidth) {
					fmt.Fprintln(w, line)
				}
			}
			if f.Reason != "" {
				for _, line := range wrap("Policy: "+safe(oneLine(f.Reason)), "   ", textWidth) {
					fmt.Fprintln(w, pal.dim(line))
				}
			}
			if sp := f.Suppressed; sp != nil {
				text := fmt.Sprintf("Suppressed by exception %s (owner %s, %s): %s", sp.Exception, sp.Owner, expiryWords(sp.Expires), sp.Reason)
				for _, line := range wrap(safe(oneLine(text)), "   ", textWidth) {
					fmt.Fprintln(w, line)
				}
			}
		}
	}
	if note := incompleteNote(sum.failed, sum.stopped, "findings"); note != "" {
		for _, line := range wrap(safe(note), "", textWidth) {
			fmt.Fprintln(w, pal.sev(rules.SeverityCritical, line))
		}
	}
	if sum.subnetsUnmatched {
		for _, line := range wrap("INCOMPLETE: the policy selects sources by subnet, but no record carries subnet-id and no --topology maps addresses to subnets: those prohibitions were not evaluated.", "", textWidth) {
			fmt.Fprintln(w, pal.sev(rules.SeverityCritical, line))
		}
	}
	if len(open) == 0 && !sum.subnetsUnmatched {
		fmt.Fprintln(w, "\nNothing reached or would be allowed to reach a prohibited destination.")
	}
	section("Findings", open)
	section("Blocked attempts (the controls worked)", blocked)
	section("Suppressed by exceptions", suppressed)
}

func expiryWords(exp string) string {
	if exp == "" {
		return "no expiry"
	}
	return "expires " + exp
}

// renderReviewMarkdown writes the review as a Markdown report: a summary
// table, then one section per finding.
func renderReviewMarkdown(w io.Writer, fs []review.Finding, sum reviewSummary) {
	open, blocked, suppressed := reviewGroups(fs)
	fmt.Fprintln(w, "## Security review (flowdiag)")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "- **Policy:** %s\n", mdEscape(sum.policy))
	if len(sum.inputs) > 0 {
		fmt.Fprintf(w, "- **Flow logs:** %s (%s)\n", mdEscape(runMeta{inputs: sum.inputs}.inputList()), plural(sum.records, "record", "records"))
	}
	if sum.topology != "" {
		fmt.Fprintf(w, "- **Topology:** %s\n", mdEscape(sum.topology))
	} else {
		fmt.Fprintln(w, "- **Topology:** none — no rule analysis")
	}
	fmt.Fprintf(w, "- **Review time:** %s\n", sum.now.Format("2006-01-02 15:04 UTC"))
	if sum.stopped != "" {
		fmt.Fprintf(w, "- **Incomplete:** reading stopped at a bad input (--strict): %s; the findings cover only the records read before it\n", mdEscape(sum.stopped))
	} else if sum.failed > 0 {
		fmt.Fprintf(w, "- **Incomplete:** %s could not be read to the end; the findings cover only what was read\n",
			plural(int64(sum.failed), "input", "inputs"))
	}
	fmt.Fprintf(w, "- **Result:** %s\n\n", countLine(open, blocked, suppressed))
	all := append(append(append([]*review.Finding(nil), open...), blocked...), suppressed...)
	if sum.subnetsUnmatched {
		fmt.Fprintln(w, "**Incomplete:** the policy selects sources by subnet, but no record carries subnet-id and no --topology maps addresses to subnets: those prohibitions were not evaluated.")
		fmt.Fprintln(w)
	}
	if len(all) == 0 {
		if !sum.subnetsUnmatched {
			fmt.Fprintln(w, "Nothing reached or would be allowed to reach a prohibited destination.")
		}
		return
	}
	fmt.Fprintln(w, "| # | Severity | Kind | Prohibition | What | Where |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for i, f := range all {
		what, where := f.Rule, f.Location.String()
		if f.IsTraffic() {
			what, where = flowTextMD(f), f.ENI
		}
		sev := f.Severity.String()
		if f.Suppressed != nil {
			sev += " (suppressed)"
		}
		fmt.Fprintf(w, "| %d | %s | %s | `%s` | %s | %s |\n", i+1, sev, kindWords(f.Kind), f.Prohibition, mdEscape(what), mdEscape(where))
	}
	fmt.Fprintln(w)
	for i, f := range all {
		fmt.Fprintf(w, "### %d. %s — %s\n\n", i+1, mdEscape(f.Title), kindWords(f.Kind))
		fmt.Fprintf(w, "%s\n\n", mdEscape(f.Message))
		if f.IsTraffic() {
			fmt.Fprintf(w, "- **When:** %s\n", timeRange(f.First, f.Last))
			fmt.Fprintf(w, "- **Volume:** %s, %s, %s\n", plural(int64(max(f.Conversations, 1)), "conversation", "conversations"), plural(f.Packets, "packet", "packets"), humanBytes(f.Bytes))
			fmt.Fprintf(w, "- **Evidence:** %s\n", mdEscape(findingEvidence(f, 8)))
		}
		if f.Location.File != "" {
			fmt.Fprintf(w, "- **At:** `%s`\n", strings.ReplaceAll(safe(f.Location.String()), "`", "'"))
		}
		if f.Fix != "" {
			fmt.Fprintf(w, "- **Fix:** %s\n", mdEscape(f.Fix))
		}
		if f.Reason != "" {
			fmt.Fprintf(w, "- **Policy:** %s\n", mdEscape(f.Reason))
		}
		if sp := f.Suppressed; sp != nil {
			fmt.Fprintf(w, "- **Suppressed by:** exception `%s` (owner %s, %s): %s\n", sp.Exception, mdEscape(sp.Owner), expiryWords(sp.Expires), mdEscape(sp.Reason))
		}
		fmt.Fprintln(w)
	}
}

// flowTextMD names a traffic finding's flow; merged conversations differ
// in the client port, so it is left out.
func flowTextMD(f *review.Finding) string {
	if f.Conversations <= 1 {
		return flowString(f.Flow)
	}
	fl := f.Flow
	dst := fl.Server
	if rules.FlowHasPorts(fl.Protocol) {
		dst = fmt.Sprintf("%s:%d", fl.Server, fl.ServerPort)
		if strings.Contains(fl.Server, ":") {
			dst = fmt.Sprintf("[%s]:%d", fl.Server, fl.ServerPort)
		}
	}
	return fmt.Sprintf("%s %s → %s (%d conversations)", fl.Protocol, fl.Client, dst, f.Conversations)
}

// policyUsesSubnets reports whether a prohibition or exception selects
// sources by subnet.
func policyUsesSubnets(p *review.Policy) bool {
	for _, pr := range p.Prohibitions {
		if len(pr.From.Subnets) > 0 {
			return true
		}
	}
	for _, e := range p.Exceptions {
		if len(e.From.Subnets) > 0 {
			return true
		}
	}
	return false
}
