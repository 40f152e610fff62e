package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runRulesCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"rules"}, args...), stdio{in: strings.NewReader(""), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden(t, filepath.Join("testdata", "rules", name), got)
}

func TestRulesCommand(t *testing.T) {
	const valid = "../../testdata/rules/valid/db-port-policy.yaml"
	const failing = "../../testdata/rules/invalid/failing-example.yaml"
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		golden   string // stdout golden file; "" when stdout must be empty
		errMatch string // substring of stderr
	}{
		{"list builtin", []string{"list"}, exitOK, "list.txt", ""},
		{"list with user rules", []string{"list", valid}, exitOK, "list-user.txt", ""},
		{"test builtin and user", []string{"test", valid}, exitOK, "test-pass.txt", ""},
		{"test failing example", []string{"test", "--no-builtin-rules", failing}, exitFinding, "test-fail.txt", ""},
		{"lint builtin", []string{"lint"}, exitOK, "lint-builtin.txt", ""},
		{"lint user", []string{"lint", "--no-builtin-rules", "testdata/rules/lint-me.yaml"}, exitFinding, "lint-user.txt", ""},
		{"invalid file", []string{"list", "../../testdata/rules/invalid/type-error.yaml"}, exitUsage, "",
			"type-error.yaml:8:24: rule type-error: when: invalid operation: == (mismatched types int and string) (1:45)"},
		{"duplicate with builtin", []string{"list", "testdata/rules/dup-builtin.yaml"}, exitUsage, "",
			"dup-builtin.yaml:2:9: rule no-reply: id: duplicate id (first defined at builtin/logs.yaml:"},
		{"missing action", nil, exitUsage, "", "missing action"},
		{"unknown action", []string{"show"}, exitUsage, "", `unknown action "show"`},
		{"no builtin no files", []string{"list", "--no-builtin-rules"}, exitUsage, "", "needs at least one rule file"},
		{"missing file", []string{"test", "nope.yaml"}, exitUsage, "", "nope.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runRulesCmd(t, tc.args...)
			if code != tc.code {
				t.Errorf("flowdiag rules %v: exit %d; want %d\nstderr: %s", tc.args, code, tc.code, errs)
			}
			if tc.golden != "" {
				checkGolden(t, tc.golden, out)
			} else if out != "" {
				t.Errorf("flowdiag rules %v: unexpected stdout %q", tc.args, out)
			}
			if !strings.Contains(errs, tc.errMatch) {
				t.Errorf("flowdiag rules %v: stderr %q; want it to contain %q", tc.args, errs, tc.errMatch)
			}
		})
	}
}

// TestRulesOutputNeutralizesControlCharacters: names and ids from a rule file
// cannot repaint the terminal, in results or in load errors, while the line
// breaks of expr's error snippets stay.
func TestRulesOutputNeutralizesControlCharacters(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "esc.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	rule := "rules:\n  - id: a\n    title: t\n    severity: info\n    on: [reject]\n    when: 'true'\n    verdict: info\n    message: m\n" +
		"    examples:\n      - name: \"ex \\e[2J\"\n        facts: { server: { eni: x, request: { rejected: true } } }\n        match: true\n"
	if err := os.WriteFile(good, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(strings.Replace(rule, "id: a", "id: \"a\\e[1m\"", 1)+
		"  - id: b\n    title: t\n    severity: info\n    when: 'flow.nope'\n    verdict: info\n    message: m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, errs := runRulesCmd(t, "test", "--no-builtin-rules", good)
	if strings.Contains(out+errs, "\x1b") || !strings.Contains(out, `ex \x1b[2J`) {
		t.Errorf("test output not neutralized:\n%q\n%q", out, errs)
	}
	_, out, errs = runRulesCmd(t, "list", "--no-builtin-rules", bad)
	if strings.Contains(out+errs, "\x1b") || !strings.Contains(errs, `a\x1b[1m`) {
		t.Errorf("load error not neutralized:\n%q\n%q", out, errs)
	}
	if !strings.Contains(errs, "\n | flow.nope") && !strings.Contains(errs, "\n |") {
		t.Errorf("expr snippet lost its line breaks:\n%s", errs)
	}
}
