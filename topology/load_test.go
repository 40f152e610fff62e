package topology

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseYAMLErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // every problem, in order
	}{
		{
			name: "unknown keys, bad values and missing fields are all reported",
			yaml: `vpcs:
  - id: vpc-1
    cidrs: [10.0.0.0/16]
    colour: blue
subnets:
  - id: subnet-a
    vpc: vpc-1
    cidrs: [10.0.1.5/24]
  - {vpc: vpc-1, cidrs: [10.0.2.0/24]}
security_groups:
  - id: sg-1
    ingress:
      - {proto: tcp, ports: 90-80, cidrs: [0.0.0.0/0]}
      - {proto: tpc, ports: 80, cidrs: [0.0.0.0/0]}
      - {proto: icmp, ports: 80, cidrs: [10.0.0.0/8]}
      - {proto: tcp, ports: 22}
      - {proto: icmp, icmp_code: 3, cidrs: [10.0.0.0/8]}
      - {proto: udp, cidrs: [not-a-cidr]}
      - {proto: tcp, ports: [22, 80], cidrs: [10.0.0.0/8]}
`,
			want: []string{
				"t.yaml:4:5: vpc-1: colour: unknown key: want one of cidrs, id, name",
				"t.yaml:8:13: subnet-a: cidrs: CIDR 10.0.1.5/24 has host bits set: did you mean 10.0.1.0/24?",
				"t.yaml:9:5: subnets[1]: id: missing: every item needs an id",
				"t.yaml:13:29: sg-1 ingress[0]: ports: port range \"90-80\" is inverted: the first port must not exceed the last",
				"t.yaml:14:17: sg-1 ingress[1]: proto: \"tpc\" is not a protocol: want all, -1, tcp, udp, icmp, icmpv6, another name or a number 0-255",
				"t.yaml:15:30: sg-1 ingress[2]: ports: ports apply only to tcp and udp, not to icmp",
				"t.yaml:16:9: sg-1 ingress[3]: no peer: give cidrs, groups or prefix_lists (a rule without one allows nothing)",
				"t.yaml:17:34: sg-1 ingress[4]: icmp_code: a code needs a type: icmp_type -1 (all types) forces icmp_code -1",
				"t.yaml:18:9: sg-1 ingress[5]: ports: missing: udp needs a port or range (write all for 0-65535)",
				"t.yaml:18:30: sg-1 ingress[5]: cidrs: \"not-a-cidr\" is not a CIDR: want an address/length such as 10.0.0.0/16 or 2001:db8::/56",
				"t.yaml:19:29: sg-1 ingress[6]: ports: a list is not a port or port range: want N or N-M (one range per rule: write a rule per port)",
			},
		},
		{
			name: "dangling references, addresses outside subnets, overlaps and duplicate rule numbers",
			yaml: `vpcs:
  - {id: vpc-1, cidrs: [10.0.0.0/16]}
subnets:
  - {id: subnet-a, vpc: vpc-1, cidrs: [10.0.1.0/24], nacl: acl-missing}
  - {id: subnet-b, vpc: vpc-1, cidrs: [10.0.1.128/25]}
  - {id: subnet-c, vpc: vpc-2, cidrs: [10.9.0.0/24]}
  - {id: subnet-d, vpc: vpc-1, cidrs: [10.1.0.0/24]}
security_groups:
  - id: sg-1
    ingress:
      - {proto: all, groups: [sg-404], prefix_lists: [pl-404]}
network_acls:
  - id: acl-1
    vpc: vpc-1
    subnets: [subnet-b, subnet-x]
    ingress:
      - {rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow}
      - {rule: 100, proto: tcp, ports: 22, cidr: 0.0.0.0/0, action: deny}
      - {rule: 32767, proto: all, cidr: 0.0.0.0/0, action: deny}
enis:
  - {id: eni-1, subnet: subnet-b, addresses: [10.0.2.5], security_groups: [sg-1, sg-2]}
  - {id: eni-2, subnet: subnet-404, addresses: [10.0.2.5]}
  - {id: eni-1, subnet: subnet-b, addresses: [10.0.1.200]}
`,
			want: []string{
				"t.yaml:4:5: subnet-a: nacl: network ACL acl-missing is not in the topology",
				"t.yaml:5:5: subnet-b: cidrs: 10.0.1.128/25 overlaps 10.0.1.0/24 of subnet-a in the same VPC vpc-1",
				"t.yaml:6:5: subnet-c: vpc: VPC vpc-2 is not in the topology",
				"t.yaml:7:5: subnet-d: cidrs: 10.1.0.0/24 is outside the CIDRs of vpc-1 (10.0.0.0/16)",
				"t.yaml:11:9: sg-1 ingress[0]: prefix_lists: prefix list pl-404 is not in the topology",
				"t.yaml:13:5: acl-1: subnets: subnet subnet-x is not in the topology",
				"t.yaml:18:9: acl-1 ingress #100: rule: duplicate rule number: already used at t.yaml:17:9",
				"t.yaml:19:16: acl-1 ingress #32767: rule: want a whole number from 1 to 32766, got \"32767\"",
				"t.yaml:21:5: eni-1: addresses: 10.0.2.5 is outside its subnet subnet-b (10.0.1.128/25)",
				"t.yaml:21:5: eni-1: security_groups: security group sg-2 is not in the topology",
				"t.yaml:22:5: eni-2: subnet: subnet subnet-404 is not in the topology",
				"t.yaml:22:5: eni-2: addresses: address 10.0.2.5 is already used by eni-1",
				"t.yaml:23:5: eni-1: id: duplicate ENI id: already defined at t.yaml:21:5",
			},
		},
		{
			name: "association given twice must agree",
			yaml: `vpcs: [{id: vpc-1, cidrs: [10.0.0.0/16]}]
subnets: [{id: subnet-a, vpc: vpc-1, cidrs: [10.0.1.0/24], nacl: acl-2}]
network_acls:
  - {id: acl-1, vpc: vpc-1, subnets: [subnet-a]}
  - {id: acl-2, vpc: vpc-1, subnets: [subnet-a]}
`,
			want: []string{
				"t.yaml:2:11: subnet-a: nacl: says acl-2 but acl-1 lists this subnet: the association must agree",
				"t.yaml:5:5: acl-2: subnets: subnet subnet-a is already associated with acl-1: a subnet has exactly one network ACL",
			},
		},
		{
			// QA round 7: AWS attaches a group only within its VPC.
			name: "security group of another VPC",
			yaml: `vpcs: [{id: vpc-1, cidrs: [10.0.0.0/16]}, {id: vpc-2, cidrs: [10.1.0.0/16]}]
subnets: [{id: subnet-a, vpc: vpc-1, cidrs: [10.0.1.0/24]}]
security_groups: [{id: sg-1, vpc: vpc-1}, {id: sg-2, vpc: vpc-2}, {id: sg-3}]
enis: [{id: eni-1, subnet: subnet-a, addresses: [10.0.1.5], security_groups: [sg-1, sg-2, sg-3]}]
`,
			want: []string{
				"t.yaml:4:8: eni-1: security_groups: security group sg-2 is in vpc-2, not in the ENI's VPC vpc-1 (its subnet subnet-a)",
			},
		},
		{
			name: "empty peer and address lists",
			yaml: "vpcs: [{id: vpc-1, cidrs: [10.0.0.0/16]}]\nsubnets: [{id: subnet-a, vpc: vpc-1, cidrs: [10.0.1.0/24]}]\n" +
				"security_groups:\n  - id: sg-1\n    vpc: vpc-1\n    ingress:\n      - {proto: tcp, ports: 22, cidrs: []}\n" +
				"enis:\n  - {id: eni-1, subnet: subnet-a, addresses: []}\n",
			want: []string{
				"t.yaml:7:9: sg-1 ingress[0]: no peer: give cidrs, groups or prefix_lists (a rule without one allows nothing)",
				"t.yaml:9:5: eni-1: addresses: missing: an ENI needs at least one private address",
			},
		},
		{
			name: "anchors, aliases and merge keys",
			yaml: "vpcs:\n  - &v {id: vpc-1, cidrs: [10.0.0.0/16]}\n  - *v\nsecurity_groups:\n  - id: sg-1\n    <<: {vpc: vpc-1}\n",
			want: []string{
				"t.yaml:2:5: YAML anchor &v: anchors and aliases are not supported in topology files; write the value out",
				"t.yaml:3:5: YAML alias *v: aliases are not supported in topology files; write the value out",
				"t.yaml:6:5: YAML merge key <<: merge keys are not supported in topology files; write the keys out",
			},
		},
		{
			// Found by FuzzParseYAML: an empty list passed as present, and
			// the topology written back then failed to load.
			name: "empty cidrs",
			yaml: "vpcs: [{id: v, cidrs: []}]\nsubnets: [{id: s, vpc: v, cidrs: }]\n",
			want: []string{
				"t.yaml:1:8: v: cidrs: missing: a VPC needs at least one CIDR",
				"t.yaml:2:11: s: cidrs: missing: a subnet needs at least one CIDR",
			},
		},
		{
			name: "syntax error",
			yaml: "vpcs:\n  - id: [\n",
			want: []string{"t.yaml:2: invalid YAML: did not find expected node content around here: a list or mapping is not closed, or a line is indented wrongly"},
		},
		{
			// ICMP travels over IPv4, ICMPv6 over IPv6: the other family
			// never matches (and AWS reads a NACL's 58 with IPv4 as all ICMP).
			name: "icmp and icmpv6 with a CIDR of the other family",
			yaml: `vpcs: [{id: vpc-1, cidrs: [10.1.0.0/16]}]
security_groups:
  - id: sg-b
    vpc: vpc-1
    ingress:
      - {proto: icmpv6, icmp_type: 128, cidrs: ["2600:1f14:aaa::/56", 10.1.1.0/24]}
      - {proto: icmp, icmp_type: 8, cidrs: ["::/0"]}
      - {proto: icmp, icmp_type: 8, cidrs: [10.1.0.0/16]}
network_acls:
  - id: acl-b
    vpc: vpc-1
    ingress:
      - {rule: 10, proto: icmpv6, icmp_type: -1, icmp_code: -1, cidr: 10.1.1.0/24, action: allow}
      - {rule: 20, proto: icmp, icmp_type: 3, icmp_code: 4, cidr: "::/0", action: allow}
      - {rule: 30, proto: icmpv6, cidr: "::/0", action: allow}
`,
			want: []string{
				"t.yaml:6:71: sg-b ingress[0]: cidrs: icmpv6 with an IPv4 CIDR never matches: ICMPv6 is carried over IPv6 only; put 10.1.1.0/24 in a rule with proto: icmp",
				"t.yaml:7:45: sg-b ingress[1]: cidrs: icmp with an IPv6 CIDR never matches: ICMP for IPv6 is icmpv6 (protocol 58); put ::/0 in a rule with proto: icmpv6",
				"t.yaml:13:71: acl-b ingress #10: cidr: icmpv6 with an IPv4 CIDR never matches: AWS treats protocol 58 with an IPv4 CIDR as all ICMP; write proto: icmp",
				"t.yaml:14:67: acl-b ingress #20: cidr: icmp with an IPv6 CIDR never matches: ICMP for IPv6 is icmpv6 (protocol 58); write proto: icmpv6",
			},
		},
		{
			// Two exports concatenated: the second's subnet would be lost.
			name: "second document",
			yaml: "vpcs:\n  - {id: vpc-1, cidrs: [10.0.0.0/16]}\n---\nsubnets:\n  - {id: subnet-b, vpc: vpc-1, cidrs: [10.0.2.0/24]}\n",
			want: []string{"t.yaml:4:1: a second YAML document is not supported: put the whole topology in one mapping"},
		},
		{
			name: "syntax error in a second document",
			yaml: "vpcs:\n  - {id: vpc-1, cidrs: [10.0.0.0/16]}\n---\nsubnets: [\n",
			want: []string{"t.yaml:4: invalid YAML: did not find expected node content around here: a list or mapping is not closed, or a line is indented wrongly"},
		},
		{
			name: "empty file",
			yaml: "",
			want: []string{"t.yaml:1:1: empty topology: want a mapping with vpcs, subnets, security_groups, network_acls, enis or prefix_lists"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseYAML("t.yaml", []byte(tc.yaml))
			var el *ErrorList
			if !errors.As(err, &el) {
				t.Fatalf("ParseYAML error = %v; want an *ErrorList", err)
			}
			got := strings.Split(el.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("ParseYAML problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			var pe *PosError
			if !errors.As(err, &pe) || pe.Pos.File != "t.yaml" {
				t.Errorf("errors.As(*PosError) = %v", pe)
			}
		})
	}
}

// TestParseYAMLDocumentMarkers: "---" that only starts or ends the one
// document loses nothing, so it is accepted.
func TestParseYAMLDocumentMarkers(t *testing.T) {
	const topo = "vpcs:\n  - {id: vpc-1, cidrs: [10.0.0.0/16]}\nsubnets:\n  - {id: subnet-a, vpc: vpc-1, cidrs: [10.0.1.0/24]}\n"
	for _, src := range []string{"---\n" + topo, topo + "---\n", "# shop\n---\n" + topo + "...\n"} {
		if _, err := ParseYAML("t.yaml", []byte(src)); err != nil {
			t.Errorf("ParseYAML(%q): %v", src, err)
		}
	}
}

func TestPortRange(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{"443", "443", false}, {"1024-65535", "1024-65535", false}, {"all", "all", false},
		{"-1", "all", false}, {"0-65535", "all", false}, {" 80 - 81 ", "80-81", false},
		{"65536", "", true}, {"81-80", "", true}, {"x", "", true}, {"", "", true},
	} {
		r, err := ParsePortRange(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && r.String() != tc.want) {
			t.Errorf("ParsePortRange(%q) = %v, %v; want %q (error %v)", tc.in, r, err, tc.want, tc.bad)
		}
	}
}

func TestParseProtocol(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Protocol
		bad  bool
	}{
		{"all", ProtoAll, false}, {"-1", ProtoAll, false}, {"tcp", 6, false}, {"6", 6, false},
		{"ICMPv6", 58, false}, {"50", 50, false}, {"256", 0, true}, {"tpc", 0, true},
	} {
		p, err := ParseProtocol(tc.in)
		if (err != nil) != tc.bad || p != tc.want {
			t.Errorf("ParseProtocol(%q) = %v, %v; want %v (error %v)", tc.in, p, err, tc.want, tc.bad)
		}
	}
}

// TestExternalGroupReference: a rule referencing a group the topology does
// not hold (a peered VPC's group, or a deleted one) is kept as a warning and
// matches nothing through that reference, as AWS treats a stale rule.
func TestExternalGroupReference(t *testing.T) {
	topo, err := ParseYAML("t.yaml", []byte(`vpcs: [{id: vpc-1, cidrs: [10.0.0.0/16]}]
subnets: [{id: subnet-a, vpc: vpc-1, cidrs: [10.0.1.0/24]}]
security_groups:
  - id: sg-1
    vpc: vpc-1
    ingress:
      - {proto: tcp, ports: 22, groups: [sg-peer]}
      - {proto: tcp, ports: 443, groups: [sg-peer], cidrs: [10.0.0.0/16]}
enis:
  - {id: eni-1, subnet: subnet-a, addresses: [10.0.1.5], security_groups: [sg-1]}
  - {id: eni-2, subnet: subnet-a, addresses: [10.0.1.6], security_groups: [sg-1]}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"t.yaml:7:9: sg-1 ingress[0]: groups: security group sg-peer is not in the topology (a peered VPC's group, or deleted): the rule matches no ENI of this topology through it",
		"t.yaml:8:9: sg-1 ingress[1]: groups: security group sg-peer is not in the topology (a peered VPC's group, or deleted): the rule matches no ENI of this topology through it",
	}
	if got := topo.Warnings(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Warnings() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p := topo.Evaluate(pkt(t, "tcp 10.0.1.6:40000 -> 10.0.1.5:22")); p.DstSGIngress.Decision.Allowed {
		t.Errorf("the stale reference allowed ssh: %+v", p.DstSGIngress)
	}
	if p := topo.Evaluate(pkt(t, "tcp 10.0.1.6:40000 -> 10.0.1.5:443")); !p.DstSGIngress.Decision.Allowed {
		t.Errorf("the rule's CIDR no longer matches: %+v", p.DstSGIngress)
	}
}

// TestLoadRefusesFlowLogs: a flow log given as the topology (the arguments
// swapped) is named as such from its first bytes, not parsed as YAML and
// echoed back whole.
func TestLoadRefusesFlowLogs(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"header.log", []byte("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"), "line 1 is a flow log header"},
		{"records.log", []byte("2 123456789012 eni-0a 10.0.1.5 10.0.2.9 51234 443 6 10 840 1700000000 1700000060 ACCEPT OK\n"), "line 1 is a flow log record"},
		{"dump.log.gz", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}, "gzip-compressed"},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, append(tc.data, bytes.Repeat([]byte("x"), 100_000)...), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "not a topology") || len(err.Error()) > 300 {
			t.Errorf("Load(%s) = %v; want a short error saying %q", tc.name, err, tc.want)
		}
	}
	// A topology still loads.
	if _, err := Load(filepath.Join("..", "testdata", "incidents", "shop-topology.yaml")); err != nil {
		t.Errorf("Load(shop-topology.yaml) = %v", err)
	}
}

// TestFreeBelow: the number a preceding entry can take is the highest free
// one below, IPv4 and IPv6 entries sharing the numbers of a direction.
func TestFreeBelow(t *testing.T) {
	used := map[int]Pos{1: {}, 2: {}, 3: {}, 10: {}, 9: {}, maxNACLRule: {}}
	for _, tc := range []struct{ n, want int }{
		{1, 0}, {2, 0}, {4, 0}, {3, 0}, {10, 8}, {11, 8}, {5, 4}, {maxNACLRule + 1, maxNACLRule - 1}, {40000, maxNACLRule - 1},
	} {
		if got := freeBelow(used, tc.n); got != tc.want {
			t.Errorf("freeBelow(%d) = %d; want %d", tc.n, got, tc.want)
		}
	}
	topo, err := ParseYAML("t.yaml", []byte(`vpcs:
  - {id: vpc-1, cidrs: [10.0.0.0/16, "2600:1f18::/56"]}
subnets:
  - {id: subnet-a, vpc: vpc-1, cidrs: [10.0.1.0/24, "2600:1f18::/64"], nacl: acl-1}
network_acls:
  - id: acl-1
    vpc: vpc-1
    ingress:
      - {rule: 1, proto: all, cidr: "::/0", action: allow}
      - {rule: 2, proto: tcp, ports: 22, cidr: 0.0.0.0/0, action: deny}
`))
	if err != nil {
		t.Fatal(err)
	}
	n := topo.nacls[0]
	if got := n.c[0][0][0].ref.FreeBelow; got != 0 {
		t.Errorf("deny #2 after an IPv6 #1: FreeBelow %d; want 0", got)
	}
	if got := n.implicit[0][0].FreeBelow; got != maxNACLRule {
		t.Errorf("implicit deny: FreeBelow %d; want %d", got, maxNACLRule)
	}
}

// QA 12, T22: an ENI address AWS reserves in its subnet (the first four
// and the last) is warned about with its position.
func TestReservedAddressWarning(t *testing.T) {
	topo, err := ParseYAML("res.yaml", []byte(`vpcs: [{id: vpc-1, cidrs: [10.0.0.0/16]}]
subnets: [{id: subnet-a, vpc: vpc-1, cidrs: [10.0.0.0/24]}]
enis:
  - {id: e, subnet: subnet-a, addresses: [10.0.0.0]}
  - {id: f, subnet: subnet-a, addresses: [10.0.0.255]}
  - {id: g, subnet: subnet-a, addresses: [10.0.0.4, 10.0.0.3]}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"res.yaml:4:5: e: addresses: 10.0.0.0 is the network address of subnet subnet-a, which AWS reserves: no interface can have it (a typo, or the wrong subnet?)",
		"res.yaml:5:5: f: addresses: 10.0.0.255 is the broadcast address of subnet subnet-a, which AWS reserves: no interface can have it (a typo, or the wrong subnet?)",
		"res.yaml:6:5: g: addresses: 10.0.0.3 is the address reserved for future use (base + 3) of subnet subnet-a, which AWS reserves: no interface can have it (a typo, or the wrong subnet?)",
	}
	if got := topo.Warnings(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
