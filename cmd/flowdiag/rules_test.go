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
		// test says why the example failed, as the loader does for lint.
		{"test example outside on", []string{"test", "--no-builtin-rules", "testdata/rules/outside-on.yaml"}, exitFinding, "test-outside-on.txt", ""},
		{"lint example outside on", []string{"lint", "--no-builtin-rules", "testdata/rules/outside-on.yaml"}, exitUsage, "",
			`outside-on.yaml:12:9: rule legacy-rejected: example "legacy server": want match, got no match (the facts are accept, outside on: [reject])`},
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

// TestRulesSameFileTwice: a rule file named twice, under one spelling or
// two, is read once rather than reported as duplicating itself; two
// different files with one id are still an error.
func TestRulesSameFileTwice(t *testing.T) {
	const valid = "../../testdata/rules/valid/db-port-policy.yaml"
	dir := t.TempDir()
	copied := filepath.Join(dir, "copy.yaml")
	b, err := os.ReadFile(valid)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copied, b, 0o644); err != nil {
		t.Fatal(err)
	}
	linked := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(copied, linked); err != nil {
		t.Fatal(err)
	}
	_, once, _ := runRulesCmd(t, "list", "--no-builtin-rules", valid)
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		errMatch string
	}{
		{"same name", []string{"list", "--no-builtin-rules", valid, valid}, exitOK, "db-port-policy.yaml is given twice: reading it once"},
		{"two spellings", []string{"list", "--no-builtin-rules", valid, "../../testdata/rules/./valid/db-port-policy.yaml"}, exitOK,
			"rules/./valid/db-port-policy.yaml is the same file as ../../testdata/rules/valid/db-port-policy.yaml: reading it once"},
		{"symbolic link", []string{"list", "--no-builtin-rules", copied, linked}, exitOK, "link.yaml is the same file as "},
		{"with the built-ins", []string{"test", valid, valid}, exitOK, "given twice"},
		{"two files, one id", []string{"list", "--no-builtin-rules", valid, copied}, exitUsage, "copy.yaml:3:9: rule db-from-outside-app-tier: id: duplicate id (first defined at ../../testdata/rules/valid/db-port-policy.yaml:3:9)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runRulesCmd(t, tc.args...)
			if code != tc.code {
				t.Errorf("flowdiag rules %v: exit %d; want %d\nstderr: %s", tc.args, code, tc.code, errs)
			}
			if !strings.Contains(errs, tc.errMatch) {
				t.Errorf("flowdiag rules %v: stderr %q; want it to contain %q", tc.args, errs, tc.errMatch)
			}
			if tc.args[0] == "list" && code == exitOK && strings.Count(out, "\n") != strings.Count(once, "\n") {
				t.Errorf("flowdiag rules %v listed:\n%s\nwant each rule once:\n%s", tc.args, out, once)
			}
		})
	}
}

// TestExplainRulesFileTwice: --rules naming one file twice reads it once
// instead of failing on every rule as a duplicate of itself.
func TestExplainRulesFileTwice(t *testing.T) {
	const valid = "../../testdata/rules/valid/db-port-policy.yaml"
	code, _, errs := explainCmd(t, nil, false, "--format", "json", "--rules", valid, "--rules", "./"+valid, incidents+"same-subnet.log")
	if code == exitUsage || !strings.Contains(errs, "flowdiag explain: ./../../testdata/rules/valid/db-port-policy.yaml is the same file as "+valid+": reading it once") {
		t.Errorf("exit %d; stderr:\n%s", code, errs)
	}
}
