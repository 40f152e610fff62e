package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/flowdiag/flowdiag/engine"
	"github.com/flowdiag/flowdiag/rules"
)

const textWidth = 80

// safe neutralizes control characters that came from the input (log fields,
// file names) so that they cannot repaint the user's terminal.
func safe(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return string(appendSafe(nil, s))
		}
	}
	return s
}

// oneLine folds the line breaks and runs of white space of free text into
// single spaces, trimmed at both ends, for output where it is one paragraph.
// A policy's reason written as a YAML block scalar (reason: |) keeps its
// newlines, which safe would otherwise print as \x0a.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// safeLines is safe for text of several lines, such as an error with
// expr's caret snippet: the line breaks stay, every other control character
// is escaped.
func safeLines(s string) string {
	if !strings.Contains(s, "\n") {
		return safe(s)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = safe(l)
	}
	return strings.Join(lines, "\n")
}

// wrap breaks text into lines of at most width runes after indent, at spaces.
func wrap(text string, indent string, width int) []string {
	words := strings.FieldsFunc(text, unicode.IsSpace)
	var lines []string
	line := indent
	for _, w := range words {
		if utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width && strings.TrimSpace(line) != "" {
			lines = append(lines, line)
			line = indent
		}
		if strings.TrimSpace(line) != "" {
			line += " "
		}
		line += w
	}
	if strings.TrimSpace(line) != "" {
		lines = append(lines, line)
	}
	return lines
}

type palette struct{ on bool }

func (p palette) sev(s rules.Severity, text string) string {
	if !p.on {
		return text
	}
	code := "36" // info: cyan
	switch s {
	case rules.SeverityWarning:
		code = "33"
	case rules.SeverityError:
		code = "31"
	case rules.SeverityCritical:
		code = "1;31"
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (p palette) bold(text string) string {
	if !p.on {
		return text
	}
	return "\x1b[1m" + text + "\x1b[0m"
}

func (p palette) dim(text string) string {
	if !p.on {
		return text
	}
	return "\x1b[2m" + text + "\x1b[0m"
}

func utc(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// timeRange renders a first/last pair compactly: the date once when both
// fall on the same day.
func timeRange(first, last int64) string {
	a, b := utc(first), utc(last)
	if a.Format("2006-01-02") == b.Format("2006-01-02") {
		return a.Format("2006-01-02 15:04:05") + " – " + b.Format("15:04:05") + " UTC"
	}
	return a.Format("2006-01-02 15:04:05") + " – " + b.Format("2006-01-02 15:04:05") + " UTC"
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return commas(n) + " " + many
}

func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// headline names what a group blames, the part an engineer reads first.
func headline(g *engine.Group) string {
	c := g.Component
	if c == "" {
		c = "(id unknown without --topology)"
		if len(g.Examples) > 0 && g.Examples[0].Topology {
			// The topology was given but has no deny that explains it.
			c = "(not identified: the topology has no check that denies it)"
		}
	}
	switch string(g.Verdict) {
	case "nacl":
		s := "network ACL " + c
		if g.Direction != "" {
			s += " " + g.Direction
		}
		if g.NACLRule != 0 {
			s += " rule #" + strconv.Itoa(g.NACLRule)
			if g.NACLRule >= 32767 {
				s += " (default deny)"
			}
		}
		return s
	case "sg":
		s := "security group " + c
		if g.Component == "" && len(g.ENIs) == 1 {
			s = "a security group of " + g.ENIs[0]
		}
		if g.Direction != "" {
			s += " " + g.Direction
		}
		return s
	case "nacl-or-sg":
		s := "a security group or the network ACL"
		if len(g.ENIs) == 1 {
			s += " at " + g.ENIs[0]
		}
		if g.Direction != "" {
			s += " (" + g.Direction + ")"
		}
		return s
	}
	if g.Component != "" {
		return g.Component
	}
	at := ""
	if len(g.ENIs) == 1 {
		at = " at " + g.ENIs[0]
	}
	switch string(g.Verdict) {
	case "incomplete-evidence":
		return "missing evidence (NODATA/SKIPDATA)" + at
	case "no-reply":
		return "no reply logged" + at
	case "not-a-misconfiguration":
		return "nothing: rejected as intended" + at
	case "bpa":
		return "VPC Block Public Access" + at
	case "stale-topology":
		if g.Direction != "" {
			at += " (" + g.Direction + ")"
		}
		return "the topology disagrees with the logs" + at
	case "routing-or-unmonitored":
		return "routing, or an ENI that is not monitored" + at
	}
	return string(g.Verdict) + at
}

func flowString(f engine.Flow) string {
	ep := func(a string, p uint16) string {
		if strings.Contains(a, ":") {
			return "[" + a + "]:" + strconv.Itoa(int(p))
		}
		return a + ":" + strconv.Itoa(int(p))
	}
	if !rules.FlowHasPorts(f.Protocol) {
		return f.Protocol + " " + f.Client + " → " + f.Server
	}
	return f.Protocol + " " + ep(f.Client, f.ClientPort) + " → " + ep(f.Server, f.ServerPort)
}

// evidenceENI names the ENIs whose records d's evidence is.
func evidenceENI(d *engine.Diagnosis) string {
	if d.EvidenceENIs != "" {
		return strings.ReplaceAll(d.EvidenceENIs, ",", ", ")
	}
	return d.ENI
}

func evidenceList(d *engine.Diagnosis, max int) string {
	var refs []string
	for i, p := range d.Evidence {
		if i == max {
			break
		}
		refs = append(refs, engine.PosString(p))
	}
	more := len(d.Evidence) - len(refs) + d.MoreEvidence
	s := strings.Join(refs, ", ")
	if more > 0 {
		s += fmt.Sprintf(" +%d", more)
	}
	return s
}

// renderText writes the report for a person in an incident: worst first,
// each group with its count, time range, explanation, fix and evidence, in
// 80 columns.
func renderText(w io.Writer, r *engine.Report, m runMeta, colour bool) {
	pal := palette{colour}
	groups := r.Groups()
	head := fmt.Sprintf("%s in %s, %s read from %s",
		plural(int64(r.Total()), "diagnosed conversation", "diagnosed conversations"),
		plural(int64(len(groups)), "group", "groups"), plural(m.records, "record", "records"), safe(m.inputList()))
	if m.topology != "" {
		head += ", topology " + safe(m.topology)
	} else {
		head += ", no topology (verdicts from the logs alone)"
	}
	for i, line := range wrap("flowdiag: "+head, "", textWidth) {
		if i == 0 {
			line = pal.bold("flowdiag:") + strings.TrimPrefix(line, "flowdiag:")
		}
		fmt.Fprintln(w, line)
	}
	if first, last, ok := r.Window(); ok {
		fmt.Fprintf(w, "%s\n", pal.dim(timeRange(first, last)))
	}
	if note := incompleteNote(m.failed, m.stopped, "diagnoses"); note != "" {
		for _, line := range wrap(safe(note), "", textWidth) {
			fmt.Fprintln(w, pal.sev(rules.SeverityCritical, line))
		}
	}
	if len(groups) == 0 {
		if m.failed > 0 || m.stopped != "" {
			fmt.Fprintln(w, "\nNothing blocked or suspicious was found in what could be read.")
		} else {
			fmt.Fprintln(w, "\nNothing blocked or suspicious was found.")
		}
	}
	for i, g := range groups {
		fmt.Fprintln(w)
		label := strings.ToUpper(g.Severity.String())
		prefix := fmt.Sprintf("%d. %s ", i+1, label)
		// Wrap at 77 so the continuation lines fit once indented by 3.
		for j, line := range wrap(prefix+safe(g.Title), "", textWidth-3) {
			if j == 0 {
				line = fmt.Sprintf("%d. %s %s", i+1, pal.sev(g.Severity, label), pal.bold(strings.TrimPrefix(line, prefix)))
			} else {
				line = "   " + pal.bold(line)
			}
			fmt.Fprintln(w, line)
		}
		for _, line := range wrap("Blamed: "+safe(headline(g)), "   ", textWidth) {
			fmt.Fprintln(w, line)
		}
		facts := []string{
			"verdict " + string(g.Verdict),
			plural(int64(g.Conversations), "conversation", "conversations"),
			plural(g.Packets, "packet", "packets"),
			humanBytes(g.Bytes),
		}
		if g.Leg != "" {
			facts = append(facts, g.Leg+" leg")
		}
		for _, line := range wrap(strings.Join(facts, " · "), "   ", textWidth) {
			fmt.Fprintln(w, line)
		}
		fmt.Fprintf(w, "   %s\n", timeRange(g.First, g.Last))
		if len(g.Keys) > 0 {
			var kv []string
			for _, k := range g.Keys {
				kv = append(kv, k.Key+"="+safe(k.Value))
			}
			fmt.Fprintf(w, "   group: %s\n", strings.Join(kv, " "))
		}
		if len(g.ENIs) > 0 {
			enis := strings.Join(g.ENIs, ", ")
			if g.MoreENIs > 0 {
				enis += fmt.Sprintf(" +%d", g.MoreENIs)
			}
			for _, line := range wrap("ENIs: "+safe(enis), "   ", textWidth) {
				fmt.Fprintln(w, line)
			}
		}
		if src := sourcesLine(g); src != "" {
			for _, line := range wrap("Sources: "+safe(src), "   ", textWidth) {
				fmt.Fprintln(w, line)
			}
		}
		ex := &g.Examples[0]
		fmt.Fprintln(w)
		if g.LooksLikeScan() {
			for _, line := range wrap(scanNote, "   ", textWidth) {
				fmt.Fprintln(w, pal.bold(line))
			}
		}
		if g.CutEarly > 0 {
			for _, line := range wrap(cutEarlyNote(g), "   ", textWidth) {
				fmt.Fprintln(w, pal.bold(line))
			}
		}
		for _, line := range wrap(safe(oneLine(ex.Message)), "   ", textWidth) {
			fmt.Fprintln(w, line)
		}
		if label, fixes := groupFixes(g); len(fixes) == 1 {
			lines := wrap(label+" "+safe(oneLine(fixes[0])), "   ", textWidth)
			for j, line := range lines {
				// Bold the label when it fits on the first line (a long
				// label wraps and is printed as it wrapped).
				if j == 0 && strings.HasPrefix(line, "   "+label) {
					line = "   " + pal.bold(label) + strings.TrimPrefix(line, "   "+label)
				}
				fmt.Fprintln(w, line)
			}
		} else if len(fixes) > 1 {
			fmt.Fprintln(w, "   "+pal.bold(label))
			for _, f := range fixes {
				for _, line := range wrap("- "+safe(oneLine(f)), "     ", textWidth) {
					if strings.HasPrefix(line, "     - ") {
						line = "   - " + strings.TrimPrefix(line, "     - ")
					}
					fmt.Fprintln(w, line)
				}
			}
		}
		fmt.Fprintln(w, "   Evidence:")
		for _, d := range g.Examples {
			fmt.Fprintf(w, "     %s\n", safe(flowString(d.Flow)))
			loc := evidenceENI(&d)
			if loc == "" {
				loc = "no ENI"
			}
			for _, line := range wrap(safe(loc+"  "+utc(d.First).Format("15:04:05")+"  "+evidenceList(&d, 4)), "       ", textWidth) {
				fmt.Fprintln(w, pal.dim(line))
			}
		}
		if more := g.Conversations - len(g.Examples); more > 0 {
			fmt.Fprintf(w, "     … and %s\n", plural(int64(more), "more conversation", "more conversations"))
		}
		if len(ex.Supporting) > 0 {
			for _, line := range wrap("Also matched: "+strings.Join(ex.Supporting, ", "), "   ", textWidth) {
				fmt.Fprintln(w, pal.dim(line))
			}
		}
	}
	fmt.Fprintln(w)
	var tail []string
	if m.skipped > 0 {
		tail = append(tail, plural(m.skipped, "unparsed line", "unparsed lines")+" skipped (see stderr)")
	}
	if m.gaps > 0 {
		tail = append(tail, plural(m.gaps, "NODATA/SKIPDATA record", "NODATA/SKIPDATA records")+" in the input")
	}
	if m.uncorrelatable > 0 {
		tail = append(tail, plural(m.uncorrelatable, "record", "records")+" without protocol, addresses or ports left out")
	}
	if m.ruleFailures > 0 {
		tail = append(tail, plural(int64(m.ruleFailures), "rule failed", "rules failed")+" at run time and the other rules decided (see stderr)")
	}
	if n := r.WithGaps(); n > 0 {
		tail = append(tail, plural(int64(n), "diagnosis has", "diagnoses have")+" incomplete evidence")
	}
	if n := r.Folded(); n > 0 {
		tail = append(tail, foldedNote(r, n))
	}
	if len(tail) > 0 {
		for _, line := range wrap("Note: "+strings.Join(tail, "; ")+".", "", textWidth) {
			fmt.Fprintln(w, line)
		}
	}
}

// groupFixes returns how to present a group's fixes and the fixes: the
// one fix all its conversations share; each distinct fix with its count of
// conversations, when they differ (a group is one rule and component, but
// fixes name ports and peers); or, beyond what the report counts, the
// first example's, labelled as such.
func groupFixes(g *engine.Group) (label string, fixes []string) {
	all, ok := g.Fixes()
	switch {
	case !ok:
		return "Fix (for the first example; this group's conversations need more than 8 different fixes: --format json gives each, --group-by port or client splits the group):",
			[]string{g.Examples[0].Remediation}
	case len(all) == 0:
		return "", nil
	case len(all) == 1:
		return "Fix:", []string{all[0].Fix}
	}
	for _, f := range all {
		fixes = append(fixes, fmt.Sprintf("%s (%s)", f.Fix, plural(int64(f.Conversations), "conversation", "conversations")))
	}
	return fmt.Sprintf("Fixes (%d different, for different conversations of this group):", len(all)), fixes
}

// foldedNote says how many diagnoses the report's bound on groups folded.
func foldedNote(r *engine.Report, n int) string {
	return fmt.Sprintf("the --group-by values made more than %s groups: %s counted in the %s groups of their rule and component",
		commas(int64(r.MaxGroups)), plural(int64(n), "diagnosis beyond them is", "diagnoses beyond them are"), engine.OtherValue)
}

// cutEarlyNote is said of a group holding conversations completed before
// their horizon under --max-open: absent records may only have come later.
func cutEarlyNote(g *engine.Group) string {
	return fmt.Sprintf("%s completed early, when more conversations were open than --max-open allows: records they lack (a late reply) may have come later; raise --max-open to check.",
		plural(int64(g.CutEarly), "conversation of this group was", "conversations of this group were"))
}

// scanNote is said of a group made of probes of many ports: the fix of its
// example would open a port to a scanner.
const scanNote = "Looks like scanning: many ports probed, blocked as intended. Change nothing unless this traffic is expected; --group-by port,client separates it from traffic that is."

// sourcesLine names a group's busiest clients, with how many conversations
// they started and how many server ports were involved.
func sourcesLine(g *engine.Group) string {
	top, ok := g.TopClients(3)
	var b strings.Builder
	if !ok {
		b.WriteString("more than 64 client addresses")
	} else {
		for i, c := range top {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s (%s)", c.Client, commas(int64(c.Conversations)))
		}
	}
	if svc, ok := g.Services(4); ok && len(svc) > 1 {
		fmt.Fprintf(&b, "; to %s", strings.Join(svc, ", "))
	} else if n := g.ServerPorts(); n > 1 {
		more := ""
		if n >= 1024 {
			more = "+"
		}
		fmt.Fprintf(&b, "; %s%s server ports", commas(int64(n)), more)
	}
	return b.String()
}

// mdEscape makes text safe inside a Markdown table cell or paragraph.
// Line breaks and runs of white space are folded first: a paragraph or a
// cell is one line, and safe would turn a line break into \x0a.
func mdEscape(s string) string {
	s = safe(oneLine(s))
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`")
	return r.Replace(s)
}

// renderMarkdown writes a postmortem annotation: a summary table, a timeline
// of first and last blocked traffic, and a section per diagnosis with its
// explanation, fix and evidence.
func renderMarkdown(w io.Writer, r *engine.Report, m runMeta) {
	groups := r.Groups()
	fmt.Fprintln(w, "## Flow log diagnosis (flowdiag)")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "- **Input:** %s (%s)\n", mdEscape(m.inputList()), plural(m.records, "record", "records"))
	if m.topology != "" {
		fmt.Fprintf(w, "- **Topology:** %s\n", mdEscape(m.topology))
	} else {
		fmt.Fprintln(w, "- **Topology:** none — verdicts from the logs alone")
	}
	if first, last, ok := r.Window(); ok {
		fmt.Fprintf(w, "- **Window:** %s\n", timeRange(first, last))
	}
	fmt.Fprintf(w, "- **Diagnosed:** %s in %s\n", plural(int64(r.Total()), "conversation", "conversations"), plural(int64(len(groups)), "group", "groups"))
	if m.skipped > 0 || m.gaps > 0 {
		fmt.Fprintf(w, "- **Evidence quality:** %s skipped, %s\n", plural(m.skipped, "unparsed line", "unparsed lines"), plural(m.gaps, "NODATA/SKIPDATA record", "NODATA/SKIPDATA records"))
	}
	if m.stopped != "" {
		fmt.Fprintf(w, "- **Incomplete:** reading stopped at a bad input (--strict): %s; the diagnoses cover only the records read before it\n", mdEscape(m.stopped))
	} else if m.failed > 0 {
		fmt.Fprintf(w, "- **Incomplete:** %s could not be read to the end; the diagnoses cover only what was read\n",
			plural(int64(m.failed), "input", "inputs"))
	}
	if n := r.Folded(); n > 0 {
		fmt.Fprintf(w, "- **Grouping:** %s\n", foldedNote(r, n))
	}
	fmt.Fprintln(w)
	if len(groups) == 0 {
		if m.failed > 0 || m.stopped != "" {
			fmt.Fprintln(w, "Nothing blocked or suspicious was found in what could be read.")
			return
		}
		fmt.Fprintln(w, "Nothing blocked or suspicious was found.")
		return
	}

	fmt.Fprintln(w, "### Summary")
	fmt.Fprintln(w)
	// With --group-by, a column holds each group's values: otherwise rows
	// of one rule and component would look alike.
	grouped := len(r.GroupBy) > 0
	if grouped {
		fmt.Fprintln(w, "| # | Severity | Diagnosis | Blamed | Group | Conversations | Packets | First seen (UTC) | Last seen (UTC) |")
		fmt.Fprintln(w, "|---|---|---|---|---|---:|---:|---|---|")
	} else {
		fmt.Fprintln(w, "| # | Severity | Diagnosis | Blamed | Conversations | Packets | First seen (UTC) | Last seen (UTC) |")
		fmt.Fprintln(w, "|---|---|---|---|---:|---:|---|---|")
	}
	for i, g := range groups {
		group := ""
		if grouped {
			var kv []string
			for _, k := range g.Keys {
				kv = append(kv, k.Key+"="+k.Value)
			}
			group = " " + mdEscape(strings.Join(kv, " ")) + " |"
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s |%s %s | %s | %s | %s |\n", i+1, g.Severity, mdEscape(g.Title), mdEscape(headline(g)), group,
			commas(int64(g.Conversations)), commas(g.Packets),
			utc(g.First).Format("2006-01-02 15:04:05"), utc(g.Last).Format("2006-01-02 15:04:05"))
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "### Timeline")
	fmt.Fprintln(w)
	type event struct {
		at   int64
		text string
	}
	var events []event
	for i, g := range groups {
		// A block the topology predicts on traffic nobody logged (a reply
		// never seen) has no blocked traffic in the logs: its times are
		// those of what was logged.
		what := "traffic"
		for _, d := range g.Examples {
			if !d.Predicted {
				what = "blocked traffic"
			}
		}
		events = append(events, event{g.First, fmt.Sprintf("first %s of #%d (%s)", what, i+1, mdEscape(headline(g)))})
		if g.Last != g.First {
			events = append(events, event{g.Last, fmt.Sprintf("last %s of #%d", what, i+1)})
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].at < events[j].at })
	for _, e := range events {
		fmt.Fprintf(w, "- `%s` %s\n", utc(e.at).Format("2006-01-02 15:04:05Z"), e.text)
	}
	fmt.Fprintln(w)

	for i, g := range groups {
		ex := &g.Examples[0]
		fmt.Fprintf(w, "### %d. %s\n\n", i+1, mdEscape(g.Title))
		fmt.Fprintf(w, "- **Blamed:** %s\n", mdEscape(headline(g)))
		fmt.Fprintf(w, "- **Verdict:** `%s` (rule `%s`, severity %s)\n", g.Verdict, g.Rule, g.Severity)
		fmt.Fprintf(w, "- **Scope:** %s, %s, %s, %s\n", plural(int64(g.Conversations), "conversation", "conversations"),
			plural(g.Packets, "packet", "packets"), humanBytes(g.Bytes), timeRange(g.First, g.Last))
		if len(g.ENIs) > 0 {
			fmt.Fprintf(w, "- **ENIs:** %s\n", mdEscape(strings.Join(g.ENIs, ", ")))
		}
		for _, k := range g.Keys {
			fmt.Fprintf(w, "- **%s:** %s\n", k.Key, mdEscape(k.Value))
		}
		if src := sourcesLine(g); src != "" {
			fmt.Fprintf(w, "- **Sources:** %s\n", mdEscape(src))
		}
		if g.LooksLikeScan() {
			fmt.Fprintf(w, "\n**%s**\n", scanNote)
		}
		if g.CutEarly > 0 {
			fmt.Fprintf(w, "\n**%s**\n", mdEscape(cutEarlyNote(g)))
		}
		fmt.Fprintf(w, "\n%s\n\n", mdEscape(ex.Message))
		if label, fixes := groupFixes(g); len(fixes) == 1 {
			fmt.Fprintf(w, "**%s** %s\n\n", strings.TrimSuffix(label, ":")+":", mdEscape(fixes[0]))
		} else if len(fixes) > 1 {
			fmt.Fprintf(w, "**%s**\n\n", label)
			for _, f := range fixes {
				fmt.Fprintf(w, "- %s\n", mdEscape(f))
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "| Flow | ENI | First seen (UTC) | Packets | Evidence |")
		fmt.Fprintln(w, "|---|---|---|---:|---|")
		for _, d := range g.Examples {
			fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s |\n", strings.ReplaceAll(safe(flowString(d.Flow)), "`", "'"), mdEscape(evidenceENI(&d)),
				utc(d.First).Format("2006-01-02 15:04:05"), commas(d.Packets), mdEscape(evidenceList(&d, 4)))
		}
		if more := g.Conversations - len(g.Examples); more > 0 {
			fmt.Fprintf(w, "\n…and %s.\n", plural(int64(more), "more conversation", "more conversations"))
		}
		fmt.Fprintln(w)
	}
}
