package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowdiag/flowdiag/engine"
)

const incidents = "../../testdata/incidents/"

func explainCmd(t *testing.T, env map[string]string, tty bool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	s := stdio{in: strings.NewReader(""), out: &out, err: &errb}
	if env != nil {
		s.getenv = func(k string) string { return env[k] }
	}
	if tty {
		s.isTTY = func(io.Writer) bool { return true }
	}
	code = run(append([]string{"explain"}, args...), s)
	return code, out.String(), errb.String()
}

// diag is the part of a JSON diagnosis the incident tests pin down.
type diag struct {
	Rule      string `json:"rule"`
	Verdict   string `json:"verdict"`
	Component string `json:"component"`
	NACLRule  int    `json:"nacl_rule_number"`
	Direction string `json:"direction"`
	Leg       string `json:"leg"`
	ENI       string `json:"eni"`
}

// TestExplainIncidents checks the verdict, blamed component and rule number
// for each bundled incident, from the logs alone and with the topology.
func TestExplainIncidents(t *testing.T) {
	tests := []struct {
		log   string
		topo  bool
		convs int
		want  diag
	}{
		// Classic: request accepted, reply rejected leaving the server: a NACL, provably,
		// even from default-format logs (the two ENIs' views place the roles).
		{"nacl-ephemeral.log", false, 3, diag{"reply-rejected-leaving-server", "nacl", "", 0, "egress", "reply", "eni-0db1"}},
		{"nacl-ephemeral.log", true, 3, diag{"nacl-denies-reply-leaving-server", "nacl", "acl-0data", 32767, "egress", "reply", "eni-0db1"}},
		// Classic: inbound request rejected: the logs cannot tell SG from NACL; the topology can.
		{"sg-missing-inbound.log", false, 3, diag{"request-rejected-inbound", "nacl-or-sg", "", 0, "ingress", "request", "eni-0bastion"}},
		{"sg-missing-inbound.log", true, 3, diag{"sg-denies-request-entering-server", "sg", "sg-0bastion", 0, "ingress", "request", "eni-0bastion"}},
		// Intra-VPC: the client's ENI let the request out, the server's rejected it.
		{"db-server-side.log", false, 2, diag{"request-passed-client-rejected-server", "nacl-or-sg", "", 0, "ingress", "request", "eni-0db1"}},
		{"db-server-side.log", true, 2, diag{"sg-denies-request-entering-server", "sg", "sg-0db", 0, "ingress", "request", "eni-0db1"}},
		// Same subnet: a NACL cannot apply, so the security group, even without topology.
		{"same-subnet.log", false, 4, diag{"same-subnet-request-rejected", "sg", "", 0, "ingress", "request", "eni-0web2"}},
		{"same-subnet.log", true, 4, diag{"sg-denies-request-entering-server", "sg", "sg-0web", 0, "ingress", "request", "eni-0web2"}},
		// Evidence gaps: the server ENI's SKIPDATA covers the silence.
		{"evidence-gaps.log", false, 2, diag{"evidence-gap-no-reply", "incomplete-evidence", "", 0, "", "reply", "eni-0api1"}},
		{"evidence-gaps.log", true, 2, diag{"evidence-gap-no-reply", "incomplete-evidence", "", 0, "", "reply", "eni-0api1"}},
	}
	for _, tc := range tests {
		name := strings.TrimSuffix(tc.log, ".log")
		args := []string{"--format", "json"}
		if tc.topo {
			name += "/topology"
			args = append(args, "--topology", incidents+"shop-topology.yaml")
		}
		t.Run(name, func(t *testing.T) {
			code, out, errs := explainCmd(t, nil, false, append(args, incidents+tc.log)...)
			if code != exitOK {
				t.Fatalf("exit %d; stderr:\n%s", code, errs)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != tc.convs {
				t.Fatalf("got %d diagnoses, want %d:\n%s", len(lines), tc.convs, out)
			}
			for _, l := range lines {
				var got diag
				if err := json.Unmarshal([]byte(l), &got); err != nil {
					t.Fatalf("bad JSON %q: %v", l, err)
				}
				if got != tc.want {
					t.Errorf("diagnosis = %+v\nwant        %+v", got, tc.want)
				}
			}
		})
	}
}

// TestExplainJSONSchema pins the documented fields of one diagnosis.
func TestExplainJSONSchema(t *testing.T) {
	_, out, _ := explainCmd(t, nil, false, "--format", "json", "--topology", incidents+"shop-topology.yaml", incidents+"nacl-ephemeral.log")
	var m map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rule", "verdict", "component", "nacl_rule_number", "direction", "leg", "eni", "subnet",
		"flow", "first_seen", "last_seen", "packets", "bytes", "evidence", "message", "remediation", "supporting",
		"severity", "title", "client_basis", "client_confidence", "topology"} {
		if _, ok := m[k]; !ok {
			t.Errorf("field %q missing from %s", k, out)
		}
	}
	flow := m["flow"].(map[string]any)
	want := map[string]any{"protocol": "tcp", "client": "10.20.11.31", "client_port": 40512.0, "server": "10.20.20.41", "server_port": 5432.0}
	for k, v := range want {
		if flow[k] != v {
			t.Errorf("flow.%s = %v, want %v", k, flow[k], v)
		}
	}
	if m["first_seen"] != "2026-11-20T14:01:05Z" || m["subnet"] != "subnet-0data-a" {
		t.Errorf("first_seen %v subnet %v", m["first_seen"], m["subnet"])
	}
	ev := m["evidence"].([]any)
	if len(ev) != 1 || ev[0] != incidents+"nacl-ephemeral.log:4" {
		t.Errorf("evidence = %v, want the reply REJECT record at line 4", ev)
	}
}

// TestExplainGolden compares whole reports, text, JSON and Markdown, with and
// without topology. Run with -update to accept changes.
func TestExplainGolden(t *testing.T) {
	topo := []string{"--topology", incidents + "shop-topology.yaml"}
	tests := []struct {
		name string
		args []string
	}{
		{"outage-topology.txt", append(topo, incidents+"shop-outage.log.gz")},
		{"outage-logs-only.txt", []string{incidents + "shop-outage.log.gz"}},
		{"outage-topology.md", append(append([]string{"--format", "markdown"}, topo...), incidents+"shop-outage.log.gz")},
		{"outage-logs-only.md", []string{"--format", "markdown", incidents + "shop-outage.log.gz"}},
		{"outage-topology.jsonl", append(append([]string{"--format", "json"}, topo...), incidents+"shop-outage.log.gz")},
		{"gaps-topology.txt", append(topo, incidents+"evidence-gaps.log")},
		{"group-by-port.txt", append(append([]string{"--group-by", "port", "--examples", "1"}, topo...), incidents+"shop-outage.log.gz")},
		{"healthy.txt", []string{"--addr", "192.0.2.77", incidents + "shop-outage.log.gz"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := explainCmd(t, nil, false, tc.args...)
			if code != exitOK {
				t.Fatalf("exit %d; stderr:\n%s", code, errs)
			}
			golden(t, filepath.Join("testdata", "explain", tc.name), out)
		})
	}
}

func TestExplainTextFits80Columns(t *testing.T) {
	_, out, _ := explainCmd(t, nil, false, "--topology", incidents+"shop-topology.yaml", incidents+"shop-outage.log.gz")
	for i, l := range strings.Split(out, "\n") {
		if i == 0 {
			continue // the header names the inputs, which may be long
		}
		if n := len([]rune(l)); n > 80 {
			t.Errorf("line %d is %d columns: %q", i+1, n, l)
		}
	}
}

func TestExplainColour(t *testing.T) {
	args := []string{"--topology", incidents + "shop-topology.yaml", incidents + "sg-missing-inbound.log"}
	tests := []struct {
		name   string
		env    map[string]string
		tty    bool
		flag   string
		colour bool
	}{
		{"not a terminal", nil, false, "", false},
		{"terminal", nil, true, "", true},
		{"terminal with NO_COLOR", map[string]string{"NO_COLOR": "1"}, true, "", false},
		{"forced", nil, false, "--color=always", true},
		{"refused on a terminal", nil, true, "--color=never", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := args
			if tc.flag != "" {
				a = append([]string{tc.flag}, args...)
			}
			_, out, _ := explainCmd(t, tc.env, tc.tty, a...)
			if got := strings.Contains(out, "\x1b["); got != tc.colour {
				t.Errorf("colour = %v, want %v:\n%s", got, tc.colour, out)
			}
		})
	}
}

// TestExplainNeutralizesControlCharacters feeds an ENI id holding an ANSI
// escape: it must not reach the terminal raw.
func TestExplainNeutralizesControlCharacters(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "evil.log")
	data := "2 123456789012 eni-0a\x1b[2J 198.51.100.23 10.20.0.5 51022 22 6 2 120 1795183500 1795183555 REJECT OK\n"
	if err := os.WriteFile(log, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, errs := explainCmd(t, nil, false, log)
	if strings.Contains(out+errs, "\x1b") {
		t.Fatalf("raw escape in output:\n%q\n%q", out, errs)
	}
}

func TestExplainBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad format", []string{"--format", "xml", incidents + "same-subnet.log"}, `--format: "xml" is not a format`},
		{"bad group", []string{"--group-by", "colour", incidents + "same-subnet.log"}, `--group-by: "colour" is not a grouping key`},
		{"bad severity", []string{"--fail-on", "fatal", incidents + "same-subnet.log"}, "--fail-on:"},
		{"no input", nil, "no input"},
		{"bad horizon", []string{"--horizon", "0s", incidents + "same-subnet.log"}, "--horizon: 0s is not a horizon"},
		{"sub-second horizon", []string{"--horizon", "500ms", incidents + "same-subnet.log"}, "--horizon: 500ms is not a horizon"},
		{"negative examples", []string{"--examples", "-1", incidents + "same-subnet.log"}, "--examples: -1 is negative"},
		{"bad max-open", []string{"--max-open", "10", incidents + "same-subnet.log"}, "--max-open: 10 is too few"},
		{"missing file", []string{incidents + "no-such.log"}, "no-such.log"},
		{"missing topology", []string{"--topology", incidents + "no-such.yaml", incidents + "same-subnet.log"}, "no-such.yaml"},
		{"bad rules", []string{"--rules", "../../testdata/rules/invalid/type-error.yaml", incidents + "same-subnet.log"}, "type-error.yaml:"},
		{"rules without builtin", []string{"--no-builtin-rules", incidents + "same-subnet.log"}, "--no-builtin-rules needs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := explainCmd(t, nil, false, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(errs, tc.want) {
				t.Errorf("stderr %q does not contain %q", errs, tc.want)
			}
			if out != "" {
				t.Errorf("stdout not empty: %q", out)
			}
		})
	}
}

func TestExplainFailOn(t *testing.T) {
	args := []string{"--topology", incidents + "shop-topology.yaml", incidents + "same-subnet.log"}
	if code, _, _ := explainCmd(t, nil, false, append([]string{"--fail-on", "error"}, args...)...); code != exitFinding {
		t.Errorf("--fail-on error: exit %d, want %d", code, exitFinding)
	}
	if code, _, _ := explainCmd(t, nil, false, append([]string{"--fail-on", "critical"}, args...)...); code != exitOK {
		t.Errorf("--fail-on critical: exit %d, want %d", code, exitOK)
	}
}

// TestExplainFilters: --action selects whole conversations, so a REJECT
// filter still sees the ACCEPT half that proves a NACL.
func TestExplainFilters(t *testing.T) {
	_, out, _ := explainCmd(t, nil, false, "--format", "json", "--action", "REJECT", "--port", "5432",
		incidents+"shop-outage.log.gz")
	if n := strings.Count(out, `"verdict":"nacl"`); n != 3 {
		t.Errorf("--action REJECT --port 5432: %d nacl verdicts, want 3:\n%s", n, out)
	}
	_, out, _ = explainCmd(t, nil, false, "--format", "json", "--eni", "eni-0bastion", incidents+"shop-outage.log.gz")
	if n := strings.Count(out, "\n"); n != 3 || strings.Contains(out, "eni-0db1") {
		t.Errorf("--eni eni-0bastion: %d diagnoses:\n%s", n, out)
	}
}

// TestIncompleteInput: an input that cannot be read to its end (a truncated
// gzip) must not end in "nothing found" with exit 0: explain and review say
// the run is incomplete, name the file once, and exit 2, keeping what was read.
func TestIncompleteInput(t *testing.T) {
	full, err := os.ReadFile(incidents + "shop-outage.log.gz")
	if err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(t.TempDir(), "cut.log.gz")
	if err := os.WriteFile(trunc, full[:len(full)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"explain", trunc, incidents + "same-subnet.log"},
		{"explain", "--format", "markdown", trunc},
		{"review", "--policy", "../../testdata/review/policy.yaml", "--topology", "../../testdata/review/topology.yaml", "--now", "2026-11-22", trunc},
	} {
		code, out, errs := runCmd("", args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if !strings.Contains(out, "ncomplete") {
			t.Errorf("%v: report does not say it is incomplete:\n%s", args, out)
		}
		if n := strings.Count(errs, "cut.log.gz"); n != 1 {
			t.Errorf("%v: the broken file is named %d times on stderr:\n%s", args, n, errs)
		}
	}
	// What was read before the break is still diagnosed.
	_, out, _ := runCmd("", "explain", "--format", "json", trunc, incidents+"same-subnet.log")
	if !strings.Contains(out, "same-subnet-request-rejected") {
		t.Errorf("diagnoses of the readable input lost:\n%s", out)
	}
}

// TestRuleFailsAtRunTime: a user rule that fails at run time is skipped on
// those conversations; the built-in rules still diagnose them, the failure is
// named with its position on stderr, and the run exits 2.
func TestRuleFailsAtRunTime(t *testing.T) {
	code, out, errs := explainCmd(t, nil, false, "--format", "json", "--rules",
		"../../testdata/rules/runtime/fails-at-run-time.yaml", incidents+"same-subnet.log")
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if n := strings.Count(out, `"rule":"same-subnet-request-rejected"`); n != 4 {
		t.Errorf("built-in verdicts lost: %d of 4:\n%s", n, out)
	}
	for _, want := range []string{
		"fails-at-run-time.yaml:4:9: rule index-out-of-range: when failed at run time on 4 conversations",
		"fails-at-run-time.yaml:12:9: rule broken-message: message failed at run time on 4 conversations",
		"index out of range",
		"fails-at-run-time.yaml:20:9: rule rule-number-out-of-range: blame.rule_number failed at run time on 4 conversations",
		"808000 is not a network ACL rule number",
		"fails-at-run-time.yaml:30:9: rule modulo-by-zero: when failed at run time on 4 conversations",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

// TestExplainPerENIFilesInAnyOrder: logs exported one file per ENI (one
// CloudWatch stream each), spanning two hours, give the same diagnoses in
// either order: the inputs are merged by time, so the horizon never closes a
// conversation before the other ENI's records of it were read.
func TestExplainPerENIFilesInAnyOrder(t *testing.T) {
	dir := t.TempDir()
	var api, db strings.Builder
	const start = 1795183200
	for i := range 12 {
		s := start + i*600
		port := 40000 + i
		fmt.Fprintf(&api, "2 123456789012 eni-0api1 10.20.11.31 10.20.20.41 %d 5432 6 3 180 %d %d ACCEPT OK\n", port, s, s+58)
		fmt.Fprintf(&db, "2 123456789012 eni-0db1 10.20.11.31 10.20.20.41 %d 5432 6 3 180 %d %d ACCEPT OK\n", port, s+1, s+59)
		fmt.Fprintf(&db, "2 123456789012 eni-0db1 10.20.20.41 10.20.11.31 5432 %d 6 3 132 %d %d REJECT OK\n", port, s+1, s+59)
	}
	apiLog, dbLog := filepath.Join(dir, "stream-api1.log"), filepath.Join(dir, "stream-db1.log")
	os.WriteFile(apiLog, []byte(api.String()), 0o644)
	os.WriteFile(dbLog, []byte(db.String()), 0o644)
	var outputs []string
	for _, files := range [][]string{{apiLog, dbLog}, {dbLog, apiLog}} {
		for _, workers := range []string{"1", "2"} {
			code, out, errs := explainCmd(t, nil, false, append([]string{"--format", "json", "--workers", workers}, files...)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if n := strings.Count(out, `"rule":"reply-rejected-leaving-server"`); n != 12 || strings.Count(out, "\n") != 12 {
				t.Errorf("files %v, %s workers: want 12 reply-rejected-leaving-server diagnoses, got:\n%s", files, workers, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			slices.Sort(lines)
			outputs = append(outputs, strings.Join(lines, "\n"))
		}
	}
	for _, o := range outputs[1:] {
		if o != outputs[0] {
			t.Errorf("output depends on file order or workers:\n%s\nvs\n%s", o, outputs[0])
		}
	}
}

// TestExplainLeavesOutUnnamedFlows: a custom format without protocol (any
// subset of fields is valid) cannot name a flow: such records are left out
// and counted, never diagnosed as protocol 0.
func TestExplainLeavesOutUnnamedFlows(t *testing.T) {
	log := filepath.Join(t.TempDir(), "min.log")
	os.WriteFile(log, []byte("interface-id srcaddr dstaddr action\neni-web1 198.51.100.7 10.0.1.10 REJECT\n"), 0o644)
	code, out, errs := explainCmd(t, nil, false, "--topology", "../../testdata/topology/three-tier.yaml", log)
	if code != exitOK || strings.Contains(out, "hopopt") || !strings.Contains(out, "1 record without protocol, addresses or ports left out") {
		t.Errorf("exit %d\n%s", code, out)
	}
	if !strings.Contains(errs, "left out 1 record without protocol, addresses or ports") {
		t.Errorf("stderr: %s", errs)
	}
}

// A port scan opening more conversations than --max-open within the
// horizon is diagnosed exactly as without the bound (the probes are
// complete when they are evicted), and stderr says the bound cut in.
func TestExplainScanUnderMaxOpen(t *testing.T) {
	var b strings.Builder
	rng := rand.New(rand.NewPCG(3, 4))
	const t0 = 1_741_942_800
	for i := range 6000 {
		t := t0 + i/50
		fmt.Fprintf(&b, "2 123456789012 eni-0target %d.%d.%d.%d 10.0.1.10 %d %d 6 1 44 %d %d REJECT OK\n",
			1+rng.IntN(200), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254), 1024+rng.IntN(60000), 1+rng.IntN(65000), t, t+1)
		if i%100 == 0 { // an SSH session on the same ENI throughout
			fmt.Fprintf(&b, "2 123456789012 eni-0target 10.0.2.7 10.0.1.10 50022 22 6 12 2400 %d %d ACCEPT OK\n", t, t+1)
			fmt.Fprintf(&b, "2 123456789012 eni-0target 10.0.1.10 10.0.2.7 22 50022 6 0 0 %d %d REJECT OK\n", t, t+1)
		}
	}
	path := filepath.Join(t.TempDir(), "scan.log")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	sorted := func(out string) string {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		slices.Sort(lines)
		return strings.Join(lines, "\n")
	}
	code, want, errs := explainCmd(t, nil, false, "--format", "json", path)
	if code != exitOK || strings.Contains(errs, "--max-open") {
		t.Fatalf("unbounded: exit %d, stderr %q", code, errs)
	}
	for _, workers := range []string{"1", "2"} {
		code, got, errs := explainCmd(t, nil, false, "--format", "json", "--max-open", "1000", "--workers", workers, path)
		if code != exitOK {
			t.Fatalf("--workers %s: exit %d, stderr %q", workers, code, errs)
		}
		if !strings.Contains(errs, "more than 1,000 conversations were open at once") || !strings.Contains(errs, "were completed before the 15m0s horizon") {
			t.Errorf("--workers %s: stderr %q does not report the bound", workers, errs)
		}
		// The same diagnoses, those of evicted conversations marked.
		if !strings.Contains(got, `,"cut_early":true`) {
			t.Errorf("--workers %s: no diagnosis marked cut_early", workers)
		}
		if sorted(strings.ReplaceAll(got, `,"cut_early":true`, "")) != sorted(want) {
			t.Errorf("--workers %s: diagnoses differ under --max-open 1000", workers)
		}
	}
	// Grouped by client, the scan's 6,000 sources would be 6,000 groups:
	// the report keeps 1,000 and folds the rest into (other).
	code, text, _ := explainCmd(t, nil, false, "--group-by", "client", "--color", "never", path)
	if code != exitOK || !strings.Contains(text, "diagnosed conversations in 1,00") ||
		!strings.Contains(text, "group: client=(other)") || !strings.Contains(strings.Join(strings.Fields(text), " "), "diagnoses beyond them are counted in the (other) groups") {
		t.Errorf("--group-by client on a scan: exit %d, report head %q", code, text[:min(len(text), 300)])
	}
	if n := strings.Count(want, `"client":"10.0.2.7"`); n != 1 {
		t.Errorf("the SSH session (its replies rejected) was diagnosed %d times; want once", n)
	}
}

// The fix for a rejected reply names the address family's catch-all CIDR
// and the client's own port when it is a fixed one below 1024.
func TestExplainReplyFixFamilyAndFixedPort(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags flow-direction\n"
	v6 := write("v6.log", header+
		"3 111122223333 eni-app1 2600:1f18:abc:10::20 2606:4700::1111 40000 443 6 5 500 1795183100 1795183150 ACCEPT OK 2 egress\n"+
		"3 111122223333 eni-app1 2606:4700::1111 2600:1f18:abc:10::20 443 40000 6 5 500 1795183100 1795183150 REJECT OK 18 ingress\n")
	ike := write("ike.log", header+
		"3 111122223333 eni-vpn1 198.51.100.5 10.0.1.20 500 500 17 4 1200 1795183100 1795183150 ACCEPT OK - ingress\n"+
		"3 111122223333 eni-vpn1 10.0.1.20 198.51.100.5 500 500 17 4 1200 1795183100 1795183150 REJECT OK - egress\n")
	for _, tc := range []struct {
		path, want, not string
	}{
		{v6, "tcp ports 1024-65535 from 2606:4700::1111 (or ::/0)", "0.0.0.0/0"},
		{ike, "udp port 500 to 198.51.100.5 (or 0.0.0.0/0)", "1024-65535"},
	} {
		code, out, errs := explainCmd(t, nil, false, "--format", "json", tc.path)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", tc.path, code, errs)
		}
		var d struct{ Remediation string }
		if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &d); err != nil {
			t.Fatalf("%s: %v in %q", tc.path, err, out)
		}
		if !strings.Contains(d.Remediation, tc.want) || strings.Contains(d.Remediation, tc.not) {
			t.Errorf("%s: fix %q; want %q and no %q", filepath.Base(tc.path), d.Remediation, tc.want, tc.not)
		}
	}
}

// When checks after the first block deny too, the fix names them all:
// fixing only the first would leave the traffic blocked.
func TestExplainFixNamesEveryBlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "two-blocks.log")
	const header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags flow-direction\n"
	logs := header +
		// NTP-style fixed client port: the reply is denied leaving the app
		// subnet and, after that fix, entering the web subnet.
		"3 111122223333 eni-0app1 10.0.1.10 10.0.2.20 123 8080 6 3 180 1795183100 1795183150 ACCEPT OK 2 ingress\n" +
		"3 111122223333 eni-0app1 10.0.2.20 10.0.1.10 8080 123 6 3 180 1795183100 1795183150 REJECT OK 18 egress\n" +
		// SSH from the internet: denied by the app subnet's ACL inbound,
		// and its reply would be denied outbound.
		"3 111122223333 eni-0app1 198.51.100.7 10.0.2.20 50000 22 6 1 60 1795183200 1795183250 REJECT OK 2 ingress\n"
	if err := os.WriteFile(path, []byte(logs), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", threeTier, path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := map[string]string{
		"10.0.1.10":    "That alone leaves it blocked: also add to acl-0web ingress an entry numbered below 32767: allow tcp 123 from 10.0.2.0/24.",
		"198.51.100.7": "That alone leaves it blocked: also add to acl-0app egress an entry numbered below 32767: allow tcp 1024-65535 to 198.51.100.7/32.",
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var d struct {
			Rule        string
			Flow        struct{ Client string }
			Remediation string
		}
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatal(err)
		}
		w, ok := want[d.Flow.Client]
		if !ok {
			t.Errorf("unexpected diagnosis %s of %s", d.Rule, d.Flow.Client)
			continue
		}
		delete(want, d.Flow.Client)
		if !strings.HasSuffix(d.Remediation, w) {
			t.Errorf("%s (%s): fix %q; want it to end %q", d.Flow.Client, d.Rule, d.Remediation, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("no diagnosis for %v", want)
	}
}

// Flow logs record no ICMP type. A rejected ICMP conversation that ping
// would pass is explained by the check at the rejecting ENI that allows
// only specific types; where every type passes, the topology is stale.
func TestExplainICMPOfOtherTypes(t *testing.T) {
	const topoTmpl = `vpcs:
  - id: vpc-i
    cidrs: [10.5.0.0/16]
subnets:
  - {id: subnet-a, vpc: vpc-i, cidrs: [10.5.1.0/24]}
  - {id: subnet-b, vpc: vpc-i, cidrs: [10.5.2.0/24]}
security_groups:
  - id: sg-client
    egress:
      - {proto: all, cidrs: [0.0.0.0/0]}
  - id: sg-server
    ingress:
      - {proto: icmp, icmp_type: SGTYPE, icmp_code: -1, cidrs: [10.5.0.0/16]}
network_acls:
  - id: acl-def
    vpc: vpc-i
    default: true
    ingress:
      - {rule: 100, proto: icmp, icmp_type: NACLTYPE, icmp_code: -1, cidr: 10.5.0.0/16, action: allow}
      - {rule: 110, proto: icmp, icmp_type: 0, icmp_code: -1, cidr: 10.5.0.0/16, action: allow}
    egress:
      - {rule: 100, proto: icmp, icmp_type: -1, icmp_code: -1, cidr: 10.5.0.0/16, action: allow}
enis:
  - {id: eni-c, subnet: subnet-a, addresses: [10.5.1.10], security_groups: [sg-client]}
  - {id: eni-s, subnet: subnet-b, addresses: [10.5.2.20], security_groups: [sg-server]}
`
	dir := t.TempDir()
	logPath := filepath.Join(dir, "icmp.log")
	if err := os.WriteFile(logPath, []byte("2 111122223333 eni-s 10.5.1.10 10.5.2.20 0 0 1 4 336 1795183100 1795183150 REJECT OK\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The client's group lets only pings out and its ENI logged these
	// packets leaving: they were pings, so another type cannot explain
	// the server's rejection.
	bothPath := filepath.Join(dir, "icmp-both.log")
	if err := os.WriteFile(bothPath, []byte("2 111122223333 eni-c 10.5.1.10 10.5.2.20 0 0 1 4 336 1795183100 1795183150 ACCEPT OK\n"+
		"2 111122223333 eni-s 10.5.1.10 10.5.2.20 0 0 1 4 336 1795183100 1795183150 REJECT OK\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, sgType, naclType string
		want                   diag
		pingOnlyOut            bool
	}{
		{"nacl allows only echo", "-1", "8", diag{Rule: "icmp-type-denied-by-network-acl", Verdict: "nacl", Component: "acl-def", NACLRule: 32767, Direction: "ingress", Leg: "request", ENI: "eni-s"}, false},
		{"group allows only echo", "8", "-1", diag{Rule: "icmp-type-denied-by-security-group", Verdict: "sg", Component: "sg-server", Direction: "ingress", Leg: "request", ENI: "eni-s"}, false},
		{"every type allowed", "-1", "-1", diag{Rule: "stale-topology-rejected-where-allowed", Verdict: "stale-topology", Direction: "ingress", Leg: "request", ENI: "eni-s"}, false},
		{"pings left the client", "-1", "8", diag{Rule: "stale-topology-rejected-where-allowed", Verdict: "stale-topology", Direction: "ingress", Leg: "request", ENI: "eni-s"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topo := strings.NewReplacer("SGTYPE", tc.sgType, "NACLTYPE", tc.naclType).Replace(topoTmpl)
			log := logPath
			if tc.pingOnlyOut {
				topo = strings.Replace(topo, "      - {proto: all, cidrs: [0.0.0.0/0]}", "      - {proto: icmp, icmp_type: 8, icmp_code: -1, cidrs: [0.0.0.0/0]}", 1)
				log = bothPath
			}
			topoPath := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			if err := os.WriteFile(topoPath, []byte(topo), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", topoPath, log)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var got diag
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v in %q", err, out)
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// A stale-topology verdict names the ENI whose records contradict the
// topology and counts that leg only, not the ENI of the component that
// logged nothing.
func TestExplainStaleTopologyNamesTheLoggingENI(t *testing.T) {
	code, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", "testdata/stale/topology.yaml", "testdata/stale/ping.log")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var d struct {
		Rule, Component, ENI, Message string
		Packets                       int
		Evidence                      []string
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if d.Rule != "stale-topology-denies" || d.Component != "sg-lb" || d.ENI != "eni-app1" || d.Packets != 4 ||
		len(d.Evidence) != 1 || d.Evidence[0] != "testdata/stale/ping.log:2" ||
		!strings.Contains(d.Message, "(on eni-lb1), but the traffic got past it: eni-app1 logged the request accepted.") {
		t.Errorf("diagnosis %+v", d)
	}
}

// An ENI missing from the topology rejected requests: where its subnet's
// ACL allows them, its security groups did (which one is unknown); where
// the ACL denies, the ACL's rule is named.
func TestExplainUnmodelledENI(t *testing.T) {
	code, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", "testdata/stale/topology.yaml", "testdata/stale/unknown-eni.log")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := map[int]diag{
		8080: {Rule: "sg-of-unmodelled-eni-rejects-request", Verdict: "sg", Direction: "ingress", Leg: "request", ENI: "eni-zzz"},
		9999: {Rule: "nacl-denies-request-entering-server", Verdict: "nacl", Component: "acl-app", NACLRule: 32767, Direction: "ingress", Leg: "request", ENI: "eni-zzz"},
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var d diag
		var f struct {
			Flow struct {
				ServerPort int `json:"server_port"`
			}
		}
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal([]byte(line), &f)
		if w, ok := want[f.Flow.ServerPort]; !ok || d != w {
			t.Errorf("port %d: %+v; want %+v", f.Flow.ServerPort, d, w)
		}
		delete(want, f.Flow.ServerPort)
	}
	if len(want) > 0 {
		t.Errorf("missing: %v", want)
	}
}

// Addresses and ENIs the topology lacks: the default format (no
// flow-direction) reaches the same verdicts as v5 by inferring the role of
// an ENI whose records cannot tell it (one end is another ENI's, so it owns
// the other); a request rejected on arrival is never blamed on a reply that
// was never sent; an unknown client-side ENI whose subnet's ACL allows the
// request gets its security groups blamed.
func TestExplainUnmodelledAddresses(t *testing.T) {
	const dir = "testdata/unmodelled/"
	type row struct {
		port int
		d    diag
	}
	run := func(topo, log string) []row {
		t.Helper()
		code, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", dir+topo, dir+log)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", log, code, errs)
		}
		var rows []row
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var d diag
			var f struct {
				Flow struct {
					ServerPort int `json:"server_port"`
				}
			}
			if err := json.Unmarshal([]byte(line), &d); err != nil {
				t.Fatal(err)
			}
			_ = json.Unmarshal([]byte(line), &f)
			rows = append(rows, row{f.Flow.ServerPort, d})
		}
		slices.SortFunc(rows, func(a, b row) int { return a.port - b.port })
		return rows
	}
	stale := func(eni string) diag {
		return diag{Rule: "stale-topology-denies", Verdict: "stale-topology", Component: "sg-web", Direction: "egress", Leg: "request", ENI: eni}
	}
	want := []row{
		{443, diag{Rule: "sg-of-unmodelled-eni-rejects-request-leaving", Verdict: "sg", Direction: "egress", Leg: "request", ENI: "eni-yyy"}},
		{8080, stale("eni-node1")}, {8080, stale("eni-zzz")},
		// sg-web's deny is stale (eni-zzz logged the request arriving), but
		// the rejection there is what acl-k8s's default deny predicts.
		{9999, diag{Rule: "nacl-denies-request-entering-server", Verdict: "nacl", Component: "acl-k8s", NACLRule: 32767, Direction: "ingress", Leg: "request", ENI: "eni-zzz"}},
	}
	for _, log := range []string{"v2.log", "v5.log"} {
		got := run("topology.yaml", log)
		slices.SortStableFunc(got, func(a, b row) int { return strings.Compare(a.d.ENI, b.d.ENI) })
		slices.SortStableFunc(got, func(a, b row) int { return a.port - b.port })
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", log, got, want)
		}
	}
	got := run("topology-reply-denied.yaml", "known-eni.log")
	if len(got) != 1 || got[0].d != (diag{Rule: "sg-of-unmodelled-eni-rejects-request", Verdict: "sg", Direction: "ingress", Leg: "request", ENI: "eni-node1"}) {
		t.Errorf("request rejected on arrival where the reply's ACL would deny too: %+v", got)
	}
}

// The Markdown summary shows each group's --group-by values.
func TestExplainMarkdownGroupColumn(t *testing.T) {
	code, out, errs := explainCmd(t, nil, false, "--format", "markdown", "--group-by", "port", incidents+"shop-outage.log.gz")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "| # | Severity | Diagnosis | Blamed | Group | Conversations |") || !strings.Contains(out, "| port=8080 | 4 |") {
		t.Errorf("summary table without the group column:\n%s", out[:min(len(out), 1200)])
	}
	code, out, _ = explainCmd(t, nil, false, "--format", "markdown", incidents+"shop-outage.log.gz")
	if code != exitOK || strings.Contains(out, "| Group |") {
		t.Errorf("ungrouped report has a group column")
	}
}

// A diagnosis of a conversation completed early under --max-open says so:
// cut_early in JSON, a note in the text report.
func TestExplainMarksCutEarly(t *testing.T) {
	var b strings.Builder
	rng := rand.New(rand.NewPCG(8, 9))
	const t0 = 1_741_942_800
	fmt.Fprintf(&b, "2 123456789012 eni-0target 10.0.2.8 10.0.1.10 41000 8443 6 1 60 %d %d ACCEPT OK\n", t0, t0+1)
	for i := range 3000 {
		t := t0 + i/100
		fmt.Fprintf(&b, "2 123456789012 eni-0target %d.%d.%d.%d 10.0.1.10 %d %d 6 1 44 %d %d REJECT OK\n",
			1+rng.IntN(200), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254), 1024+rng.IntN(60000), 1+rng.IntN(65000), t, t+1)
	}
	path := filepath.Join(t.TempDir(), "scan.log")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := explainCmd(t, nil, false, "--format", "json", "--max-open", "1000", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var slow string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, `"server_port":8443`) {
			slow = line
		}
	}
	if !strings.Contains(slow, `"cut_early":true`) {
		t.Errorf("the early-completed conversation's diagnosis: %s", slow)
	}
	if n := strings.Count(out, `"cut_early":true`); n < 1000 {
		t.Errorf("%d diagnoses marked cut_early; want the evicted probes too", n)
	}
	_, text, _ := explainCmd(t, nil, false, "--max-open", "1000", "--color", "never", path)
	if !strings.Contains(strings.Join(strings.Fields(text), " "), "completed early, when more conversations were open than --max-open allows") {
		t.Errorf("text report without the cut-early note:\n%s", text[:min(len(text), 1500)])
	}
	code, out, _ = explainCmd(t, nil, false, "--format", "json", path)
	if code != exitOK || strings.Contains(out, "cut_early") {
		t.Errorf("without the bound nothing is cut early")
	}
}

// A REJECT that a later check of the topology explains is pinned on that
// check even though an earlier one is stale; the staleness is still shown.
func TestExplainStaleTopologyNamesTheMatchingDeny(t *testing.T) {
	path := filepath.Join(t.TempDir(), "st.log")
	if err := os.WriteFile(path, []byte("2 111122223333 eni-app1 10.20.1.10 10.20.2.10 45555 9999 6 3 180 1795210000 1795210030 REJECT OK\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", "testdata/unmodelled/topology.yaml", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, `"rule":"sg-denies-request-entering-server"`) || !strings.Contains(out, `"component":"sg-app"`) ||
		!strings.Contains(out, `"supporting":["stale-topology-denies"`) {
		t.Errorf("got %s", out)
	}
}

// QA round 9, E8: a topology stale on the server's security group (it
// denies a request the server logged accepted) must not hide the reply
// its network ACL rejects, which the logs and the topology agree on: the
// report leads with the ACL entry, an error, and notes the staleness.
func TestExplainStaleGroupKeepsTheReplyACL(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		code, out, errs := explainCmd(t, nil, false, "--format", format, "--fail-on", "error",
			"--topology", "testdata/qa9/topology.yaml", "testdata/qa9/stale-sg-nacl-reply.log")
		if code != exitFinding {
			t.Fatalf("%s: exit %d, want %d (--fail-on error): %s", format, code, exitFinding, errs)
		}
		if format == "text" {
			if !strings.Contains(out, "Blamed: network ACL acl-db egress rule #32767") || !strings.Contains(out, "Also matched: stale-topology-denies") {
				t.Errorf("text:\n%s", out)
			}
			continue
		}
		var d diag
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatal(err)
		}
		want := diag{Rule: "nacl-denies-reply-leaving-server", Verdict: "nacl", Component: "acl-db", NACLRule: 32767, Direction: "egress", Leg: "reply", ENI: "eni-db1"}
		if d != want {
			t.Errorf("got  %+v\nwant %+v", d, want)
		}
	}
}

// TestStrictStopKeepsWhatWasRead: --strict stops at the first bad line, but
// the conversations read before it are still diagnosed and the report says
// it covers only those (QA round 7: it printed "Nothing blocked" instead).
func TestStrictStopKeepsWhatWasRead(t *testing.T) {
	good, err := os.ReadFile(incidents + "same-subnet.log")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(string(good), "\n")
	bad := "5 123456789012 eni-0web1 10.20.10.21 10.20.10.22 abc 8080 6 1 60 1795183800 1795183801 ACCEPT OK vpc-0shop subnet-0app-a i-0web1 2 IPv4 10.20.10.21 10.20.10.22 eu-west-1 euw1-az1 egress 1\n"
	path := filepath.Join(t.TempDir(), "stops.log")
	if err := os.WriteFile(path, append(good, bad...), 0o644); err != nil {
		t.Fatal(err)
	}
	where := fmt.Sprintf("stops.log:%d:", lines+1)
	for _, args := range [][]string{
		{"explain", "--strict", "--workers", "1", path},
		{"explain", "--strict", "--workers", "2", path},
		{"explain", "--strict", "--format", "markdown", path},
		{"explain", "--strict", "--format", "json", "--workers", "1", path},
		{"explain", "--strict", "--format", "json", "--workers", "2", path},
	} {
		code, out, errs := runCmd("", args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if !strings.Contains(out, "same-subnet-request-rejected") && !strings.Contains(out, "same subnet") {
			t.Errorf("%v: the conversations read before the bad line were not diagnosed:\n%s", args, out)
		}
		if strings.Contains(out, "Nothing blocked") {
			t.Errorf("%v: report claims nothing was found:\n%s", args, out)
		}
		if !slices.Contains(args, "json") && !strings.Contains(out, "reading stopped at a bad input (--strict)") {
			t.Errorf("%v: report does not say reading stopped:\n%s", args, out)
		}
		if !strings.Contains(errs, where) || !strings.Contains(errs, "srcport") {
			t.Errorf("%v: stderr does not name %s and the field:\n%s", args, where, errs)
		}
	}
	// review: the findings so far, marked incomplete, and exit 2.
	code, out, errs := runCmd("", "review", "--strict", "--policy", "../../testdata/review/policy.yaml", "--topology", "../../testdata/review/topology.yaml", "--now", "2026-11-22", path)
	if code != exitUsage || !strings.Contains(out, "reading stopped at a bad input (--strict)") || !strings.Contains(errs, where) {
		t.Errorf("review --strict: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestExplainGroupListsEveryFix: one group (one rule and component) whose
// conversations need different fixes lists each fix with its count, and
// its services by protocol (ICMP is not "port 0"); the text once showed the
// first example's fix for all (QA round 7).
func TestExplainGroupListsEveryFix(t *testing.T) {
	dir := "../../testdata/explain/mixed-group/"
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--topology", dir + "topology.yaml"}, []string{
			"Fixes (2 different, for different conversations of this group):",
			"allowing tcp port 8080 from the client's", "allowing tcp port 8443 from 198.51.100.7.",
			"; to tcp/8080, tcp/8443",
		}},
		{nil, []string{
			"Fixes (2 different, for different conversations of this group):",
			"- Allow icmp echo requests (type 8) from 198.51.100.7", "- Allow tcp port 8443 from 198.51.100.7",
			"Sources: 198.51.100.7 (2); to icmp, tcp/8443",
		}},
		{[]string{"--format", "markdown", "--topology", dir + "topology.yaml"}, []string{
			"**Fixes (2 different, for different conversations of this group):**", "- Add an inbound rule to sg-web allowing tcp port 8443",
		}},
	} {
		args := append(append([]string{"--color", "never"}, tc.args...), dir+"flows.log")
		if slices.Contains(tc.args, "markdown") {
			args = args[2:]
		}
		_, out, errs := explainCmd(t, nil, false, args...)
		flat := strings.Join(strings.Fields(out), " ")
		for _, w := range tc.want {
			if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
				t.Errorf("%v: output lacks %q:\n%s%s", tc.args, w, out, errs)
			}
		}
		if strings.Contains(out, "2 server ports") {
			t.Errorf("%v: ICMP counted as a server port:\n%s", tc.args, out)
		}
	}
}

// TestFixWhenNoRuleNumberIsFree: a deny at #1 (or with every number below
// it taken) cannot be preceded; explain and why say to renumber it rather
// than "add an entry numbered below 1" (QA round 7).
func TestFixWhenNoRuleNumberIsFree(t *testing.T) {
	dir := "../../testdata/explain/mixed-group/"
	topo, err := os.ReadFile(dir + "topology.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, to string }{
		{"{rule: 50, proto: tcp", "{rule: 1, proto: tcp"},
		// A deny at #4 with #1-#3 taken: no number below it is free either.
		{"{rule: 50, proto: tcp", "{rule: 1, proto: udp, ports: 53, cidr: 10.9.0.0/16, action: allow}\n      - {rule: 2, proto: udp, ports: 54, cidr: 10.9.0.0/16, action: allow}\n      - {rule: 3, proto: udp, ports: 55, cidr: 10.9.0.0/16, action: allow}\n      - {rule: 4, proto: tcp"},
	} {
		if !strings.Contains(string(topo), tc.from) {
			t.Fatalf("fixture changed: no %q", tc.from)
		}
		path := filepath.Join(t.TempDir(), "topology.yaml")
		if err := os.WriteFile(path, []byte(strings.Replace(string(topo), tc.from, tc.to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, out, errs := explainCmd(t, nil, false, "--color", "never", "--topology", path, dir+"flows.log")
		flat := strings.Join(strings.Fields(out), " ")
		if !strings.Contains(flat, "no rule number below it is free, so renumber that rule (or narrow or remove it) first") || strings.Contains(flat, "below 1.") {
			t.Errorf("%s: explain fix:\n%s%s", tc.to, out, errs)
		}
		code, out, errs := runCmd("", "why", "--topology", path, "--from", "10.0.0.200", "--to", "10.0.1.10:8080")
		if code == exitUsage || !strings.Contains(out, "(no lower rule number is free): renumber it (or narrow or remove it), then add below it to acl-app ingress: allow tcp 8080 from 10.0.0.200/32") {
			t.Errorf("%s: why: exit %d\n%s%s", tc.to, code, out, errs)
		}
	}
}

// TestExplainNATGatewayRejects: a REJECT logged on a NAT gateway's ENI
// (the packets of an instance on their way out, before translation) is the
// NAT subnet's network ACL: named with the topology, "forwarding ENI"
// without. QA round 7 found it ignored: "accepted, nothing answered".
func TestExplainNATGatewayRejects(t *testing.T) {
	dir := "../../testdata/explain/nat-gateway/"
	topo, err := os.ReadFile(dir + "topology.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The reply case: the NAT subnet lets only https out.
	pubEgress := "    egress:\n      - {rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow}\n      - {rule: 101, proto: all, cidr: \"::/0\", action: allow}\n  - id: acl-app"
	if !strings.Contains(string(topo), pubEgress) {
		t.Fatal("fixture changed: acl-pub egress")
	}
	narrow := filepath.Join(t.TempDir(), "topology.yaml")
	if err := os.WriteFile(narrow, []byte(strings.Replace(string(topo), pubEgress,
		"    egress:\n      - {rule: 100, proto: tcp, ports: 443, cidr: 0.0.0.0/0, action: allow}\n  - id: acl-app", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, topology, log string
		want                diag
		fix                 string
	}{
		{"request, topology", dir + "topology.yaml", "request.log",
			diag{Rule: "transit-nacl-denies-request", Verdict: "nacl", Component: "acl-pub", NACLRule: 32767, Direction: "ingress", Leg: "request", ENI: "eni-nat"},
			"Add an inbound entry to acl-pub allowing tcp port 22 from 10.0.1.0/24 (the client's subnet), with a rule number below 32767."},
		{"request, no topology", "", "request.log",
			diag{Rule: "transit-eni-request-rejected", Verdict: "nacl-or-sg", Leg: "request", ENI: "eni-nat"}, "Allow tcp port 22 to 93.184.216.34 in the network ACL of the subnet of eni-nat"},
		{"reply, topology", narrow, "reply.log",
			diag{Rule: "transit-nacl-denies-reply", Verdict: "nacl", Component: "acl-pub", NACLRule: 32767, Direction: "egress", Leg: "reply", ENI: "eni-nat"},
			"Add an outbound entry to acl-pub: allow tcp ports 1024-65535 to 10.0.1.0/24 (the client's subnet), with a rule number below 32767."},
		// The unmodified topology lets the reply out: it contradicts the
		// logs, with default-format records and with v5's packet fields.
		{"reply, topology allows it", dir + "topology.yaml", "reply.log",
			diag{Rule: "stale-topology-transit-rejected-where-allowed", Verdict: "stale-topology", Direction: "egress", Leg: "reply", ENI: "eni-nat"},
			"Re-export the topology for the incident's time"},
		{"v5 reply, topology allows it", dir + "topology.yaml", "v5-reply.log",
			diag{Rule: "stale-topology-transit-rejected-where-allowed", Verdict: "stale-topology", Direction: "egress", Leg: "reply", ENI: "eni-nat"},
			"Re-export the topology for the incident's time"},
		{"v5 reply, topology denies it", narrow, "v5-reply.log",
			diag{Rule: "transit-nacl-denies-reply", Verdict: "nacl", Component: "acl-pub", NACLRule: 32767, Direction: "egress", Leg: "reply", ENI: "eni-nat"},
			"Add an outbound entry to acl-pub: allow tcp ports 1024-65535 to 10.0.1.0/24 (the client's subnet), with a rule number below 32767."},
	} {
		args := []string{"--format", "json"}
		if tc.topology != "" {
			args = append(args, "--topology", tc.topology)
		}
		_, out, errs := explainCmd(t, nil, false, append(args, dir+tc.log)...)
		var got diag
		var full struct {
			Remediation string   `json:"remediation"`
			Evidence    []string `json:"evidence"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil || strings.Count(out, "\n") != 1 {
			t.Fatalf("%s: want one diagnosis, got %q (%v)\n%s", tc.name, out, err, errs)
		}
		json.Unmarshal([]byte(out), &full)
		if got != tc.want || !strings.HasPrefix(full.Remediation, tc.fix) || len(full.Evidence) == 0 {
			t.Errorf("%s:\n got %+v\nwant %+v\nfix %q\nevidence %v", tc.name, got, tc.want, full.Remediation, full.Evidence)
		}
	}
}

// A flow to another instance's public IP (a hairpin through the internet
// gateway) reaches the NACLs from that public address: the fix names it,
// not the instance's private subnet, which an entry would never match.
func TestFixForPublicAddressNamesIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hairpin.log")
	const logs = "2 111122223333 eni-0app1 10.0.2.20 203.0.113.10 40500 443 6 2 120 1795183000 1795183050 REJECT OK\n"
	if err := os.WriteFile(path, []byte(logs), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", threeTier, path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var d struct{ Rule, Component, Remediation string }
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &d); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if d.Rule != "nacl-denies-request-leaving-client" || d.Component != "acl-0app" {
		t.Errorf("diagnosis %s on %s; want nacl-denies-request-leaving-client on acl-0app", d.Rule, d.Component)
	}
	if !strings.Contains(d.Remediation, "tcp port 443 to 203.0.113.10,") || strings.Contains(d.Remediation, "10.0.1.0/24") {
		t.Errorf("fix %q; want it to allow tcp 443 to 203.0.113.10, not the web subnet", d.Remediation)
	}

	code, out, errs = topoRunCmd("why", "--topology", threeTier, "--from", "10.0.2.20", "--to", "203.0.113.10:443")
	if code != exitFinding {
		t.Fatalf("why: exit %d, want %d: %s", code, exitFinding, errs)
	}
	for _, want := range []string{
		"fix: add to acl-0app egress an entry numbered below 32767: allow tcp 443 to 203.0.113.10/32\n",
		"and: add to acl-0app ingress an entry numbered below 32767: allow tcp 1024-65535 from 203.0.113.10/32\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("why output lacks %q:\n%s", want, out)
		}
	}
}

// When only one side was logged, a block the topology predicts on the other
// side is worded as a prediction, and the diagnosis's ENI, evidence and
// packets are those of the ENI that logged the traffic: a reply never seen
// has no packets.
func TestPredictedBlockNamesTheLoggingENI(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, log       string
		rule, component string
		leg             string
		packets         int
		message         string
	}{
		{"reply denied leaving an unlogged server",
			"2 111122223333 eni-0web1 10.0.1.10 10.0.2.20 40000 8080 6 3 180 1795183000 1795183050 ACCEPT OK\n",
			"nacl-denies-reply-leaving-server", "acl-0app", "reply", 0,
			"The server's ENI logged nothing and no reply was seen; by the topology, the reply 10.0.2.20:8080 -> 10.0.1.10:40000 is denied leaving subnet subnet-0app"},
		{"request denied entering an unlogged server",
			"2 111122223333 eni-0app1 10.0.2.20 10.0.3.30 40000 5432 6 3 180 1795183000 1795183050 ACCEPT OK\n",
			"nacl-denies-request-entering-server", "acl-0db", "request", 3,
			"The server's ENI logged nothing; by the topology, the request tcp 10.0.2.20 -> 10.0.3.30:5432 is denied entering subnet subnet-0db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".log")
			if err := os.WriteFile(path, []byte(tc.log), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", threeTier, path)
			if code != exitFinding && code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var d struct {
				Rule, Component, Leg, ENI, Subnet, Message string
				Packets                                    int
				Evidence                                   []string
				Predicted                                  bool
			}
			if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &d); err != nil {
				t.Fatalf("%v in %q", err, out)
			}
			logger := strings.Fields(tc.log)[2]
			wantSubnet := map[string]string{"eni-0web1": "subnet-0web", "eni-0app1": "subnet-0app"}[logger]
			if d.Rule != tc.rule || d.Component != tc.component || d.Leg != tc.leg {
				t.Errorf("diagnosis %s on %s (%s leg); want %s on %s (%s leg)", d.Rule, d.Component, d.Leg, tc.rule, tc.component, tc.leg)
			}
			if d.ENI != logger || d.Subnet != wantSubnet {
				t.Errorf("eni %q subnet %q; want the logging ENI %s in %s", d.ENI, d.Subnet, logger, wantSubnet)
			}
			if d.Packets != tc.packets {
				t.Errorf("packets %d; want %d (of the blamed leg)", d.Packets, tc.packets)
			}
			if !d.Predicted {
				t.Error("predicted is not set")
			}
			if len(d.Evidence) != 1 || !strings.HasSuffix(d.Evidence[0], ".log:1") {
				t.Errorf("evidence %v; want the logged record", d.Evidence)
			}
			if !strings.HasPrefix(d.Message, tc.message) {
				t.Errorf("message %q; want it to begin %q", d.Message, tc.message)
			}
		})
	}
}

// A blamed layer without a component says why it has none: no topology was
// given, or the given topology has no check that denies the traffic.
func TestHeadlineWithoutComponent(t *testing.T) {
	g := &engine.Group{Verdict: "nacl", Direction: "egress"}
	if got, want := headline(g), "network ACL (id unknown without --topology) egress"; got != want {
		t.Errorf("no topology: %q; want %q", got, want)
	}
	g.Examples = []engine.Diagnosis{{Topology: true}}
	if got, want := headline(g), "network ACL (not identified: the topology has no check that denies it) egress"; got != want {
		t.Errorf("with topology: %q; want %q", got, want)
	}
}

// Past an explicit deny of a range or a port (a deliberate exclusion) the
// fix lets the blocked client alone through; past a deny of everything from
// anywhere (a lock-down standing in for the default deny) it names the
// client's subnet as for the default deny.
func TestFixPastDeliberateDeny(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "denies.log")
	const logs = "2 111122223333 eni-0app1 10.0.1.200 10.0.2.20 41000 8080 6 2 120 1795183000 1795183060 REJECT OK\n" +
		"2 111122223333 eni-0web2 10.0.1.200 10.0.2.20 41000 8080 6 4 240 1795183000 1795183120 ACCEPT OK\n" +
		"2 111122223333 eni-0db1 10.0.2.20 10.0.3.30 40001 5432 6 1 60 1795183000 1795183060 REJECT OK\n"
	if err := os.WriteFile(path, []byte(logs), 0o644); err != nil {
		t.Fatal(err)
	}
	// Without acl-0app's allow #100 the deny #90 shadows nothing.
	topo, err := os.ReadFile(threeTier)
	if err != nil {
		t.Fatal(err)
	}
	const allow100 = "      - {rule: 100, proto: tcp, ports: 8080, cidr: 10.0.1.0/24, action: allow}\n"
	if !strings.Contains(string(topo), allow100) {
		t.Fatal("fixture changed: acl-0app #100")
	}
	noAllow := filepath.Join(dir, "no-allow.yaml")
	if err := os.WriteFile(noAllow, []byte(strings.Replace(string(topo), allow100, "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		topology string
		want     map[string]string
	}{
		{threeTier, map[string]string{
			"acl-0app": "Add an inbound entry to acl-0app allowing tcp port 8080 from 10.0.1.200/32 alone (deny #90 comes before acl-0app ingress #100 allow tcp 8080 from 10.0.1.0/24, which would admit it: if that entry is meant to apply, narrow #90 or renumber it after #100 instead), with a rule number below 90.",
			"acl-0db":  "Add an inbound entry to acl-0db allowing tcp port 5432 from 10.0.2.0/24 (the client's subnet), with a rule number below 100.",
		}},
		{noAllow, map[string]string{
			"acl-0app": "Add an inbound entry to acl-0app allowing tcp port 8080 from 10.0.1.200/32 alone (deny #90 looks deliberate: let only this client past it, or narrow #90), with a rule number below 90.",
			"acl-0db":  "Add an inbound entry to acl-0db allowing tcp port 5432 from 10.0.2.0/24 (the client's subnet), with a rule number below 100.",
		}},
	} {
		_, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", tc.topology, path)
		checkFixes(t, filepath.Base(tc.topology), out+errs, out, tc.want, true)
	}
}

// checkFixes checks the JSON diagnoses in out: the fix of the diagnosis
// blaming each component of want begins with want's text. With only, a
// diagnosis of another component is an error too.
func checkFixes(t *testing.T, label, context, out string, want map[string]string, only bool) {
	t.Helper()
	want = maps.Clone(want)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var d struct{ Component, Remediation string }
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("%s: %v in %q\n%s", label, err, line, context)
		}
		w, ok := want[d.Component]
		if !ok {
			if only {
				t.Errorf("%s: unexpected diagnosis on %q", label, d.Component)
			}
			continue
		}
		delete(want, d.Component)
		if !strings.HasPrefix(d.Remediation, w) {
			t.Errorf("%s: %s: fix %q; want it to begin %q", label, d.Component, d.Remediation, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("%s: no diagnosis on %v:\n%s", label, want, context)
	}
}

// A group needing more different fixes than the report counts prints its
// long label once, wrapped, not once unwrapped and once wrapped.
func TestLongFixLabelPrintedOnce(t *testing.T) {
	var b strings.Builder
	for port := 20; port < 60; port++ {
		// A client per port: one client's rejections on many ports would be
		// a scan, which needs no fix.
		fmt.Fprintf(&b, "2 111122223333 eni-0web1 198.51.100.%d 10.0.1.10 55555 %d 6 1 40 1795183000 1795183060 REJECT OK\n", port, port)
	}
	path := filepath.Join(t.TempDir(), "scan.log")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, colour := range []string{"never", "always"} {
		_, out, errs := explainCmd(t, nil, false, "--color", colour, "--topology", threeTier, path)
		if n := strings.Count(out, "Fix (for the first example"); n != 1 {
			t.Errorf("--color %s: label printed %d times:\n%s%s", colour, n, out, errs)
		}
		for _, line := range strings.Split(out, "\n") {
			if len([]rune(line)) > 80 && colour == "never" {
				t.Errorf("line longer than 80 columns: %q", line)
			}
		}
	}
}

// A security group fix names the peer's group only within one VPC: a group
// of a peered VPC can be referenced only over a peering connection in the
// same Region, which the topology does not model, so the fix names the
// address.
func TestSGFixAcrossVPCsNamesTheAddress(t *testing.T) {
	dir := "../../testdata/explain/nat-gateway/"
	path := filepath.Join(t.TempDir(), "peer.log")
	const logs = "2 111122223333 eni-peer1 10.0.1.10 10.1.0.10 40000 6380 6 1 60 1795183000 1795183060 REJECT OK\n" +
		"2 111122223333 eni-app1 10.0.1.10 10.1.0.10 40000 6380 6 1 60 1795183000 1795183060 ACCEPT OK\n" +
		// Within the VPC the group is named.
		"2 111122223333 eni-app1 10.0.0.10 10.0.1.10 40001 9000 6 1 60 1795183000 1795183060 REJECT OK\n"
	if err := os.WriteFile(path, []byte(logs), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", dir+"topology.yaml", path)
	checkFixes(t, "peer.log", out+errs, out, map[string]string{
		"sg-peer": "Add an inbound rule to sg-peer allowing tcp port 6380 from 10.0.1.10.",
		"sg-app":  "Add an inbound rule to sg-app allowing tcp port 9000 from the client's security group sg-web (or from 10.0.0.10).",
	}, false)
	_, out, _ = runCmd("", "why", "--topology", dir+"topology.yaml", "--from", "10.0.1.10", "--to", "10.1.0.10:6380")
	if !strings.Contains(out, "fix: add to sg-peer (on eni-peer1) an ingress rule: allow tcp 6380 from 10.0.1.10/32\n") {
		t.Errorf("why across VPCs:\n%s", out)
	}
}

// TestExplainThroughTransitGateway: a request logged on four ENIs (both
// instances and both Transit Gateway attachments) and rejected on the last
// is diagnosed with the topology (the server's group, its address in the
// fix: another VPC) and from the logs alone (a rejection ends the path, so
// the rejecting ENI is the server's). The logs-alone run once found
// nothing: role inference stopped at two ENIs.
func TestExplainThroughTransitGateway(t *testing.T) {
	const dir = "../../testdata/explain/tgw/"
	for _, tc := range []struct {
		topology, log string
		want          diag
		fix           string
	}{
		{"../../testdata/topology/aws/batfish", "flows.log",
			diag{Rule: "sg-denies-request-entering-server", Verdict: "sg", Component: "sg-081797c4fc92bb8ec", Direction: "ingress", Leg: "request", ENI: "eni-0d1a34edceb1e9c42"},
			"Add an inbound rule to sg-081797c4fc92bb8ec allowing tcp port 80 from 10.1.1.100."},
		{"", "flows.log",
			diag{Rule: "request-rejected-inbound", Verdict: "nacl-or-sg", Direction: "ingress", Leg: "request", ENI: "eni-0d1a34edceb1e9c42"},
			"Allow tcp port 80 from 10.1.1.100 inbound in a security group of eni-0d1a34edceb1e9c42"},
		// The SSH reply rejected on the fish VPC's attachment: the topology
		// makes it a forwarding ENI (both ends are other ENIs') whose subnet
		// has no ACL in the snapshot, so the topology disagrees with the
		// logs. It once read "late FIN/RST packets": a rule about the ends'
		// rejections matched a rejection on neither end.
		{"../../testdata/topology/aws/batfish", "reply.log",
			diag{Rule: "stale-topology-transit-rejected-where-allowed", Verdict: "stale-topology", Direction: "ingress", Leg: "reply", ENI: "eni-02c0a3e91d5705a3f"},
			"Re-export the topology"},
		{"", "reply.log",
			diag{Rule: "unknown-eni-reply-rejected", Verdict: "nacl", Leg: "reply", ENI: "eni-02c0a3e91d5705a3f"},
			"Allow the reply: tcp ports 1024-65535 to 10.1.1.100"},
		// With the attachments' ACLs: the attachment in the server's VPC
		// meets the request going out toward the server and the reply
		// coming in from it (its ACL allows port 22 both ways, as if the
		// reply's destination port were 22).
		{dir + "topology.yaml", "reply.log",
			diag{Rule: "transit-nacl-denies-reply", Verdict: "nacl", Component: "acl-fish-tgw", NACLRule: 32767, Direction: "ingress", Leg: "reply", ENI: "eni-02c0a3e91d5705a3f"},
			"Add an inbound entry to acl-fish-tgw: allow tcp ports 1024-65535 from 10.2.1.0/24 (the server's subnet), with a rule number below 32767."},
		// flow-direction shows the client's address on the attachment's
		// egress record: the topology knows it is another ENI's.
		{dir + "topology.yaml", "attachment.log",
			diag{Rule: "transit-nacl-denies-request", Verdict: "nacl", Component: "acl-fish-tgw", NACLRule: 32767, Direction: "egress", Leg: "request", ENI: "eni-02c0a3e91d5705a3f"},
			"Add an outbound entry to acl-fish-tgw allowing tcp port 80 to 10.2.1.0/24 (the server's subnet), with a rule number below 32767."},
		{"../../testdata/topology/aws/batfish", "attachment.log",
			diag{Rule: "stale-topology-transit-rejected-where-allowed", Verdict: "stale-topology", Direction: "egress", Leg: "request", ENI: "eni-02c0a3e91d5705a3f"},
			"Re-export the topology"},
	} {
		args := []string{"--format", "json"}
		if tc.topology != "" {
			args = append(args, "--topology", tc.topology)
		}
		_, out, errs := explainCmd(t, nil, false, append(args, dir+tc.log)...)
		var got diag
		var full struct{ Remediation string }
		if err := json.Unmarshal([]byte(out), &got); err != nil || strings.Count(out, "\n") != 1 {
			t.Fatalf("topology %q: want one diagnosis, got %q (%v)\n%s", tc.topology, out, err, errs)
		}
		_ = json.Unmarshal([]byte(out), &full)
		if got != tc.want || !strings.HasPrefix(full.Remediation, tc.fix) {
			t.Errorf("topology %q:\n got %+v\nwant %+v\nfix %q", tc.topology, got, tc.want, full.Remediation)
		}
	}
}

// TestExplainNATTranslatedReplyRejected: both sides of a NAT gateway's
// translation in the default format, the reply rejected arriving at the NAT
// (its subnet's ACL admits the ephemeral range only from inside the VPC).
// The NAT's ENI is the client of the translated connection, whatever it
// logged, and the instance's connection points at it. Every record of the
// NAT's ENI shares the server's public address, which was once taken for
// the ENI's own: the NAT became the "server" whose reply left it rejected.
func TestExplainNATTranslatedReplyRejected(t *testing.T) {
	dir := "../../testdata/explain/nat-gateway/"
	topo, err := os.ReadFile(dir + "topology.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const open = "{rule: 110, proto: tcp, ports: 1024-65535, cidr: 0.0.0.0/0, action: allow}"
	if !strings.Contains(string(topo), open) {
		t.Fatal("fixture changed: acl-pub ingress #110")
	}
	inside := filepath.Join(t.TempDir(), "topology.yaml")
	if err := os.WriteFile(inside, []byte(strings.Replace(string(topo), open, strings.Replace(open, "0.0.0.0/0", "10.0.0.0/16", 1), 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		topology string
		want     []string // rule eni, in output order
	}{
		{inside, []string{"nacl-denies-reply-entering-client eni-nat", "no-reply eni-app1"}},
		{"", []string{"reply-rejected-entering-client eni-nat", "no-reply eni-app1"}},
	} {
		args := []string{"--format", "json"}
		if tc.topology != "" {
			args = append(args, "--topology", tc.topology)
		}
		_, out, errs := explainCmd(t, nil, false, append(args, dir+"translated.log")...)
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var d struct{ Rule, ENI, Message string }
			if err := json.Unmarshal([]byte(line), &d); err != nil {
				t.Fatalf("%v in %q\n%s", err, out, errs)
			}
			got = append(got, d.Rule+" "+d.ENI)
			if d.Rule == "no-reply" && tc.topology != "" && !strings.Contains(d.Message, "The request left through eni-nat") {
				t.Errorf("no-reply does not point at the NAT gateway: %q", d.Message)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("topology %q: %q; want %q", tc.topology, got, tc.want)
		}
	}
}

// The Markdown timeline does not call a predicted block's logged traffic
// "blocked": nothing blocked was logged.
func TestMarkdownTimelineOfPredictedBlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onlyreq.log")
	if err := os.WriteFile(path, []byte("2 111122223333 eni-0web1 10.0.1.10 10.0.2.20 40000 8080 6 3 180 1795183000 1795183050 ACCEPT OK\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, errs := explainCmd(t, nil, false, "--format", "markdown", "--topology", threeTier, path)
	if !strings.Contains(out, "first traffic of #1 (network ACL acl-0app egress rule #32767") || strings.Contains(out, "blocked traffic") {
		t.Errorf("timeline:\n%s%s", out, errs)
	}
}

// The text report fits 80 columns on the bundled fixtures, but for lines
// holding a path that cannot be broken (evidence, the input's name).
func TestTextFitsEightyColumns(t *testing.T) {
	runs := [][]string{
		{"--topology", "../../testdata/topology/aws/batfish", "../../testdata/explain/tgw/reply.log"},
		{"../../testdata/explain/tgw/flows.log"},
		{"--topology", "../../testdata/explain/nat-gateway/topology.yaml", "../../testdata/explain/nat-gateway/v5-reply.log"},
		{"--topology", "../../testdata/incidents/shop-topology.yaml", "../../testdata/incidents/shop-outage.log.gz"},
		{"../../testdata/incidents/shop-outage.log.gz"},
	}
	for _, args := range runs {
		_, out, errs := explainCmd(t, nil, false, append([]string{"--color", "never"}, args...)...)
		for _, line := range strings.Split(out, "\n") {
			if len([]rune(line)) > 80 && !strings.Contains(line, "testdata/") {
				t.Errorf("%v: line of %d columns: %q\n%s", args, len([]rune(line)), line, errs)
			}
		}
	}
}

// QA round 9, E2 and E3. The server's ENI logged NODATA while the client
// sent the request: it was idle, so the request never reached it, and no
// check there (which would have logged a rejection) is to blame: the
// topology's prediction for the reply is not evidence. Gaps beside a
// conversation, not overlapping it, are not its gaps.
func TestExplainNoDataOnTheServer(t *testing.T) {
	type gap struct {
		ENI    string `json:"eni"`
		Status string `json:"status"`
	}
	type row struct {
		diag
		Predicted bool `json:"predicted"`
		Flow      struct {
			ClientPort int `json:"client_port"`
		} `json:"flow"`
		Evidence []string `json:"evidence"`
		Gaps     []gap    `json:"gaps"`
	}
	run := func(log string) []row {
		t.Helper()
		code, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", "testdata/qa9/topology.yaml", "testdata/qa9/"+log)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var rows []row
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r row
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r)
		}
		slices.SortFunc(rows, func(a, b row) int { return a.Flow.ClientPort - b.Flow.ClientPort })
		return rows
	}
	got := run("server-nodata.log")
	want := diag{Rule: "request-not-seen-by-server", Verdict: "routing-or-unmonitored", Leg: "request", ENI: "eni-app1"}
	if len(got) != 1 || got[0].diag != want || got[0].Predicted || len(got[0].Gaps) != 1 || got[0].Gaps[0] != (gap{"eni-db1", "NODATA"}) {
		t.Errorf("server-nodata.log: %+v\nwant %+v with eni-db1's NODATA", got, want)
	}
	_, text, _ := explainCmd(t, nil, false, "--topology", "testdata/qa9/topology.yaml", "testdata/qa9/server-nodata.log")
	if !strings.Contains(text, "eni-app1 13:58:20 testdata/qa9/server-nodata.log:3") || !strings.Contains(text, "eni-db1, the server's ENI, logged NODATA then") {
		t.Errorf("text:\n%s", text)
	}

	got = run("gaps-beside.log")
	if len(got) != 2 {
		t.Fatalf("gaps-beside.log: %d diagnoses, want 2: %+v", len(got), got)
	}
	// 61500 (13:56:40-13:57:30) overlaps eni-app1's SKIPDATA only; 61600
	// (13:58:20-13:59:10) eni-db1's NODATA only.
	if g := got[0].Gaps; got[0].Flow.ClientPort != 61500 || len(g) != 1 || g[0] != (gap{"eni-app1", "SKIPDATA"}) {
		t.Errorf("61500: %+v", got[0])
	}
	if g := got[1].Gaps; got[1].Flow.ClientPort != 61600 || len(g) != 1 || g[0] != (gap{"eni-db1", "NODATA"}) || got[1].Rule != "request-not-seen-by-server" {
		t.Errorf("61600: %+v", got[1])
	}
}

// QA round 9, E1: one internet address probing 14 ports of the bastion,
// one packet each, is a scan the rules stopped as intended: one INFO group
// with nothing to open, not 14 errors whose fixes open SMB and RDP to the
// scanner (and --fail-on error passes). The corporate SSH session in the
// same file is untouched, and a client retrying the one port a rule stops
// is still an error.
func TestExplainScanIsNotAMisconfiguration(t *testing.T) {
	for _, topo := range [][]string{nil, {"--topology", "testdata/qa9/topology.yaml"}} {
		args := append([]string{"--format", "json", "--fail-on", "error"}, topo...)
		code, out, errs := explainCmd(t, nil, false, append(args, "testdata/qa9/scan.log")...)
		if code != exitOK {
			t.Fatalf("topology %v: exit %d: %s", topo, code, errs)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 14 {
			t.Fatalf("topology %v: %d diagnoses, want 14 probes", topo, len(lines))
		}
		for _, line := range lines {
			var d struct {
				diag
				Severity    string `json:"severity"`
				Remediation string `json:"remediation"`
			}
			if err := json.Unmarshal([]byte(line), &d); err != nil {
				t.Fatal(err)
			}
			if d.Rule != "scan-from-internet-blocked" || d.Severity != "info" || d.Verdict != "not-a-misconfiguration" ||
				d.ENI != "eni-bastion" || !strings.HasPrefix(d.Remediation, "Nothing to open.") {
				t.Errorf("topology %v: %s", topo, line)
			}
		}
		_, text, _ := explainCmd(t, nil, false, append(topo, "testdata/qa9/scan.log")...)
		if !strings.Contains(text, "14 diagnosed conversations in 1 group") || strings.Contains(text, "Add an inbound") {
			t.Errorf("topology %v: text:\n%s", topo, text)
		}
	}
	path := filepath.Join(t.TempDir(), "retry.log")
	var b strings.Builder
	for i := range 6 {
		fmt.Fprintf(&b, "2 111122223333 eni-bastion 203.0.113.9 10.50.0.5 %d 22 6 2 120 %d %d REJECT OK\n", 40000+i, 1795183000+60*i, 1795183050+60*i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := explainCmd(t, nil, false, "--format", "json", "--fail-on", "error", "--topology", "testdata/qa9/topology.yaml", path)
	if code != exitFinding || !strings.Contains(out, `"rule":"sg-denies-request-entering-server"`) || strings.Contains(out, "scan") {
		t.Errorf("retries of one port: exit %d\n%s", code, out)
	}
}

// QA round 9, E4: traffic to a service no security group or network ACL
// filters (the VPC's resolver, instance metadata) logged rejected is not
// an SG or NACL matter: with the topology it is a stale-topology warning
// that says why, never "give --topology".
func TestExplainRejectedToUnfilteredService(t *testing.T) {
	for _, log := range []string{"resolver.log", "imds.log"} {
		code, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", "testdata/qa9/topology.yaml", "testdata/qa9/"+log)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", log, code, errs)
		}
		var d struct {
			diag
			Message string `json:"message"`
		}
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatal(err)
		}
		if d.Rule != "rejected-where-nothing-filters" || d.Verdict != "stale-topology" || d.ENI != "eni-app1" ||
			strings.Contains(d.Message, "--topology") || !strings.Contains(d.Message, "never filter") {
			t.Errorf("%s: %s", log, out)
		}
	}
}

// QA round 9, E9: a private instance reaching the bastion's Elastic IP
// through the NAT gateway hairpins through the internet gateway: the
// bastion's group sees the NAT's public IP, so every conversation of the
// path gets the one fix that works (allow from 203.0.113.50), never the
// NAT's or the instance's private address or group.
func TestExplainHairpinThroughNAT(t *testing.T) {
	code, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", "testdata/qa9/topology-sg-ref.yaml", "testdata/qa9/hairpin-nat.log")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d diagnoses:\n%s", len(lines), out)
	}
	for _, line := range lines {
		var d struct {
			diag
			Remediation string `json:"remediation"`
		}
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatal(err)
		}
		if d.Component != "sg-bastion" || d.Remediation != "Add an inbound rule to sg-bastion allowing tcp port 22 from 203.0.113.50." {
			t.Errorf("%s", line)
		}
	}
}

// Markdown escapes what would change the rendering (table pipes, HTML,
// emphasis, code spans) and keeps the text: a backtick stays a backtick
// (QA 10, R13), a line break is a space.
func TestMarkdownEscape(t *testing.T) {
	for in, want := range map[string]string{
		"Title | with pipe `tick` <b>bold</b> *star*": "Title \\| with pipe \\`tick\\` &lt;b&gt;bold&lt;/b&gt; \\*star\\*",
		"line1\nline2  \n":                            "line1 line2",
		"snake_case":                                  "snake\\_case",
	} {
		if got := mdEscape(in); got != want {
			t.Errorf("mdEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

// QA round 11, S1, and QA 13, U9: a scan from inside, logged on the
// scanner's ENI too, is a warning for its probes of well-known ports; its
// probes of high ports stay the rules' errors (a load balancer's health
// checks to dynamic ports look the same).
func TestExplainInsideScan(t *testing.T) {
	_, text, _ := explainCmd(t, nil, false, "--topology", "testdata/qa11/topo2.yaml", "testdata/qa11/H-inside-vscan.log")
	if !strings.Contains(text, "WARNING An address inside the network probes many ports") || !strings.Contains(text, "Blamed: scanner 10.60.1.11") {
		t.Errorf("inside scan:\n%s", text)
	}
}

// QA round 11, S1 S3 S4 S7: the scan rules on the shapes scans and
// misconfigurations take. A scan from inside logged on the scanner's ENI
// too, a scanner re-probing (6 packets a record) and a sweep of one port
// over 20 hosts are each one group with nothing to open; an office's
// automation retrying tcp 22 on 20 hosts (4 packets each) is the security
// group's error it is.
func TestExplainScanShapes(t *testing.T) {
	for _, tc := range []struct {
		log, rule, severity string
		groups              int
	}{
		{"E-scan-6pkts.log", "scan-from-internet-blocked", "info", 1},
		{"G-horiz-3389.log", "scan-from-internet-blocked", "info", 1},
		{"B-ansible-newoffice.log", "sg-denies-request-entering-server", "error", 1},
		// A passive-FTP client holding its control session: the group's error.
		{"A2-ftp-passive-lowpasv.log", "sg-denies-request-entering-server", "error", 1},
	} {
		code, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", "testdata/qa11/topo2.yaml", "testdata/qa11/"+tc.log)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", tc.log, code, errs)
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var d struct {
				diag
				Severity string `json:"severity"`
			}
			if err := json.Unmarshal([]byte(line), &d); err != nil {
				t.Fatal(err)
			}
			if d.Rule != tc.rule || d.Severity != tc.severity {
				t.Errorf("%s: %s", tc.log, line)
				break
			}
		}
		_, text, _ := explainCmd(t, nil, false, "--topology", "testdata/qa11/topo2.yaml", "testdata/qa11/"+tc.log)
		if !strings.Contains(text, fmt.Sprintf("in %d group", tc.groups)) {
			t.Errorf("%s: want %d group(s):\n%s", tc.log, tc.groups, text)
		}
	}
}

// QA round 11, S15, S11, S10: an IPv6 scanner rotating within its /64 is
// one scanner; a server ENI's NODATA over the request means it never
// arrived, with or without the topology; a NODATA window that starts when
// the conversation ends does not overlap it.
func TestExplainQA11Gaps(t *testing.T) {
	_, text, _ := explainCmd(t, nil, false, "--topology", "testdata/qa9/topology.yaml", "testdata/qa11/IP6-rotating-scan.log")
	if !strings.Contains(text, "12 diagnosed conversations in 1 group") || !strings.Contains(text, "Blamed: scanner 2001:db8:bad::/64") {
		t.Errorf("IPv6 scan:\n%s", text)
	}
	code, out, errs := explainCmd(t, nil, false, "--format", "json", "testdata/qa11/N10-v5-nodata-notopo.log")
	if code != exitOK || !strings.Contains(out, `"rule":"request-not-seen-by-server"`) {
		t.Errorf("NODATA without topology: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = explainCmd(t, nil, false, "--format", "json", "--topology", "testdata/qa11/topo2.yaml", "testdata/qa11/N6-nodata-adjacent.log")
	if code != exitOK || strings.Contains(out, `"gaps"`) || strings.Contains(out, "logged NODATA then") {
		t.Errorf("adjacent NODATA: exit %d\n%s%s", code, out, errs)
	}
}

// QA 12 T13, QA 13 U2: both sides of a hairpin get the one fix that works,
// allowing the sender's public IP; the far side's client is its public IP,
// whose groups the server's rules cannot see.
func TestExplainHairpinBothSides(t *testing.T) {
	code, out, errs := explainCmd(t, nil, false, "--format", "json", "--topology", "testdata/qa10/hairpin.yaml", "testdata/qa10/hairpin.log")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.Contains(line, `"remediation":"Add an inbound rule to sg-b allowing tcp port 443 from 54.0.0.10."`) {
			t.Errorf("%s", line)
		}
	}
}
