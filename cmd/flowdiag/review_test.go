package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	reviewPolicy   = "../../testdata/review/policy.yaml"
	reviewTopology = "../../testdata/review/topology.yaml"
	reviewIncident = "../../testdata/review/incident.log"
)

func reviewRun(args ...string) (int, string, string) {
	return runCmd("", append([]string{"review"}, args...)...)
}

func TestReviewGolden(t *testing.T) {
	base := []string{"--policy", reviewPolicy, "--topology", reviewTopology, "--now", "2026-11-22"}
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"bundled.txt", append(append([]string{}, base...), reviewIncident), exitFinding},
		{"bundled.jsonl", append(append([]string{}, base...), "--format", "json", reviewIncident), exitFinding},
		{"bundled.md", append(append([]string{}, base...), "--format", "markdown", reviewIncident), exitFinding},
		{"bundled.sarif", append(append([]string{}, base...), "--format", "sarif", reviewIncident), exitFinding},
		{"topology-only.txt", append(append([]string{}, base...), "--fail-on", "critical"), exitFinding},
		{"all-excepted.txt", []string{"--policy", "testdata/review/all-excepted.yaml", "--now", "2026-11-22", reviewIncident}, exitOK},
		{"all-excepted-expired.txt", []string{"--policy", "testdata/review/all-excepted.yaml", "--now", "2026-12-01", reviewIncident}, exitFinding},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := reviewRun(tc.args...)
			if code != tc.code || errOut != "" {
				t.Errorf("flowdiag review %s: exit %d, stderr %q; want exit %d, no stderr", strings.Join(tc.args, " "), code, errOut, tc.code)
			}
			golden(t, filepath.Join("testdata", "review", tc.name), "$ flowdiag review "+strings.Join(tc.args, " ")+"\n"+out)
		})
	}
}

// TestReviewWorkers: the parallel pipeline gives byte-identical output.
func TestReviewWorkers(t *testing.T) {
	args := []string{"--policy", reviewPolicy, "--topology", reviewTopology, "--now", "2026-11-22", "--format", "json", reviewIncident}
	_, one, _ := reviewRun(append([]string{"--workers", "1"}, args...)...)
	_, two, _ := reviewRun(append([]string{"--workers", "2"}, args...)...)
	if one != two || !strings.Contains(one, "traffic-reached") {
		t.Errorf("--workers 1 and 2 differ:\n%s\n---\n%s", one, two)
	}
}

func TestReviewFailOn(t *testing.T) {
	tests := []struct {
		failOn string
		code   int
	}{
		{"critical", exitFinding}, // the expired exception leaves a critical finding
		{"error", exitFinding},
		{"info", exitFinding},
	}
	for _, tc := range tests {
		code, _, errOut := reviewRun("--policy", reviewPolicy, "--now", "2026-11-22", "--topology", reviewTopology, "--fail-on", tc.failOn, reviewIncident)
		if code != tc.code {
			t.Errorf("--fail-on %s: exit %d (stderr %q); want %d", tc.failOn, code, errOut, tc.code)
		}
	}
	// Without the topology the policy's security group sources cannot be
	// resolved: bad input.
	if code, _, errOut := reviewRun("--policy", reviewPolicy, reviewIncident); code != exitUsage || !strings.Contains(errOut, "need a topology") {
		t.Errorf("review without topology: exit %d, stderr %q; want 2 naming the topology", code, errOut)
	}
}

// TestReviewJSONAcceptance reads the JSON lines and checks the acceptance
// items one by one.
func TestReviewJSONAcceptance(t *testing.T) {
	code, out, errOut := reviewRun("--policy", reviewPolicy, "--topology", reviewTopology, "--now", "2026-11-22", "--format", "json", reviewIncident)
	if code != exitFinding || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	type finding struct {
		Kind        string `json:"kind"`
		Prohibition string `json:"prohibition"`
		Severity    string `json:"severity"`
		Flow        *struct {
			Server     string `json:"server"`
			ServerPort int    `json:"server_port"`
		} `json:"flow"`
		Evidence []string `json:"evidence"`
		Rule     string   `json:"rule"`
		Fix      string   `json:"fix"`
		Location *struct {
			File         string
			Line, Column int
		} `json:"location"`
		Suppressed *struct{ Exception string } `json:"suppressed"`
	}
	var fs []finding
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var f finding
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		fs = append(fs, f)
	}
	find := func(pred func(f finding) bool) *finding {
		for i := range fs {
			if pred(fs[i]) {
				return &fs[i]
			}
		}
		return nil
	}
	if f := find(func(f finding) bool {
		return f.Kind == "traffic-reached" && f.Flow != nil && f.Flow.Server == "203.0.113.25" && f.Flow.ServerPort == 587
	}); f == nil || f.Prohibition != "no-direct-smtp" || len(f.Evidence) != 1 || !strings.HasSuffix(f.Evidence[0], "incident.log:13") {
		t.Errorf("accepted SMTP to the internet: %+v; want no-direct-smtp with evidence incident.log:13", f)
	}
	if f := find(func(f finding) bool { return f.Kind == "traffic-blocked" }); f == nil || f.Prohibition != "data-no-internet" || f.Severity != "info" {
		t.Errorf("rejected attempt: %+v; want an info traffic-blocked finding of data-no-internet", f)
	}
	if f := find(func(f finding) bool { return f.Suppressed != nil }); f == nil || f.Suppressed.Exception != "db-backup-upload" || f.Flow.Server != "52.95.130.10" {
		t.Errorf("suppressed: %+v; want the backup upload under db-backup-upload", f)
	}
	if f := find(func(f finding) bool { return f.Flow != nil && f.Flow.Server == "203.0.113.50" }); f == nil || f.Suppressed != nil || f.Severity != "critical" {
		t.Errorf("traffic of the expired exception: %+v; want an unsuppressed critical finding", f)
	}
	if f := find(func(f finding) bool { return f.Kind == "exception-expired" }); f == nil || f.Location == nil || f.Location.Line != 46 {
		t.Errorf("expired exception: %+v; want a finding at policy.yaml:46", f)
	}
	if f := find(func(f finding) bool {
		return f.Kind == "rule-permits" && f.Rule == "sg-0db egress[0]" && f.Prohibition == "data-no-internet"
	}); f == nil ||
		f.Location == nil || f.Location.Line != 48 || f.Location.Column != 9 || !strings.Contains(f.Fix, "by the VPC CIDR 10.20.0.0/16") {
		t.Errorf("permissive SG rule: %+v; want sg-0db egress[0] at topology.yaml:48:9 with a VPC CIDR fix", f)
	}
}

// TestReviewSARIF validates the SARIF output against the required fields
// of the SARIF 2.1.0 schema (sarifLog, run, tool, toolComponent,
// reportingDescriptor, result, message, location, physicalLocation,
// artifactLocation, region, logicalLocation, suppression) and checks that
// results point where they should.
func TestReviewSARIF(t *testing.T) {
	_, out, _ := reviewRun("--policy", reviewPolicy, "--topology", reviewTopology, "--now", "2026-11-22", "--format", "sarif", reviewIncident)
	var log map[string]any
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	obj := func(v any, path string) map[string]any {
		t.Helper()
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: want an object, got %T", path, v)
		}
		return m
	}
	arr := func(v any, path string) []any {
		t.Helper()
		a, ok := v.([]any)
		if !ok {
			t.Fatalf("%s: want an array, got %T", path, v)
		}
		return a
	}
	str := func(m map[string]any, key, path string) string {
		t.Helper()
		s, ok := m[key].(string)
		if !ok || s == "" {
			t.Fatalf("%s.%s: required non-empty string, got %v", path, key, m[key])
		}
		return s
	}
	if v := str(log, "version", "sarifLog"); v != "2.1.0" {
		t.Errorf("version = %q; want 2.1.0", v)
	}
	if s := str(log, "$schema", "sarifLog"); !strings.Contains(s, "sarif-2.1.0") {
		t.Errorf("$schema = %q", s)
	}
	runs := arr(log["runs"], "runs")
	if len(runs) != 1 {
		t.Fatalf("%d runs; want 1", len(runs))
	}
	r := obj(runs[0], "runs[0]")
	driver := obj(obj(r["tool"], "tool")["driver"], "tool.driver")
	if str(driver, "name", "driver") != "flowdiag" {
		t.Error("driver.name is not flowdiag")
	}
	ruleIDs := map[string]int{}
	for i, rv := range arr(driver["rules"], "driver.rules") {
		rule := obj(rv, "rule")
		ruleIDs[str(rule, "id", "rule")] = i
		str(obj(rule["shortDescription"], "shortDescription"), "text", "rule.shortDescription")
		lvl := str(obj(rule["defaultConfiguration"], "defaultConfiguration"), "level", "defaultConfiguration")
		if !strings.Contains(" none note warning error ", " "+lvl+" ") {
			t.Errorf("rule level %q", lvl)
		}
	}
	levels := " none note warning error "
	var physical, logical, suppressed int
	for i, rv := range arr(r["results"], "results") {
		res := obj(rv, "result")
		id := str(res, "ruleId", "result")
		idx, ok := ruleIDs[id]
		if !ok {
			t.Errorf("result %d: ruleId %q is not in tool.driver.rules", i, id)
		}
		if got, ok := res["ruleIndex"].(float64); !ok || int(got) != idx {
			t.Errorf("result %d: ruleIndex %v; want %d", i, res["ruleIndex"], idx)
		}
		if !strings.Contains(levels, " "+str(res, "level", "result")+" ") {
			t.Errorf("result %d: level %v", i, res["level"])
		}
		str(obj(res["message"], "message"), "text", "result.message")
		locs := arr(res["locations"], "result.locations")
		if len(locs) == 0 {
			t.Errorf("result %d (%s): no locations", i, id)
		}
		for _, lv := range locs {
			loc := obj(lv, "location")
			if pl, ok := loc["physicalLocation"]; ok {
				physical++
				p := obj(pl, "physicalLocation")
				u := str(obj(p["artifactLocation"], "artifactLocation"), "uri", "artifactLocation")
				if strings.Contains(u, `\`) {
					t.Errorf("uri %q has backslashes", u)
				}
				reg := obj(p["region"], "region")
				if l, ok := reg["startLine"].(float64); !ok || l < 1 {
					t.Errorf("result %d: region.startLine %v", i, reg["startLine"])
				}
				if c, ok := reg["startColumn"].(float64); !ok || c < 1 {
					t.Errorf("result %d: region.startColumn %v", i, reg["startColumn"])
				}
			}
			if ll, ok := loc["logicalLocations"]; ok {
				logical++
				for _, l := range arr(ll, "logicalLocations") {
					str(obj(l, "logicalLocation"), "name", "logicalLocation")
				}
			}
		}
		if sv, ok := res["suppressions"]; ok {
			suppressed++
			for _, s := range arr(sv, "suppressions") {
				k := str(obj(s, "suppression"), "kind", "suppression")
				if k != "inSource" && k != "external" {
					t.Errorf("suppression kind %q", k)
				}
			}
		}
	}
	if physical == 0 || logical == 0 || suppressed != 1 {
		t.Errorf("physical %d, logical %d, suppressed %d locations; want topology/policy lines, flows and one suppression", physical, logical, suppressed)
	}
}

func TestReviewBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{reviewIncident}, "flowdiag review: --policy is required: the YAML file of prohibited destinations (see docs/review.md)\n"},
		{[]string{"--policy", reviewPolicy}, "flowdiag review: nothing to review: name flow log files, directories or - for standard input, and/or give --topology\n"},
		{[]string{"--policy", reviewPolicy, "--format", "xml", reviewIncident}, "flowdiag review: --format: \"xml\" is not a format: want text, json, markdown or sarif\n"},
		{[]string{"--policy", reviewPolicy, "--fail-on", "severe", reviewIncident}, "flowdiag review: --fail-on: \"severe\" is not a severity: want one of info, warning, error, critical\n"},
		{[]string{"--policy", reviewPolicy, "--now", "22.11.2026", reviewIncident}, "flowdiag review: --now: \"22.11.2026\" is not a time: want YYYY-MM-DD or RFC 3339 (2026-11-22T12:00:00Z)\n"},
		{[]string{"--policy", "testdata/review/bad-policy.yaml", reviewIncident}, "flowdiag review: 2 problems in the policy:\n" +
			"testdata/review/bad-policy.yaml:8:20: prohibition no-partners: to: unknown destination set \"partnres\": want one of internet, link-local, metadata, partners, rfc1918\n" +
			"testdata/review/bad-policy.yaml:13:14: exception exception-1: expires: \"31/12/2026\" is not a date: want YYYY-MM-DD\n"},
		{[]string{"--policy", "testdata/review/missing.yaml", reviewIncident}, "flowdiag review: open testdata/review/missing.yaml: no such file or directory\n"},
	}
	for _, tc := range tests {
		code, out, errOut := reviewRun(tc.args...)
		if code != exitUsage || out != "" || errOut != tc.want {
			t.Errorf("flowdiag review %s = exit %d, stdout %q, stderr %q; want exit 2, stderr %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
}

// Without a topology, subnet sources match only records that carry
// subnet-id: on default-format logs the review cannot evaluate them and
// must not pass.
func TestReviewSubnetSourcesNeedSubnetIDs(t *testing.T) {
	// The bundled incident in the default format: no subnet-id.
	var b strings.Builder
	data, err := os.ReadFile(reviewIncident)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Fields(line)
		b.WriteString("2 " + strings.Join(f[1:14], " ") + "\n")
	}
	v2 := filepath.Join(t.TempDir(), "incident-v2.log")
	if err := os.WriteFile(v2, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("prohibitions:\n  - {id: app-no-internet, reason: r, from: {subnets: [subnet-0app]}, to: internet}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := reviewRun("--policy", policy, "--now", "2026-11-22", v2)
	if code != exitUsage || !strings.Contains(errs, "the review is incomplete: the policy selects sources by subnet, but no record carries subnet-id") {
		t.Errorf("default format without topology: exit %d, stderr %q", code, errs)
	}
	// The report itself must not read as an all-clear (QA 12, T21).
	if strings.Contains(out, "Nothing reached") || !strings.Contains(out, "INCOMPLETE: the policy selects sources by subnet") {
		t.Errorf("report of an incomplete review:\n%s", out)
	}
	// With subnet-id in the records, or with the topology, it runs.
	code, _, errs = reviewRun("--policy", policy, "--now", "2026-11-22", "../../testdata/review/incident.log")
	if code == exitUsage || strings.Contains(errs, "selects sources by subnet") {
		t.Errorf("v5 with subnet-id: exit %d, stderr %q", code, errs)
	}
	code, _, errs = reviewRun("--policy", policy, "--now", "2026-11-22", "--topology", "../../testdata/review/topology.yaml", v2)
	if code == exitUsage || strings.Contains(errs, "selects sources by subnet") {
		t.Errorf("default format with topology: exit %d, stderr %q", code, errs)
	}
}

// TestReviewFoldsLineBreaks: a reason written as a YAML block scalar
// (reason: |) is one paragraph in text and Markdown, not "\x0a"-studded;
// JSON keeps the text as written.
func TestReviewFoldsLineBreaks(t *testing.T) {
	base := []string{"--policy", "testdata/review/multiline.yaml", "--topology", reviewTopology, "--now", "2026-11-22"}
	for _, tc := range []struct {
		format string
		want   []string
	}{
		{"text", []string{"   Policy: PCI DSS 1.3.4. Approved by the CISO.\n",
			"Suppressed by exception pentest (owner secops@example.com, no expiry):\n   Red-team exercise, ticket SEC-1142.\n"}},
		{"markdown", []string{"- **Policy:** PCI DSS 1.3.4. Approved by the CISO.\n",
			"- **Suppressed by:** exception `pentest` (owner secops@example.com, no expiry): Red-team exercise, ticket SEC-1142.\n"}},
		{"json", []string{`"reason":"PCI DSS 1.3.4.\nApproved by the CISO.\n"`}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			code, out, errs := reviewRun(append(append([]string{}, base...), "--format", tc.format, reviewIncident)...)
			if code != exitFinding || errs != "" {
				t.Errorf("exit %d, stderr %q; want exit %d, no stderr", code, errs, exitFinding)
			}
			if strings.Contains(out, `\x0a`) {
				t.Errorf("--format %s prints a line break as \\x0a:\n%s", tc.format, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("--format %s output lacks %q:\n%s", tc.format, w, out)
				}
			}
		})
	}
}

// TestReviewPortlessProtocols: GRE and ESP flows print the addresses alone,
// as ICMP ones do, in every format; TCP keeps its ports.
func TestReviewPortlessProtocols(t *testing.T) {
	log := filepath.Join(t.TempDir(), "tunnels.log")
	if err := os.WriteFile(log, []byte(`version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id tcp-flags flow-direction
5 123456789012 eni-0app1 10.20.10.31 198.51.100.10 43822 443 6 3 180 1795165560 1795165618 ACCEPT OK vpc-0shop subnet-0app 2 egress
5 123456789012 eni-0app1 10.20.10.31 198.51.100.13 0 0 47 3 180 1795165560 1795165618 ACCEPT OK vpc-0shop subnet-0app - egress
5 123456789012 eni-0app1 10.20.10.31 198.51.100.14 0 0 50 3 180 1795165560 1795165618 ACCEPT OK vpc-0shop subnet-0app - egress
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		format string
		want   []string
	}{
		{"text", []string{"gre 10.20.10.31 -> 198.51.100.13 (logged", "esp 10.20.10.31 -> 198.51.100.14 (logged", "tcp 10.20.10.31:43822 -> 198.51.100.10:443"}},
		{"markdown", []string{"| gre 10.20.10.31 → 198.51.100.13 |", "| esp 10.20.10.31 → 198.51.100.14 |", "| tcp 10.20.10.31:43822 → 198.51.100.10:443 |"}},
		{"sarif", []string{`"name": "gre 10.20.10.31 -\u003e 198.51.100.13"`, `"name": "esp 10.20.10.31 -\u003e 198.51.100.14"`}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			_, out, errs := reviewRun("--policy", reviewPolicy, "--topology", reviewTopology, "--now", "2026-11-22", "--format", tc.format, log)
			if errs != "" {
				t.Errorf("stderr %q", errs)
			}
			if strings.Contains(out, ":0 ") || strings.Contains(out, ":0\"") {
				t.Errorf("--format %s prints a port 0:\n%s", tc.format, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("--format %s output lacks %q:\n%s", tc.format, w, out)
				}
			}
		})
	}
}
