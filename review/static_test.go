package review

import (
	"strings"
	"testing"
	"time"

	"github.com/flowdiag/flowdiag/topology"
)

const staticTopo = `
vpcs:
  - {id: vpc-1, cidrs: [10.0.0.0/16]}
subnets:
  - {id: subnet-a, vpc: vpc-1, cidrs: [10.0.1.0/24], nacl: acl-a}
  - {id: subnet-b, vpc: vpc-1, cidrs: [10.0.2.0/24], nacl: acl-b}
security_groups:
  - id: sg-app
    vpc: vpc-1
    ingress:
      - {proto: tcp, ports: 22, cidrs: [0.0.0.0/0]}
      - {proto: tcp, ports: 443, cidrs: [10.0.0.0/16]}
    egress:
      - {proto: tcp, ports: 443, cidrs: [0.0.0.0/0]}
      - {proto: tcp, ports: 5432, groups: [sg-partner]}
  - id: sg-partner
    vpc: vpc-1
    egress:
      - {proto: tcp, ports: 0-65535, cidrs: [10.0.0.0/16]}
network_acls:
  - id: acl-a
    vpc: vpc-1
    subnets: [subnet-a]
    ingress:
      - {rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow}
    egress:
      - {rule: 90, proto: tcp, ports: 443, cidr: 203.0.113.0/25, action: deny}
      - {rule: 100, proto: tcp, ports: 0-1023, cidr: 0.0.0.0/0, action: allow}
  - id: acl-b
    vpc: vpc-1
    subnets: [subnet-b]
    ingress:
      - {rule: 100, proto: all, cidr: 10.0.0.0/16, action: allow}
    egress:
      - {rule: 100, proto: all, cidr: 10.0.0.0/16, action: allow}
enis:
  - {id: eni-app, subnet: subnet-a, addresses: [10.0.1.10], security_groups: [sg-app]}
  - {id: eni-partner, subnet: subnet-b, addresses: [10.0.2.20], security_groups: [sg-partner]}
`

func analyze(t *testing.T, policy string) []Finding {
	t.Helper()
	topo, err := topology.ParseYAML("topo.yaml", []byte(staticTopo))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load("p.yaml", []byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p, topo, reviewNow)
	if err != nil {
		t.Fatal(err)
	}
	fs := c.Analyze()
	Sort(fs)
	return fs
}

// analyzeFiles compiles policy file policy against topology file topo (both
// under testdata/) at now and returns the rule findings by rule.
func analyzeFiles(t *testing.T, policy, topo string, now time.Time) map[string]Finding {
	t.Helper()
	tp, err := topology.Load("testdata/" + topo)
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadFile("testdata/" + policy)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p, tp, now)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Finding{}
	for _, f := range c.Analyze() {
		out[f.Rule] = f
	}
	return out
}

var qa12Now = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

func summary(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Severity.String()+" "+f.Rule+" @"+f.Location.String()+": "+f.Fix)
	}
	return out
}

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name, policy string
		want         []string
	}{
		{"deny entry shadows part of the allow; the rest stays open", `
destinations:
  - {name: partner, cidrs: [203.0.113.0/24], ports: [443]}
prohibitions:
  - {id: no-partner, reason: r, from: {enis: [eni-app]}, to: partner}
`, []string{
			"error sg-app egress[0] @topo.yaml:14:9: security groups cannot deny, and 0.0.0.0/0 minus the prohibited set is 24 prefixes: deny 203.0.113.0/24 in the subnets' network ACLs, or replace 0.0.0.0/0 in sg-app egress[0] by the destinations the ENIs need",
			"error acl-a egress #100 @topo.yaml:28:9: add network ACL deny entries in acl-a egress before #100: #99 deny tcp 443 to 203.0.113.128/25",
		}},
		{"the NACL denies everything prohibited: the SG rule is only a warning", `
destinations:
  - {name: partner, cidrs: [203.0.113.0/25], ports: [443]}
prohibitions:
  - {id: no-partner, reason: r, from: {enis: [eni-app]}, to: partner}
`, []string{
			"warning sg-app egress[0] @topo.yaml:14:9: security groups cannot deny, and 0.0.0.0/0 minus the prohibited set is 25 prefixes: deny 203.0.113.0/25 in the subnets' network ACLs, or replace 0.0.0.0/0 in sg-app egress[0] by the destinations the ENIs need",
		}},
		{"a CIDR and a group reference bring a prohibited address in", `
destinations:
  - {name: partner-net, cidrs: [10.0.2.0/24]}
prohibitions:
  - {id: no-partner-net, reason: r, from: {security_groups: [sg-app]}, to: partner-net}
`, []string{
			"error sg-app egress[0] @topo.yaml:14:9: security groups cannot deny, and 0.0.0.0/0 minus the prohibited set is 24 prefixes: deny 10.0.2.0/24 in the subnets' network ACLs, or replace 0.0.0.0/0 in sg-app egress[0] by the destinations the ENIs need",
			"error acl-a egress #100 @topo.yaml:28:9: add network ACL deny entries in acl-a egress before #100: #99 deny tcp 0-1023 to 10.0.2.0/24",
			// tcp 5432: acl-a egress allows only tcp 0-1023, so the path is
			// closed for what this rule lets through (QA 8, Q5: per
			// protocol and port, not per ENI).
			"warning sg-app egress[1] @topo.yaml:15:9: remove sg-partner from sg-app egress[1] (it brings in 10.0.2.20/32)",
			// The destination's side: the partner subnet's ACL admits the
			// app ENI (its group admits nothing, so only a warning).
			"warning acl-b ingress #100 @topo.yaml:33:9: add network ACL deny entries in acl-b ingress before #100: #90 deny all traffic from 10.0.1.10/32",
		}},
		{"inbound ssh from the internet", `
destinations:
  - {name: ssh-from-internet, include: [internet], ports: [22], protocols: [tcp]}
prohibitions:
  - {id: no-inbound-ssh, reason: r, direction: inbound, from: everything, to: ssh-from-internet}
`, []string{
			"error sg-app ingress[0] @topo.yaml:11:9: replace 0.0.0.0/0 in sg-app ingress[0] by the VPC CIDR 10.0.0.0/16 (plus any peered or on-premises ranges the ENIs need)",
			// #100 allows all traffic: narrowing it would cut the replies
			// of the subnet's own connections (QA 10, R2); deny ssh alone.
			"error acl-a ingress #100 @topo.yaml:25:9: add network ACL entries in acl-a ingress before #100: #90 allow tcp 22 from 10.0.0.0/16, #91 deny tcp 22 from 0.0.0.0/0 (the VPC keeps them; drop the allows if it must not, and add allows like them for the peered or on-premises networks that need them, which the deny would cut too)",
		}},
		{"ports no security group allows: the open NACL entry is only a warning", `
destinations:
  - {name: smtp, include: [internet], ports: [25]}
prohibitions:
  - {id: no-smtp, reason: r, from: everything, to: smtp}
`, []string{
			// #100 allows tcp 0-1023, more than the prohibited tcp 25 (QA 10, R1).
			"warning acl-a egress #100 @topo.yaml:28:9: add network ACL entries in acl-a egress before #100: #98 allow tcp 25 to 10.0.0.0/16, #99 deny tcp 25 to 0.0.0.0/0 (the VPC keeps them; drop the allows if it must not, and add allows like them for the peered or on-premises networks that need them, which the deny would cut too)",
		}},
	}
	for _, tc := range tests {
		got := summary(analyze(t, tc.policy))
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, strings.Join(got, "\n     "), strings.Join(tc.want, "\n     "))
		}
	}
}

func TestFreeNumber(t *testing.T) {
	es := func(nums ...int) []topology.NACLEntry {
		var out []topology.NACLEntry
		for _, n := range nums {
			out = append(out, topology.NACLEntry{Rule: n})
		}
		return out
	}
	tests := []struct {
		entries  []topology.NACLEntry
		below, k int
		want     int
		ok       bool
	}{
		{es(100), 100, 1, 90, true},
		{es(90, 100), 100, 1, 99, true},
		{es(90, 100), 100, 2, 98, true},
		{es(99, 100), 100, 1, 0, false},
		{es(1), 1, 1, 0, false},
		{es(50, 120), 120, 3, 110, true},
	}
	for _, tc := range tests {
		got, ok := freeNumber(tc.entries, tc.below, tc.k, false)
		if got != tc.want || ok != tc.ok {
			t.Errorf("freeNumber(%v, %d, %d) = %d, %v; want %d, %v", tc.entries, tc.below, tc.k, got, ok, tc.want, tc.ok)
		}
	}
	// Deny entries may go before earlier entries when there is no room
	// right before the entry (QA 12, T5); allows may not.
	if got, ok := freeNumber(es(90, 91, 92, 100), 92, 1, true); got != 89 || !ok {
		t.Errorf("deny below #92 after #90, #91: %d, %v; want 89", got, ok)
	}
	if _, ok := freeNumber(es(90, 91, 92, 100), 92, 1, false); ok {
		t.Error("an allow placed before earlier entries")
	}
	if _, ok := freeNumber(es(1, 2), 2, 1, true); ok {
		t.Error("a number below #1")
	}
}

// A prohibition's when: is applied to the traffic each rule lets through
// when it reads only the protocol, addresses and server port: a rule that
// permits only exempt traffic is not reported. A condition on other facts
// cannot be decided from rules: the findings stay, and say so.
func TestAnalyzeAppliesWhen(t *testing.T) {
	base := `
destinations:
  - {name: web, include: [internet], protocols: [tcp]}
prohibitions:
  - {id: no-web, reason: r, from: {enis: [eni-app]}, to: web, when: 'WHEN'}
`
	rulesOf := func(fs []Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Rule)
		}
		return out
	}
	for _, tc := range []struct {
		when string
		want []string
		note bool
	}{
		// Without a condition both layers are reported.
		{"true", []string{"sg-app egress[0]", "acl-a egress #100"}, false},
		// HTTPS exempt: the group's rule allows only 443, so it goes; the
		// ACL entry allows 0-1023, and the rest of that range is
		// prohibited.
		{"flow.server_port != 443", []string{"acl-a egress #100"}, false},
		{`flow.server_port not in [443] && flow.protocol == "tcp"`, []string{"acl-a egress #100"}, false},
		// A condition on addresses is not decided by trying one address
		// of a prefix or one ENI of a group: the findings stay, noted.
		{`!in_cidr(flow.server, "198.51.100.0/24")`, []string{"sg-app egress[0]", "acl-a egress #100"}, true},
		{`in_cidr(flow.server, "203.0.113.128/25")`, []string{"sg-app egress[0]", "acl-a egress #100"}, true},
		{`flow.client != "10.0.1.10"`, []string{"sg-app egress[0]", "acl-a egress #100"}, true},
		// A condition on what the logs say cannot be applied.
		{"client.request.accepted", []string{"sg-app egress[0]", "acl-a egress #100"}, true},
		{"flow.client_port > 1024", []string{"sg-app egress[0]", "acl-a egress #100"}, true},
	} {
		fs := analyze(t, strings.Replace(base, "WHEN", tc.when, 1))
		got := rulesOf(fs)
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("when %q: findings %v; want %v", tc.when, got, tc.want)
		}
		for _, f := range fs {
			if has := strings.Contains(f.Message, "was not applied here"); has != tc.note {
				t.Errorf("when %q: %s says %q; want the not-applied note %v", tc.when, f.Rule, f.Message, tc.note)
			}
		}
	}
}

// An outbound prohibition whose destinations are inside the topology
// reports the destinations' inbound rules that admit its sources (here a
// group reference and an ACL entry for the staging VPC), besides the
// sources' outbound ones.
func TestAnalyzeDestinationSide(t *testing.T) {
	fs := analyzeTestdata(t, "testdata/destside/topology.yaml", "testdata/destside/policy.yaml")
	Sort(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.Severity.String()+" "+f.Rule)
	}
	want := []string{"error sg-0db ingress[1]", "error sg-0sapp egress[0]", "error acl-0data ingress #110", "error acl-0stg egress #100"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range fs {
		if strings.Contains(f.Rule, "ingress") && !strings.Contains(f.Message, "sources of staging-no-proddb") {
			t.Errorf("%s: %s", f.Rule, f.Message)
		}
	}
}

// TestAnalyzeFixStaysInOwnVPC: narrowing an allow-all rule of the prod app
// tier proposes prod's CIDRs, never the staging VPC's (reachable only by
// peering, and what environment separation forbids).
func TestAnalyzeFixStaysInOwnVPC(t *testing.T) {
	fs := analyzeTestdata(t, "testdata/destside/topology.yaml", "testdata/destside/policy-internet.yaml")
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	vpcFix := 0
	for _, f := range fs {
		if strings.Contains(f.Fix, "10.30.") {
			t.Errorf("%s: fix names the staging VPC: %s", f.Rule, f.Fix)
		}
		if strings.Contains(f.Fix, "the VPC CIDR 10.10.0.0/16") {
			vpcFix++
		}
	}
	if vpcFix == 0 {
		for _, f := range fs {
			t.Logf("%s: %s", f.Rule, f.Fix)
		}
		t.Error("no fix proposes the prod VPC CIDR")
	}
}

// analyzeTestdata loads a topology and a policy and returns the static
// findings.
func analyzeTestdata(t *testing.T, topoFile, policyFile string) []Finding {
	t.Helper()
	topo, err := topology.Load(topoFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadFile(policyFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p, topo, reviewNow)
	if err != nil {
		t.Fatal(err)
	}
	return c.Analyze()
}

// QA rounds 8 (Q4) and 10 (R9): an unexpired exception takes what it
// approves out of the rule analysis. A rule that lets through only the
// approved traffic is listed as suppressed (info, never counted for
// --fail-on); a wider one keeps its finding, its fix keeps the approved
// destination open; an expired exception changes nothing.
func TestAnalyzeHonoursExceptions(t *testing.T) {
	policy := func(expires string) string {
		return `
prohibitions:
  - {id: no-internet, reason: r, severity: critical, from: {enis: [eni-app]}, to: internet}
exceptions:
  - id: upload
    prohibition: no-internet
    owner: ops@example.com
    reason: backup upload
    expires: ` + expires + `
    from: {enis: [eni-app]}
    to: {cidrs: [203.0.113.0/24], ports: [443]}
`
	}
	find := func(fs []Finding, rule string) *Finding {
		for i := range fs {
			if fs[i].Rule == rule {
				return &fs[i]
			}
		}
		t.Fatalf("no finding for %s in %v", rule, summary(fs))
		return nil
	}
	// sg-app egress[0] allows tcp 443 to 0.0.0.0/0: wider than approved.
	fs := analyze(t, policy("2027-01-31"))
	sg := find(fs, "sg-app egress[0]")
	if sg.Suppressed != nil || sg.Severity.String() != "critical" ||
		!strings.Contains(sg.Fix, "by the VPC CIDR 10.0.0.0/16 and 203.0.113.0/24, which exception upload allows") ||
		strings.Contains(sg.Message, "203.0.113.0/24") {
		t.Errorf("wider rule: %+v", *sg)
	}
	// acl-a egress: #90 denies 203.0.113.0/25 tcp 443, #100 allows tcp
	// 0-1023: what #100 lets through of the approved box (203.0.113.128/25
	// tcp 443) is approved, the rest of the internet is not.
	acl := find(fs, "acl-a egress #100")
	if acl.Suppressed != nil || !strings.Contains(acl.Fix, "exception upload approves") {
		t.Errorf("wider entry: %+v", *acl)
	}

	// Narrowed to exactly the approved traffic: suppressed.
	narrowed := strings.Replace(staticTopo, "      - {proto: tcp, ports: 443, cidrs: [0.0.0.0/0]}", "      - {proto: tcp, ports: 443, cidrs: [203.0.113.0/24]}", 1)
	topo, err := topology.ParseYAML("topo.yaml", []byte(narrowed))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load("p.yaml", []byte(policy("2027-01-31")))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p, topo, reviewNow)
	if err != nil {
		t.Fatal(err)
	}
	sg = find(c.Analyze(), "sg-app egress[0]")
	if sg.Suppressed == nil || sg.Suppressed.Exception != "upload" || sg.Counts() || sg.Severity.String() != "info" {
		t.Errorf("approved rule: %+v", *sg)
	}

	// Expired: the exception no longer takes anything out.
	fs = analyze(t, policy("2026-01-31"))
	if sg := find(fs, "sg-app egress[0]"); sg.Suppressed != nil || strings.Contains(sg.Fix, "exception") {
		t.Errorf("expired exception: %+v", *sg)
	}
}

// QA 8, Q6: a layer closes the path per address family. sg-x ingress[0]
// admits only IPv4 (its prefix list holds IPv4 prefixes) and acl-a's #50
// denies IPv4 ssh from everywhere: a warning, although the ENI's separate
// IPv6 path is open (reported by its own findings). An inbound
// prohibition's message speaks of sources.
func TestAnalyzeClosedPerFamily(t *testing.T) {
	got := analyzeFiles(t, "qa8/no-ssh-in.yaml", "qa8/ipv6-open.yaml", reviewNow)
	for rule, sev := range map[string]string{"sg-x ingress[0]": "warning", "sg-x ingress[1]": "error", "acl-a ingress #110": "error"} {
		f, ok := got[rule]
		if !ok || f.Severity.String() != sev || !strings.Contains(f.Message, "which includes sources prohibited by no-ssh-in") && !strings.Contains(f.Message, "first entry to match sources prohibited by no-ssh-in") {
			t.Errorf("%s: %+v (want %s)", rule, f, sev)
		}
	}
}

// QA 8, Q5: a when: reading only the server port narrows the prohibited
// space as a set's ports would: flow.server_port == 22 prohibits tcp and
// udp 22, not tcp 0-1000. The ACL's #50 denies IPv4 tcp 22 and sg-x admits
// no udp, so each layer is closed by the other: warnings, and the fix of a
// prefix list names every prohibited prefix it brings in.
func TestAnalyzeWhenNarrowsTheSpace(t *testing.T) {
	fs := analyzeFiles(t, "qa8/no-ssh-in-when.yaml", "qa8/ssh-closed-by-acl.yaml", reviewNow)
	var got []string
	for _, rule := range []string{"sg-x ingress[0]", "acl-a ingress #100"} {
		f := fs[rule]
		got = append(got, f.Severity.String()+" "+f.Rule+": "+f.Message+" | "+f.Fix)
	}
	if len(fs) != 2 {
		t.Errorf("%d findings, want 2", len(fs))
	}
	want := []string{
		"warning sg-x ingress[0]: sg-x ingress[0] allows tcp 0-1000 from pl-1, which includes sources prohibited by no-ssh-in (the internet: tcp 22) for eni-a; the subnets' network ACLs close the path for now | remove pl-1 from sg-x ingress[0] (it brings in 0.0.0.0/1, 128.0.0.0/1)",
		"warning acl-a ingress #100: acl-a ingress #100 allows all traffic from 0.0.0.0/0 and is the first entry to match sources prohibited by no-ssh-in (the internet: udp 22) for subnets subnet-a; the ENIs' security groups close the path for now | add network ACL entries in acl-a ingress before #100: #90 allow udp 22 from 10.0.0.0/16, #91 deny udp 22 from 0.0.0.0/0 (the VPC keeps them; drop the allows if it must not, and add allows like them for the peered or on-premises networks that need them, which the deny would cut too)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// QA 8, Q10: an outbound entry for the ephemeral range carries the replies
// of the subnet's public service (acl-0web ingress #100 admits tcp 443 from
// everywhere): narrowing it would break the service, so the fix points at
// the security groups and the finding is a warning.
func TestAnalyzeReplyEntryOfAService(t *testing.T) {
	topo, err := topology.Load("../testdata/topology/three-tier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load("p.yaml", []byte(`prohibitions:
  - {id: all-internet, reason: r, from: everything, to: internet}
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p, topo, reviewNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Analyze() {
		if f.Rule != "acl-0web egress #100" {
			continue
		}
		if f.Severity.String() != "warning" || !strings.HasPrefix(f.Fix, "acl-0web egress #100 carries the replies of the subnet's service (acl-0web ingress #100 admits tcp 443 from 0.0.0.0/0)") {
			t.Errorf("%s: %s", f.Severity, f.Fix)
		}
		return
	}
	t.Error("no finding for acl-0web egress #100")
}

// QA 12, T4 and T7: fixes keep what an unexpired exception approves. A
// rule wider than the exception's ports is narrowed to them, not removed;
// a rule whose group an unexcepted ENI shares keeps its finding, and its
// fix says to keep the approved access apart first.
func TestAnalyzeFixesKeepApprovedAccess(t *testing.T) {
	fs := analyzeFiles(t, "qa12/rv-pol1.yaml", "qa12/rv-topo6.yaml", qa12Now)
	if f := fs["sg-db egress[0]"]; !strings.HasPrefix(f.Fix, "narrow sg-db egress[0] for 52.95.128.0/21 to 52.95.128.0/21 port 443, which exception backup approves") {
		t.Errorf("wider than the exception: %q", f.Fix)
	}
	fs = analyzeFiles(t, "qa12/rv-pol2.yaml", "qa12/rv-topo.yaml", qa12Now)
	if f := fs["sg-db egress[0]"]; f.Suppressed != nil || !strings.Contains(f.Fix, "(exception backup approves part of this for eni-db1: keep that access for them") {
		t.Errorf("shared group: %+v", f)
	}
}

// QA 12, T20: an inbound ACL entry that admits the ephemeral range carries
// the replies to the subnet's own outbound connections; denying the range
// would cut them all, so the fix points at the security groups.
func TestAnalyzeInboundReplyEntry(t *testing.T) {
	f, ok := analyzeFiles(t, "qa12/rv-pol13.yaml", "qa12/rv-topo.yaml", qa12Now)["acl-app ingress #100"]
	if !ok || f.Severity.String() != "warning" || !strings.HasPrefix(f.Fix, "acl-app ingress #100 carries the replies to the subnet's own connections (acl-app egress #100") {
		t.Errorf("%v: %s: %s", ok, f.Severity, f.Fix)
	}
}

// QA 12, T19: a rule through a prefix list holding allowed entries too:
// the fix takes the prohibited entries out of the list, not the list out
// of the rule (which would cut tcp 8443 to the VPC as well).
func TestAnalyzePrefixListFixKeepsAllowedEntries(t *testing.T) {
	f := analyzeFiles(t, "qa12/rv-pol9d.yaml", "qa12/rv-topo-pl.yaml", qa12Now)["sg-db egress[2]"]
	if want := "remove 198.51.100.0/24, 203.0.113.0/24 from prefix list pl-mixed (if other rules need them, have sg-db egress[2] reference a list of 10.50.0.0/16, 192.168.0.0/16 instead)"; f.Fix != want {
		t.Errorf("fix %q\nwant %q", f.Fix, want)
	}
}

// QA 13, U13: an exception's allow must precede the new deny entries of a
// port-scoped fix, not merely the entry they go before.
func TestAnalyzeExceptionAllowBeforeTheNewDenies(t *testing.T) {
	f := analyzeFiles(t, "qa13/pol-sshout.yaml", "qa13/rv-topo.yaml", qa12Now)["acl-app egress #100"]
	if !strings.Contains(f.Fix, "#90 allow tcp 22 to 10.50.0.0/16, #91 deny tcp 22 to 0.0.0.0/0") || !strings.HasSuffix(f.Fix, "number its allow below #90") {
		t.Errorf("fix %q", f.Fix)
	}
}

// QA 13, U3: an exception for an ENI's primary address does not cover the
// ENI's delegated prefix (its pods): the rule stays a finding, and its fix
// says to keep the approved address's access apart.
func TestAnalyzeExceptionForPartOfAnENI(t *testing.T) {
	f := analyzeFiles(t, "qa13/pol-excidr.yaml", "qa13/rv-pfx.yaml", qa12Now)["sg-db egress[0]"]
	if f.Suppressed != nil || f.Severity.String() != "critical" || !strings.Contains(f.Fix, "exception backup approves part of this for eni-db1's 10.50.1.10") {
		t.Errorf("%+v", f)
	}
}
