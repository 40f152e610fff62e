package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// topoCompareGolden compares got with testdata/<rel>, or rewrites it with -update.
func topoCompareGolden(t *testing.T, rel, got string) {
	t.Helper()
	golden(t, filepath.Join("testdata", rel), got)
}

func topoRunCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, stdio{in: strings.NewReader(""), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

const threeTier = "../../testdata/topology/three-tier.yaml"

func TestWhyGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"reply-blocked-ephemeral", []string{"--from", "10.0.1.10:51000", "--to", "10.0.2.20:8080"}, exitFinding},
		{"reply-blocked-fixed-client-port", []string{"--from", "10.0.1.10:123", "--to", "10.0.2.20:8080"}, exitFinding},
		{"deny-shadows-allow", []string{"--from", "10.0.1.200:40000", "--to", "10.0.2.20:8080"}, exitFinding},
		{"internet-to-public-ip", []string{"--from", "198.51.100.7:50000", "--to", "203.0.113.10:443"}, exitOK},
		{"sg-blocks-ipv4-on-ipv6-rule", []string{"--from", "198.51.100.7", "--to", "203.0.113.10:8443"}, exitFinding},
		{"same-subnet-deny-all-nacl", []string{"--from", "10.0.3.30:40000", "--to", "10.0.3.31:5432"}, exitOK},
		{"cross-subnet-deny-all-nacl", []string{"--from", "10.0.2.20:40000", "--to", "10.0.3.30:5432"}, exitFinding},
		{"icmp-echo", []string{"--proto", "icmp", "--from", "10.0.2.20", "--to", "10.0.1.10"}, exitOK},
		{"icmp-timestamp-sg", []string{"--proto", "1", "--icmp-type", "13", "--icmp-code", "0", "--from", "10.0.2.20", "--to", "10.0.1.10"}, exitFinding},
		{"ipv6-reply-blocked", []string{"--from", "[2001:db8:ffff::1]:50000", "--to", "[2001:db8:0:1::10]:8443"}, exitFinding},
		{"prefix-list-ssh", []string{"--from", "192.0.2.5:50000", "--to", "10.0.2.20:22"}, exitFinding},
		{"sg-needs-group-rule", []string{"--from", "10.0.9.5:50000", "--to", "10.0.2.20:8080"}, exitFinding},
		// QA 8, Q1: fragmentation needed has no reply to open.
		{"icmp-one-way-frag-needed", []string{"--proto", "icmp", "--icmp-type", "3", "--icmp-code", "4", "--from", "10.0.2.20", "--to", "10.0.1.10"}, exitFinding},
		// QA 8, Q7 and QA 13, U11: the internet reaches a private IP only
		// through a Network Load Balancer keeping client addresses: a note
		// says so, and the walk is what the target's checks decide.
		{"internet-to-private-ip", []string{"--from", "8.8.8.8:40000", "--to", "10.0.1.10:443"}, exitOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, format := range []string{"text", "json"} {
				args := append([]string{"why", "--topology", threeTier, "--format", format}, tc.args...)
				code, out, errOut := topoRunCmd(args...)
				if code != tc.code {
					t.Errorf("flowdiag %s: exit %d; want %d (stderr %q)", strings.Join(args, " "), code, tc.code, errOut)
				}
				if errOut != "" {
					t.Errorf("flowdiag %s: stderr %q; want nothing", strings.Join(args, " "), errOut)
				}
				ext := ".txt"
				if format == "json" {
					ext = ".json"
					var v map[string]any
					if err := json.Unmarshal([]byte(out), &v); err != nil {
						t.Errorf("--format json output is not JSON: %v", err)
					}
				}
				topoCompareGolden(t, filepath.Join("why", tc.name+ext), "$ flowdiag "+strings.Join(args, " ")+"\n"+out)
			}
		})
	}
}

func TestWhyBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--from", "10.0.1.10", "--to", "10.0.2.20:8080"}, "flowdiag why: --topology is required\n"},
		{[]string{"--topology", threeTier, "--to", "10.0.2.20:8080"}, "flowdiag why: --from is required\n"},
		{[]string{"--topology", threeTier, "--from", "10.0.1.10", "--to", "10.0.2.20"}, "flowdiag why: --to 10.0.2.20: tcp needs a destination port (ADDR:PORT)\n"},
		{[]string{"--topology", threeTier, "--from", "10.0.1.300", "--to", "10.0.2.20:80"}, "flowdiag why: --from: \"10.0.1.300\" is not an address: want 10.0.1.5, 10.0.1.5:443, 2001:db8::5 or [2001:db8::5]:443\n"},
		{[]string{"--topology", threeTier, "--from", "10.0.1.3", "--to", "10.0.2.20:99999"}, "flowdiag why: --to: \"10.0.2.20:99999\": port \"99999\" is not a number from 0 to 65535\n"},
		{[]string{"--topology", threeTier, "--from", "10.0.1.3", "--to", "[2001:db8::1]:80"}, "flowdiag why: --from 10.0.1.3 and --to 2001:db8::1 are of different IP families\n"},
		{[]string{"--topology", threeTier, "--from", "10.0.1.3", "--to", "2001:db8::1:80"}, "flowdiag why: --from 10.0.1.3 and --to 2001:db8::1:80 are of different IP families (an IPv6 address with a port is written [ADDR]:PORT, e.g. [2001:db8::10]:443)\n"},
		{[]string{"--topology", threeTier, "--from", "2001:db8::3", "--to", "2001:db8::1"}, "flowdiag why: --to 2001:db8::1: tcp needs a destination port ([ADDR]:PORT for an IPv6 address, e.g. [2001:db8::10]:443)\n"},
		{[]string{"--topology", threeTier, "--from", "10.0.1.10", "--to", "10.0.2.20", "--proto", "icmpv6"}, "flowdiag why: --proto icmpv6 is ICMP for IPv6; for 10.0.1.10 and 10.0.2.20 use --proto icmp\n"},
		{[]string{"--topology", threeTier, "--from", "2001:db8::1", "--to", "2001:db8::2", "--proto", "icmp"}, "flowdiag why: --proto icmp is ICMP for IPv4; for 2001:db8::1 and 2001:db8::2 use --proto icmpv6\n"},
		{[]string{"--topology", threeTier, "--proto", "tcpp", "--from", "10.0.1.3", "--to", "10.0.2.20:80"}, "flowdiag why: --proto: \"tcpp\" is not a protocol: want a name such as tcp, udp, icmp, icmpv6 or a number 0-255\n"},
		{[]string{"--topology", threeTier, "--proto", "icmp", "--from", "10.0.1.3", "--to", "10.0.2.20:80"}, "flowdiag why: ICMP has no ports: give the type and code with --icmp-type and --icmp-code\n"},
		{[]string{"--topology", threeTier, "--icmp-type", "3", "--from", "10.0.1.3", "--to", "10.0.2.20:80"}, "flowdiag why: --icmp-type and --icmp-code apply to icmp and icmpv6 only, not to tcp\n"},
		{[]string{"--topology", threeTier, "--format", "xml", "--from", "10.0.1.3", "--to", "10.0.2.20:80"}, "flowdiag why: --format: \"xml\" is not a format: want text or json\n"},
		{[]string{"--topology", "testdata/why/missing.yaml", "--from", "10.0.1.3", "--to", "10.0.2.20:80"}, "flowdiag why: topology: stat testdata/why/missing.yaml: no such file or directory\n"},
		{[]string{"--topology", "testdata/why/invalid-topology.yaml", "--from", "10.0.1.3", "--to", "10.0.2.20:80"},
			"flowdiag why: topology testdata/why/invalid-topology.yaml has 2 problem(s):\n" +
				"testdata/why/invalid-topology.yaml:5:5: subnet-a: nacl: network ACL acl-gone is not in the topology\n" +
				"testdata/why/invalid-topology.yaml:8:58: eni-a: colour: unknown key: want one of addresses, description, id, owner, prefixes, public, security_groups, subnet, type\n"},
	}
	for _, tc := range tests {
		code, out, errOut := topoRunCmd(append([]string{"why"}, tc.args...)...)
		if code != exitUsage || out != "" || errOut != tc.want {
			t.Errorf("flowdiag why %s = exit %d, stdout %q, stderr %q; want exit 2, stderr %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
}

// QA 8, Q8: with neither end in the topology nothing is evaluated: bad
// input, not ALLOWED.
func TestWhyNeitherEndInTopology(t *testing.T) {
	code, out, errOut := topoRunCmd("why", "--topology", threeTier, "--from", "8.8.8.8:49152", "--to", "54.191.107.23:22")
	if code != exitUsage || out != "" || !strings.Contains(errOut, "neither 8.8.8.8 (internet) nor 54.191.107.23 (internet) is in the topology") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// QA 10, R12: the reply allow for the ephemeral range must go below an
// earlier deny of part of it (#50 denies 50000-65535), whichever client
// port is asked about; explain places it the same way.
func TestReplyFixGoesBelowADenyOfPartOfTheRange(t *testing.T) {
	const topo = "testdata/qa10/reply-range-deny.yaml"
	for _, from := range []string{"10.0.1.5:40000", "10.0.1.5:55000"} {
		code, out, errOut := topoRunCmd("why", "--topology", topo, "--from", from, "--to", "10.0.2.5:443")
		if code != exitFinding || !strings.Contains(out, "fix: add to acl-client ingress an entry numbered below 50") {
			t.Errorf("--from %s: exit %d\n%s%s", from, code, out, errOut)
		}
	}
	code, out, errOut := topoRunCmd("explain", "--format", "json", "--topology", topo, "testdata/qa10/reply-range-deny.log")
	if code != exitOK || !strings.Contains(out, "with a rule number below 50 (acl-client ingress #50 deny tcp 50000-65535 from 0.0.0.0/0 denies part of the ports clients use)") {
		t.Errorf("explain: exit %d\n%s%s", code, out, errOut)
	}
}

// QA 12, T3: an instance named by its public IP sends from its private
// address: the checks see that (and its groups), and the walk says so.
func TestWhyFromAnENIsPublicIP(t *testing.T) {
	code, out, errOut := topoRunCmd("why", "--topology", threeTier, "--from", "203.0.113.10:40000", "--to", "10.0.2.20:8080")
	_, want, _ := topoRunCmd("why", "--topology", threeTier, "--from", "10.0.1.10:40000", "--to", "10.0.2.20:8080")
	if code != exitFinding || !strings.Contains(out, "assumed: source 10.0.1.10 (eni-0web1's private address: 203.0.113.10 is its public IP") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	// Apart from the note, the same walk as from the private address.
	trim := func(s string) string { return s[strings.Index(s, "\nrequest:"):] }
	if trim(out) != trim(want) {
		t.Errorf("from the public IP:\n%s\nfrom the private address:\n%s", trim(out), trim(want))
	}
}

// QA 12, T14: a NAT gateway accepts no connections: asking for one to its
// Elastic IP (eni-nat's 203.0.113.50) is NOT ROUTABLE, exit 1, whatever its
// subnet's ACL says.
func TestWhyToANATGateway(t *testing.T) {
	code, out, errOut := topoRunCmd("why", "--topology", "../../testdata/explain/nat-gateway/topology.yaml", "--from", "198.51.100.9:40000", "--to", "203.0.113.50:80")
	if code != exitFinding || !strings.Contains(out, "verdict: NOT ROUTABLE: 203.0.113.50 is NAT gateway eni-nat's address") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}
