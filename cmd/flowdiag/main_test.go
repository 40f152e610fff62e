package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// update rewrites the golden files of every test in this package.
var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// runCmd runs the flowdiag command line with args, stdin as standard input,
// and returns the exit status and both outputs.
func runCmd(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, stdio{in: strings.NewReader(stdin), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

func TestUnknownCommand(t *testing.T) {
	code, out, errs := runCmd("", "explian")
	if code != exitUsage || out != "" || !strings.Contains(errs, `unknown command "explian" (did you mean "explain"?)`) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if _, _, errs := runCmd("", "xyzzy"); strings.Contains(errs, "did you mean") {
		t.Errorf("a suggestion for a name close to no command: %q", errs)
	}
	if code, _, errs := runCmd(""); code != exitUsage || !strings.Contains(errs, "Commands:") {
		t.Errorf("no command: exit %d, stderr %q", code, errs)
	}
	if code, _, _ := runCmd("", "--help"); code != exitOK {
		t.Errorf("--help: exit %d", code)
	}
}

// A bad flag is named on stderr with the closest flag, for every
// subcommand: pflag prints nothing itself under ContinueOnError, and the
// commands once exited 2 in silence.
func TestBadFlagIsNamed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explain", "--topolgy", "t.yaml", "x.log"}, "flowdiag explain: unknown flag: --topolgy (did you mean --topology?)"},
		{[]string{"why", "--form", "10.0.0.1"}, "flowdiag why: unknown flag: --form (did you mean --from?)"},
		{[]string{"review", "--polcy", "p.yaml"}, "flowdiag review: unknown flag: --polcy (did you mean --policy?)"},
		{[]string{"records", "--xyzzy-long"}, "flowdiag records: unknown flag: --xyzzy-long\n"},
		{[]string{"rules", "list", "--no-builtin-rule"}, "flowdiag rules: unknown flag: --no-builtin-rule (did you mean --no-builtin-rules?)"},
		{[]string{"topology", "import", "--outptu", "x"}, "flowdiag topology import: unknown flag: --outptu (did you mean --output?)"},
		{[]string{"explain", "--workers", "abc", "x.log"}, `flowdiag explain: invalid argument "abc" for "--workers" flag`},
		{[]string{"explain", "--topology"}, "flowdiag explain: flag needs an argument: --topology"},
	} {
		code, out, errs := runCmd("", tc.args...)
		if code != exitUsage || out != "" || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "--help' for its flags") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, code, out, errs, exitUsage, tc.want)
		}
	}
}

// The README's sample output is what the README's command prints: each line
// of the excerpt (but "...") appears in the output, in order.
func TestReadmeSampleOutputIsCurrent(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "flowdiag names each one, worst first:\n\n```\n")
	if !ok {
		t.Fatal("README: no sample output after \"flowdiag names each one, worst first:\"")
	}
	excerpt, _, _ := strings.Cut(after, "```")
	code, out, errs := runCmd("", "explain", "--topology", "../../testdata/incidents/shop-topology.yaml", "../../testdata/incidents/shop-outage.log.gz")
	if code != exitFinding && code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rest := out
	for _, line := range strings.Split(strings.TrimSpace(excerpt), "\n") {
		if strings.TrimSpace(line) == "..." {
			continue
		}
		i := strings.Index(rest, line+"\n")
		if i < 0 {
			t.Fatalf("README sample line %q is not in the output (in order):\n%s", line, out)
		}
		rest = rest[i+len(line):]
	}
}

// Lines of a custom format without their header all fail the default
// format with the same field count: the summary says to give --log-format.
// It does not when some lines parsed, or when the counts differ.
func TestSummaryHintsLogFormat(t *testing.T) {
	dir := t.TempDir()
	v5 := "999999999999 ACCEPT use2-az2 4895 192.0.2.156 50318 1614866511 ingress i-00123456789abcdef eni-00123456789abcdef OK 15 - 192.0.2.156 S3 198.51.100.6 6 us-east-2 198.51.100.7 443 1614866493 - - subnet-0123456789abcdef 19 - IPv4 5 vpc-04456ab739938ee3f\n"
	v2 := "2 111122223333 eni-a 10.0.0.1 10.0.0.2 40000 443 6 1 60 1795183000 1795183060 ACCEPT OK\n"
	const hint = "every line quoted has 29 fields: logs without a header line"
	for _, tc := range []struct {
		name, text string
		want       bool
	}{
		{"headerless v5", v5 + v5, true},
		{"some lines parsed", v2 + v5, false},
		{"counts differ", v5 + "a b c\n", false},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".log")
		if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, errs := runCmd("", "records", path)
		if got := strings.Contains(errs, hint); got != tc.want {
			t.Errorf("%s: hint %v; want %v:\n%s", tc.name, got, tc.want, errs)
		}
	}
}
