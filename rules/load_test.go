package rules

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadBuiltin(t *testing.T) {
	s, err := LoadBuiltin()
	if err != nil {
		t.Fatalf("LoadBuiltin: %v", err)
	}
	for _, r := range s.Rules() {
		if !r.Builtin || !strings.HasPrefix(r.Pos.File, "builtin/") {
			t.Errorf("rule %s: Builtin=%v Pos=%v; want builtin/ file", r.ID, r.Builtin, r.Pos)
		}
		var yes, no bool
		for _, ex := range r.Examples {
			yes = yes || ex.Match
			no = no || !ex.Match
		}
		if !yes || !no {
			t.Errorf("rule %s: examples must include a match and a non-match (have match=%v, no-match=%v)", r.ID, yes, no)
		}
	}
	// Issue 5 point 4: every required inference has a rule.
	for _, id := range []string{
		"request-rejected-inbound", "reply-rejected-leaving-server", "request-rejected-outbound",
		"reply-rejected-entering-client", "same-subnet-request-rejected", "request-passed-client-rejected-server",
		"request-not-seen-by-server", "no-reply", "evidence-gap-no-reply", "bpa-rejected", "tcp-straggler-after-close",
		"nacl-denies-reply-leaving-server", "nacl-denies-reply-entering-client", "nacl-denies-request-entering-server",
		"sg-denies-request-entering-server", "stale-topology-allows", "stale-topology-denies",
	} {
		if _, ok := s.Rule(id); !ok {
			t.Errorf("built-in rule %s missing", id)
		}
	}
}

func TestLoadValidUserRules(t *testing.T) {
	files, _ := filepath.Glob("../testdata/rules/valid/*.yaml")
	if len(files) == 0 {
		t.Fatal("no files in testdata/rules/valid")
	}
	builtin, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		s, err := LoadFile(f)
		if err != nil {
			t.Fatalf("LoadFile(%s): %v", f, err)
		}
		merged, err := builtin.Merge(s)
		if err != nil {
			t.Fatalf("Merge(%s): %v", f, err)
		}
		if merged.Len() != builtin.Len()+s.Len() {
			t.Errorf("Merge(%s): %d rules; want %d", f, merged.Len(), builtin.Len()+s.Len())
		}
		for _, res := range merged.RunExamples() {
			if !res.Pass() {
				t.Errorf("%s: rule %s example %q failed", f, res.Rule.ID, res.Example.Name)
			}
		}
	}
}

// TestLoadInvalid asserts the exact message, with file:line:col, for one
// defect per file in testdata/rules/invalid.
func TestLoadInvalid(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"yaml-syntax.yaml", "F:4: invalid YAML: mapping values are not allowed in this context"},
		{"expr-syntax.yaml", "F:6:54: rule expr-syntax: when: unexpected token EOF (1:44)\n" +
			" | (server.request.rejected && path.same_subnet\n" +
			" | ...........................................^"},
		{"type-error.yaml", "F:8:24: rule type-error: when: invalid operation: == (mismatched types int and string) (1:45)\n" +
			" | server.request.rejected && flow.client_port == \"x\"\n" +
			" | ............................................^"},
		{"non-bool-when.yaml", `F:6:11: rule non-bool: when: expected bool, but got int (in "flow.server_port + 1")`},
		{"unknown-key.yaml", "2 problems in rules:\nF:2:5: rule unknown-key: missing message\n" +
			`F:7:5: rule unknown-key: unknown key "mesage" (did you mean message?)`},
		{"second-document.yaml", "F:9:1: a second YAML document is not supported: put all rules under one rules: list"},
		{"duplicate-id.yaml", "F:8:9: rule twice: id: duplicate id (first defined at F:2:9)"},
		{"failing-example.yaml", `F:13:9: rule failing-example: example "request only": want no match, got match`},
		{"bad-verdict.yaml", `F:5:14: rule bad-verdict: verdict: "firewall" is not a verdict: want one of nacl, sg, nacl-or-sg, no-reply, incomplete-evidence, not-a-misconfiguration, stale-topology, routing-or-unmonitored, bpa, info`},
		{"unknown-fact.yaml", `F:10:37: rule unknown-fact: example "typo": facts: server.reply.rejectd: unknown field (did you mean rejected?)`},
		{"bad-cidr.yaml", `F:6:33: rule bad-cidr: when: in_cidr: "10.0.0.0/33" is not a CIDR such as 10.0.0.0/8`},
		{"bad-placeholder.yaml", "F:7:30: rule bad-placeholder: message: type rules.Gaps has no field eni (1:7)\n" +
			" |  gaps.eni \n | ......^"},
		{"float-rule-number.yaml", `F:8:20: rule float-rule-number: blame.rule_number: want a whole-number expression, got float64 (in "flow.server_port / 2"); use int(...) to convert`},
		{"bad-severity.yaml", "2 problems in rules:\n" +
			`F:4:15: rule bad-severity: severity: "fatal" is not a severity: want one of info, warning, error, critical` + "\n" +
			`F:5:10: rule bad-severity: on: "rejected" is not a prefilter: want reject, accept, gap or any`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			name := filepath.Join("..", "testdata", "rules", "invalid", tc.file)
			_, err := LoadFile(name)
			want := strings.ReplaceAll(tc.want, "F:", name+":")
			if err == nil || err.Error() != want {
				t.Errorf("LoadFile(%s) error:\n%v\nwant:\n%s", tc.file, err, want)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Errorf("LoadFile(%s) error is %T; want Errors", tc.file, err)
			}
		})
	}
	// Every invalid file is covered by the table.
	files, _ := filepath.Glob("../testdata/rules/invalid/*.yaml")
	if len(files) != 14 {
		t.Errorf("testdata/rules/invalid has %d files; the table covers 14", len(files))
	}
}

func TestLoadReportsAllProblems(t *testing.T) {
	src := `rules:
  - id: a
    title: A
    severity: loud
    verdict: sg
    when: flow.nope
    message: "{{ flow.client"
  - id: b
    title: B
    severity: info
    verdict: maybe
    when: gaps.any
    message: ok
`
	_, err := Load("r.yaml", strings.NewReader(src))
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Load: %v; want Errors", err)
	}
	var pos []string
	for _, e := range es {
		pos = append(pos, e.Pos.String())
	}
	want := "r.yaml:4:15 r.yaml:6:16 r.yaml:7:15 r.yaml:11:14"
	if got := strings.Join(pos, " "); got != want {
		t.Errorf("Load problems at %s; want %s\n%v", got, want, err)
	}
}

func TestLoadEmptyAndShape(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"", "x.yaml: empty rule file: want a mapping with a rules: list"},
		{"- a\n", "x.yaml:1:1: want a mapping with a rules: list, got a list"},
		{"rule: []\n", "2 problems in rules:\nx.yaml:1:1: unknown key \"rule\": want rules\nx.yaml:1:1: missing rules: list"},
		{"rules: {}\n", "x.yaml:1:8: rules: want a list of rules, got a mapping"},
		{"rules:\n  - title: no id\n", "x.yaml:2:5: rules[0]: missing id"},
		// A syntax error after "---" is reported, not skipped with the document.
		{"rules: []\n---\nrules: [\n", "x.yaml:3: invalid YAML: did not find expected node content around here: a list or mapping is not closed, or a line is indented wrongly"},
	} {
		_, err := Load("x.yaml", strings.NewReader(tc.src))
		if err == nil || err.Error() != tc.want {
			t.Errorf("Load(%q) = %v; want %s", tc.src, err, tc.want)
		}
	}
}

// TestLoadDocumentMarkers: "---" that only starts or ends the one document
// loses nothing, so it is accepted (second-document.yaml is the error).
func TestLoadDocumentMarkers(t *testing.T) {
	const rule = `rules:
  - id: to-legacy-net
    title: Traffic to the legacy network
    severity: info
    verdict: info
    when: in_cidr(flow.server, "172.31.0.0/16")
    message: "{{ flow.client }} talks to the legacy network"
`
	for _, src := range []string{"---\n" + rule, "# team rules\n---\n" + rule + "---\n", rule + "...\n"} {
		s, err := Load("x.yaml", strings.NewReader(src))
		if err != nil {
			t.Errorf("Load(%q): %v", src, err)
			continue
		}
		if s.Len() != 1 {
			t.Errorf("Load(%q): %d rules; want 1", src, s.Len())
		}
	}
}

func TestBuiltinFilesAreFormatted(t *testing.T) {
	// The embedded files are what docs/rules.md points users at: keep
	// them free of tabs (YAML forbids tabs for indentation).
	files, _ := filepath.Glob("builtin/*.yaml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "\t") {
			t.Errorf("%s contains a tab", f)
		}
	}
}
