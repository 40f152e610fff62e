package review

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowdiag/flowdiag/engine"
	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/topology"
)

var (
	bundledPolicy   = filepath.Join("..", "testdata", "review", "policy.yaml")
	bundledTopology = filepath.Join("..", "testdata", "review", "topology.yaml")
	bundledIncident = filepath.Join("..", "testdata", "review", "incident.log")
	reviewNow       = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
)

func compileBundled(t *testing.T, withTopo bool) *Compiled {
	t.Helper()
	p, err := LoadFile(bundledPolicy)
	if err != nil {
		t.Fatal(err)
	}
	var topo *topology.Topology
	if withTopo {
		if topo, err = topology.Load(bundledTopology); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Compile(p, topo, reviewNow)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func runBundled(t *testing.T, c *Compiled) []Finding {
	t.Helper()
	var opts flowlog.StreamOptions
	opts.Strict = true
	st, err := flowlog.OpenStream([]string{bundledIncident}, strings.NewReader(""), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []Finding
	if _, err := c.Run(st, engine.RunOptions{}, func(f *Finding) error { out = append(out, *f); return nil }); err != nil {
		t.Fatal(err)
	}
	Sort(out)
	return out
}

// TestBundledIncident checks the acceptance items on the bundled policy,
// topology and incident.
func TestBundledIncident(t *testing.T) {
	c := compileBundled(t, true)
	fs := runBundled(t, c)
	type want struct {
		kind              Kind
		prohibition, flow string
		sev               string
		evidence          string
		suppressedBy      string
		packets, bytes    int64
	}
	wants := []want{
		{KindReached, "data-no-internet", "tcp 10.20.20.41:51344 -> 203.0.113.50:443", "critical", "incident.log:6 incident.log:8", "", 23, 6000},
		{KindReached, "no-exfil-hosts", "tcp 10.20.10.31:43822 -> 198.51.100.77:443", "error", "incident.log:11", "", 40, 52000},
		{KindReached, "no-direct-smtp", "tcp 10.20.10.32:39001 -> 203.0.113.25:587", "warning", "incident.log:13", "", 18, 9400},
		{KindBlocked, "data-no-internet", "tcp 10.20.20.41:51402 -> 185.199.108.133:80", "info", "incident.log:9", "", 3, 180},
		{KindBlocked, "data-no-internet", "tcp 10.20.20.41:51410 -> 185.199.108.133:80", "info", "incident.log:10", "", 3, 180},
		{KindReached, "data-no-internet", "tcp 10.20.20.41:51200 -> 52.95.130.10:443", "info", "incident.log:4", "db-backup-upload", 900, 1250000},
	}
	if len(fs) != len(wants) {
		for _, f := range fs {
			t.Logf("%s %s %s", f.Kind, f.Prohibition, flowText(f.Flow))
		}
		t.Fatalf("got %d traffic findings; want %d", len(fs), len(wants))
	}
	for i, w := range wants {
		f := fs[i]
		var ev []string
		for _, e := range f.Evidence {
			ev = append(ev, filepath.Base(e))
		}
		sup := ""
		if f.Suppressed != nil {
			sup = f.Suppressed.Exception
		}
		if f.Kind != w.kind || f.Prohibition != w.prohibition || flowText(f.Flow) != w.flow || f.Severity.String() != w.sev ||
			strings.Join(ev, " ") != w.evidence || sup != w.suppressedBy || f.Packets != w.packets || f.Bytes != w.bytes {
			t.Errorf("finding %d = %s %s %s %s evidence %v suppressed %q %d packets %d bytes;\nwant %+v",
				i, f.Kind, f.Prohibition, flowText(f.Flow), f.Severity, ev, sup, f.Packets, f.Bytes, w)
		}
	}
	// The expired exception is a finding of its own and suppresses nothing.
	pf := c.PolicyFindings()
	var expired []string
	for _, f := range pf {
		if f.Kind == KindExpired {
			expired = append(expired, f.Rule+" "+f.Location.String())
		}
	}
	if len(expired) != 1 || expired[0] != "legacy-monitoring "+bundledPolicy+":46:9" {
		t.Errorf("expired-exception findings = %v; want legacy-monitoring at policy.yaml:46:9", expired)
	}
}

// TestBundledWithoutTopology: the logs alone still give the traffic
// findings of prohibitions that do not need the topology.
func TestBundledWithoutTopology(t *testing.T) {
	p, err := LoadFile(bundledPolicy)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(p, nil, reviewNow); err == nil {
		t.Fatal("Compile without topology accepted security group sources")
	}
	if c := compileBundled(t, true); len(c.Analyze()) == 0 {
		t.Error("Analyze found nothing on the bundled topology")
	}
}

// QA round 10, R4: default-format records of private addresses, without a
// topology, do not show which end the logging ENI is; the conversation is
// still a request that was accepted (reached) or rejected (blocked) on the
// path, whichever end it is. The records are the first of
// data-inbox/otel-collector-contrib's valid_vpc_flow_log_multi.log.
func TestReviewLogsWithoutTopologyOrDirection(t *testing.T) {
	const log = `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.16.21 172.31.16.139 22 20641 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK
`
	var got []string
	for _, f := range reviewLog(t, `destinations:
  - name: legacy-net
    cidrs: [172.31.0.0/16]
prohibitions:
  - id: no-legacy
    reason: nothing may talk to the legacy network
    from: everything
    to: legacy-net
`, log) {
		got = append(got, string(f.Kind)+" "+f.Flow.Client+"->"+f.Flow.Server+" "+f.ENI)
	}
	slices.Sort(got)
	want := []string{
		"traffic-blocked 172.31.9.69->172.31.9.12 eni-1235b8ca123456789",
		"traffic-reached 172.31.16.139->172.31.16.21 eni-1235b8ca123456789",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings %q\nwant %q", got, want)
	}
}

// QA 12, T12: an inbound prohibition's traffic findings say who was
// reached from a prohibited source, not that the source reached a
// prohibited destination.
func TestInboundTrafficWording(t *testing.T) {
	const log = "2 1 eni-app1 203.0.113.9 10.50.2.10 50000 22 6 5 300 1795183000 1795183060 ACCEPT OK\n" +
		"2 1 eni-app1 10.50.2.10 203.0.113.9 22 50000 6 5 300 1795183000 1795183060 ACCEPT OK\n" +
		"2 1 eni-app1 198.51.100.9 10.50.2.10 50001 22 6 2 120 1795183000 1795183060 REJECT OK\n"
	var got []string
	for _, f := range reviewLog(t, `prohibitions:
  - {id: no-ssh-in, reason: r, direction: inbound, from: everything, to: internet, when: 'flow.server_port == 22'}
`, log) {
		got = append(got, f.Message)
	}
	slices.Sort(got)
	want := []string{
		"tcp 198.51.100.9:50001 -> 10.50.2.10:22 (logged on eni-app1) was REJECTed: 198.51.100.9, a source prohibited by no-ssh-in, tried to reach 10.50.2.10, and a security group or network ACL stopped it.",
		"tcp 203.0.113.9:50000 -> 10.50.2.10:22 (logged on eni-app1) was ACCEPTed: 10.50.2.10 was reached from 203.0.113.9, a source prohibited by no-ssh-in.",
	}
	if !slices.Equal(got, want) {
		t.Errorf("messages:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// QA 12, T18: an ENI-scoped prohibition on default-format records between
// two private addresses: the records do not show which end the ENI is, so
// its traffic with a prohibited address is reported as a warning that says
// so, not passed over.
func TestReviewUnplacedENI(t *testing.T) {
	const log = "2 1 eni-db1 10.50.1.10 10.50.2.10 40001 514 17 600 180000 1795183000 1795183120 ACCEPT OK\n" +
		"2 1 eni-other 10.50.1.10 10.50.3.10 40002 514 17 10 3000 1795183000 1795183120 ACCEPT OK\n"
	got := reviewLog(t, `prohibitions:
  - {id: db-no-private, reason: r, severity: critical, from: {enis: [eni-db1]}, to: rfc1918}
`, log)
	if len(got) != 1 || got[0].ENI != "eni-db1" || got[0].Severity.String() != "warning" || !strings.Contains(got[0].Message, "the records do not show whether it sent this or received it") {
		t.Errorf("findings %+v", got)
	}
}

// reviewLog runs policy (YAML) over log without a topology and returns
// the traffic findings.
func reviewLog(t *testing.T, policy, log string) []Finding {
	t.Helper()
	p, err := Load("policy.yaml", []byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p, nil, reviewNow)
	if err != nil {
		t.Fatal(err)
	}
	st, err := flowlog.OpenStream([]string{"-"}, strings.NewReader(log), flowlog.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var got []Finding
	if _, err := c.Run(st, engine.RunOptions{}, func(f *Finding) error { got = append(got, *f); return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}
