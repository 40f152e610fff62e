package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/flowdiag/flowdiag/rules"
)

// rulesParams are the settings of one `flowdiag rules` run.
type rulesParams struct {
	action    string // list, test or lint
	noBuiltin bool
	files     []string
}

const rulesUsage = `Usage: flowdiag rules list|test|lint [--no-builtin-rules] [FILE...]

  list  the built-in rules and those in FILE...: id, severity, verdict, specificity, source
  test  run every rule's inline examples; exit 1 when one fails
  lint  report rules that can never match or never win; exit 1 when there are any`

func runRules(args []string, s stdio) int {
	fs := newFlagSet("rules", s, rulesUsage)
	var p rulesParams
	fs.BoolVar(&p.noBuiltin, "no-builtin-rules", false, "use only the rule files given")
	if code, done := parseFlags(fs, args, s); done {
		return code
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprintln(s.err, "flowdiag rules: missing action: want list, test or lint")
		fs.Usage()
		return exitUsage
	}
	p.action, p.files = rest[0], rest[1:]
	switch p.action {
	case "list", "test", "lint":
	default:
		fmt.Fprintf(s.err, "flowdiag rules: unknown action %q: want list, test or lint\n", safe(p.action))
		return exitUsage
	}
	if p.noBuiltin && len(p.files) == 0 {
		fmt.Fprintln(s.err, "flowdiag rules: --no-builtin-rules needs at least one rule file")
		return exitUsage
	}
	p.files = distinctFiles(p.files, s.err, "flowdiag rules")
	set, err := loadRuleSet(p)
	if err != nil {
		fmt.Fprintf(s.err, "flowdiag rules: %s\n", safeLines(err.Error()))
		return exitUsage
	}
	switch p.action {
	case "list":
		err = listRules(s.out, set)
	case "test":
		var failed int
		failed, err = testRules(s.out, set)
		if err == nil && failed > 0 {
			return exitFinding
		}
	case "lint":
		var n int
		n, err = lintRules(s.out, set)
		if err == nil && n > 0 {
			return exitFinding
		}
	}
	if err != nil {
		fmt.Fprintf(s.err, "flowdiag rules: %s\n", safeLines(err.Error()))
		return exitUsage
	}
	return exitOK
}

// loadRuleSet loads the built-ins (unless disabled) and the user's files.
// For test, examples that fail are not load errors: they are the report.
func loadRuleSet(p rulesParams) (*rules.Set, error) {
	var set *rules.Set
	if !p.noBuiltin {
		b, err := rules.LoadBuiltin()
		if err != nil {
			return nil, fmt.Errorf("built-in rules: %w", err)
		}
		set = b
	}
	for _, f := range p.files {
		load := rules.LoadFile
		if p.action == "test" {
			load = rules.LoadFileUnchecked
		}
		u, err := load(f)
		if err != nil {
			return nil, err
		}
		if set == nil {
			set = u
		} else if set, err = set.Merge(u); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// distinctFiles drops each name in files that names a file given before it:
// the same path twice, or two spellings of one path (a.yaml and ./a.yaml, a
// symbolic link). Loading the file again would report every one of its
// rules as a duplicate of itself. A one-line note on w, prefixed with cmd,
// says which name was dropped. Names that cannot be read are kept, for the
// loader to report.
func distinctFiles(files []string, w io.Writer, cmd string) []string {
	type seen struct {
		name string
		fi   os.FileInfo
	}
	var kept []seen
	out := make([]string, 0, len(files))
next:
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			out = append(out, f)
			continue
		}
		for _, k := range kept {
			if os.SameFile(fi, k.fi) {
				if f == k.name {
					fmt.Fprintf(w, "%s: %s is given twice: reading it once\n", cmd, safe(f))
				} else {
					fmt.Fprintf(w, "%s: %s is the same file as %s: reading it once\n", cmd, safe(f), safe(k.name))
				}
				continue next
			}
		}
		kept = append(kept, seen{f, fi})
		out = append(out, f)
	}
	return out
}

func listRules(w io.Writer, set *rules.Set) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tVERDICT\tSPECIFICITY\tON\tSOURCE")
	for _, r := range set.Rules() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s:%d\n", safe(r.ID), r.Severity, safe(string(r.Verdict)), r.Specificity, r.On, safe(r.Pos.File), r.Pos.Line)
	}
	return tw.Flush()
}

func testRules(w io.Writer, set *rules.Set) (failed int, err error) {
	results := set.RunExamples()
	ew := &errWriter{w: w}
	for _, res := range results {
		want := "match"
		if !res.Example.Match {
			want = "no match"
		}
		if res.Pass() {
			fmt.Fprintf(ew, "PASS  %s  %s: %s (%s)\n", safe(res.Example.Pos.String()), safe(res.Rule.ID), safe(res.Example.Name), want)
			continue
		}
		failed++
		got := "no match"
		if res.Got {
			got = "match"
		}
		if res.Err != nil {
			got = "error: " + res.Err.Error()
		}
		fmt.Fprintf(ew, "FAIL  %s  %s: %s: want %s, got %s%s\n", safe(res.Example.Pos.String()), safe(res.Rule.ID), safe(res.Example.Name), want, safe(got), res.Why())
	}
	verdict := "ok"
	if failed > 0 {
		verdict = "FAILED"
	}
	fmt.Fprintf(ew, "%s: %d rules, %d examples, %d passed, %d failed\n", verdict, set.Len(), len(results), len(results)-failed, failed)
	return failed, ew.err
}

func lintRules(w io.Writer, set *rules.Set) (int, error) {
	issues := set.Lint()
	ew := &errWriter{w: w}
	for _, i := range issues {
		fmt.Fprintln(ew, safeLines(i.String()))
	}
	switch len(issues) {
	case 0:
		fmt.Fprintf(ew, "ok: %d rules, no problems found\n", set.Len())
	default:
		fmt.Fprintf(ew, "%d %s in %d rules\n", len(issues), pluralWord(len(issues), "problem"), set.Len())
	}
	return len(issues), ew.err
}

func pluralWord(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// errWriter keeps the first write error so a report can be written without
// checking every line.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	var n int
	n, e.err = e.w.Write(b)
	return n, e.err
}
