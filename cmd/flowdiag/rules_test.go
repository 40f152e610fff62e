package main

import (
	"bytes"
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
