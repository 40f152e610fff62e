package topology

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowdiag/flowdiag/flowlog"
)

const prefixTopo = `vpcs:
  - {id: vpc-1, cidrs: [10.1.0.0/16, "2600:1f14:1:100::/56"]}
subnets:
  - {id: subnet-web, vpc: vpc-1, cidrs: [10.1.1.0/24]}
  - {id: subnet-pod, vpc: vpc-1, cidrs: [10.1.2.0/24, "2600:1f14:1:102::/64"]}
security_groups:
  - id: sg-web
    egress:
      - {proto: all, cidrs: [0.0.0.0/0]}
  - id: sg-node
    ingress:
      - {proto: tcp, ports: 8080, groups: [sg-web]}
    egress:
      - {proto: all, cidrs: [0.0.0.0/0]}
enis:
  - {id: eni-web, subnet: subnet-web, addresses: [10.1.1.10], security_groups: [sg-web]}
  - id: eni-node
    subnet: subnet-pod
    addresses: [10.1.2.20]
    prefixes: [10.1.2.48/28, "2600:1f14:1:102:1::/80"]
    security_groups: [sg-node]
`

// Addresses in an ENI's delegated prefixes (EKS/ECS prefix delegation) are
// that ENI's: its groups filter pods numbered from them.
func TestDelegatedPrefixes(t *testing.T) {
	topo, err := ParseYAML("prefix.yaml", []byte(prefixTopo))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr string
		eni  string
	}{
		{"10.1.2.20", "eni-node"},
		{"10.1.2.48", "eni-node"},
		{"10.1.2.63", "eni-node"},
		{"10.1.2.64", ""},
		{"10.1.2.47", ""},
		{"2600:1f14:1:102:1::abcd", "eni-node"},
		{"2600:1f14:1:102:2::1", ""},
		{"::ffff:10.1.2.50", "eni-node"},
	} {
		e, ok := topo.ENIByAddr(netip.MustParseAddr(tc.addr))
		if got := ""; ok {
			got = e.ID
			if got != tc.eni {
				t.Errorf("ENIByAddr(%s) = %s; want %q", tc.addr, got, tc.eni)
			}
		} else if tc.eni != "" {
			t.Errorf("ENIByAddr(%s): none; want %s", tc.addr, tc.eni)
		}
	}
	// A pod in the prefix is reached through the node's group, which
	// admits the web group on 8080 only.
	for _, tc := range []struct {
		port    uint16
		allowed bool
	}{{8080, true}, {9090, false}} {
		p := topo.Evaluate(Packet{Proto: flowlog.ProtoTCP, Src: netip.MustParseAddr("10.1.1.10"), Dst: netip.MustParseAddr("10.1.2.50"),
			SrcPort: 40000, DstPort: tc.port, ICMPType: -1, ICMPCode: -1})
		if !p.DstSGIngress.Applies || p.DstSGIngress.ENI != "eni-node" || p.DstSGIngress.Decision.Allowed != tc.allowed {
			t.Errorf("port %d: destination check %+v; want eni-node, allowed %v", tc.port, p.DstSGIngress, tc.allowed)
		}
	}
	// Written back, the prefixes survive.
	var b bytes.Buffer
	if err := topo.WriteYAML(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "prefixes: [10.1.2.48/28, '2600:1f14:1:102:1::/80']") {
		t.Errorf("written YAML lost the prefixes:\n%s", b.String())
	}
}

func TestDelegatedPrefixErrors(t *testing.T) {
	for _, tc := range []struct{ name, edit, want string }{
		{"outside subnet", "prefixes: [10.1.2.48/28,", "prefixes: [10.1.3.0/28,"},
		{"overlap", "  - {id: eni-web, subnet: subnet-web, addresses: [10.1.1.10], security_groups: [sg-web]}",
			"  - {id: eni-web, subnet: subnet-pod, addresses: [10.1.2.10], prefixes: [10.1.2.0/26], security_groups: [sg-web]}"},
		{"not a CIDR", "prefixes: [10.1.2.48/28,", "prefixes: [10.1.2.48/33,"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(prefixTopo, tc.edit, tc.want, 1)
			if text == prefixTopo {
				t.Fatal("edit did not apply")
			}
			_, err := ParseYAML("prefix.yaml", []byte(text))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			wants := map[string]string{
				"outside subnet": "prefix.yaml:17:5: eni-node: prefixes: 10.1.3.0/28 is outside its subnet subnet-pod",
				"overlap":        "overlaps",
				"not a CIDR":     "prefix.yaml:20:16: eni-node: prefixes: \"10.1.2.48/33\" is not a CIDR",
			}
			if !strings.Contains(msg, wants[tc.name]) {
				t.Errorf("error %q; want it to contain %q", msg, wants[tc.name])
			}
		})
	}
}

// topology import keeps Ipv4Prefixes and Ipv6Prefixes of describe-network-interfaces.
func TestImportDelegatedPrefixes(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"vpcs.json":    `{"Vpcs":[{"VpcId":"vpc-1","CidrBlock":"10.1.0.0/16","Ipv6CidrBlockAssociationSet":[{"Ipv6CidrBlock":"2600:1f14:1:100::/56"}]}]}`,
		"subnets.json": `{"Subnets":[{"SubnetId":"subnet-pod","VpcId":"vpc-1","CidrBlock":"10.1.2.0/24","Ipv6CidrBlockAssociationSet":[{"Ipv6CidrBlock":"2600:1f14:1:102::/64"}]}]}`,
		"enis.json": `{"NetworkInterfaces":[{"NetworkInterfaceId":"eni-node","SubnetId":"subnet-pod","PrivateIpAddress":"10.1.2.20",
			"PrivateIpAddresses":[{"PrivateIpAddress":"10.1.2.20","Primary":true}],
			"Ipv4Prefixes":[{"Ipv4Prefix":"10.1.2.48/28"},{"Ipv4Prefix":"not-a-cidr"}],
			"Ipv6Prefixes":[{"Ipv6Prefix":"2600:1f14:1:102:1::/80"}],"Groups":[]}]}`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	im, err := ReadAWS(dir)
	if err != nil {
		t.Fatal(err)
	}
	topo, err := im.Topology()
	if err != nil {
		t.Fatal(err)
	}
	e, ok := topo.ENIByID("eni-node")
	if !ok || len(e.Prefixes) != 2 || e.Prefixes[0].String() != "10.1.2.48/28" || e.Prefixes[1].String() != "2600:1f14:1:102:1::/80" {
		t.Fatalf("eni-node: %+v", e)
	}
	var warned bool
	for _, p := range im.Warnings {
		warned = warned || strings.Contains(p.Error(), `Ipv4Prefixes: "not-a-cidr" is not a CIDR`)
	}
	if !warned {
		t.Errorf("no warning for the bad prefix: %v", im.Warnings)
	}
	// Validating twice (explain's topology, then the import's report)
	// finds nothing the first did not.
	if ps := im.Problems(); len(ps) != 0 {
		t.Errorf("problems after Topology: %v", ps)
	}
}

// QA 10, R5: describe-managed-prefix-lists names lists without entries;
// get-managed-prefix-list-entries gives entries without naming the list
// (the AWS CLI example's file name holds no pl- id). The entries go to the
// one list of their address family without entries, and a rule through a
// list left without entries is warned about wherever the topology is
// loaded, not only by flowdiag topology import.
func TestImportAttachesEntriesByFamily(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"vpc.json": `{"Vpcs":[{"VpcId":"vpc-1","CidrBlock":"10.0.0.0/16"}],
"Subnets":[{"SubnetId":"subnet-a","VpcId":"vpc-1","CidrBlock":"10.0.1.0/24"}],
"SecurityGroups":[{"GroupId":"sg-a","VpcId":"vpc-1","IpPermissions":[
  {"IpProtocol":"tcp","FromPort":443,"ToPort":443,"PrefixListIds":[{"PrefixListId":"pl-0123456abcabcabc1"}]},
  {"IpProtocol":"tcp","FromPort":22,"ToPort":22,"PrefixListIds":[{"PrefixListId":"pl-11223344556677aab"}]}],"IpPermissionsEgress":[]}],
"NetworkInterfaces":[{"NetworkInterfaceId":"eni-a","SubnetId":"subnet-a","VpcId":"vpc-1","PrivateIpAddress":"10.0.1.5","Groups":[{"GroupId":"sg-a"}]}]}`,
		"describe-managed-prefix-lists.json": `{"PrefixLists":[
  {"PrefixListId":"pl-11223344556677aab","AddressFamily":"IPv6","PrefixListName":"vpc-ipv6-cidrs"},
  {"PrefixListId":"pl-0123456abcabcabc1","AddressFamily":"IPv4","PrefixListName":"vpc-cidrs"}]}`,
		"get-managed-prefix-list-entries.json": `{"Entries":[{"Cidr":"10.0.0.0/16"},{"Cidr":"10.2.0.0/16"}]}`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	topo, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	pl, ok := topo.plByID["pl-0123456abcabcabc1"]
	if !ok || len(pl.Entries) != 2 {
		t.Fatalf("IPv4 list: %+v", pl)
	}
	p := topo.Evaluate(Packet{Proto: flowlog.ProtoTCP, Src: netip.MustParseAddr("10.2.3.4"), Dst: netip.MustParseAddr("10.0.1.5"), SrcPort: 40000, DstPort: 443, ICMPType: -1, ICMPCode: -1})
	if !p.DstSGIngress.Decision.Allowed {
		t.Errorf("10.2.3.4 -> :443 not allowed through the list: %+v", p.DstSGIngress)
	}
	ws := strings.Join(topo.Warnings(), "\n")
	if !strings.Contains(ws, "sg-a ingress[1]: prefix_lists: prefix list pl-11223344556677aab has no entries in the topology, so the rule matches nothing through it") ||
		strings.Contains(ws, "pl-0123456abcabcabc1 has no entries") {
		t.Errorf("warnings:\n%s", ws)
	}
}

// QA 12, T10: entries named for a list of the other address family are
// attached (the file says whose they are) but warned about.
func TestImportWarnsOfEntriesOfTheWrongFamily(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"pls.json":     `{"PrefixLists":[{"PrefixListId":"pl-0ccc","AddressFamily":"IPv6","PrefixListName":"v6"}]}`,
		"pl-0ccc.json": `{"Entries":[{"Cidr":"203.0.113.0/24"}]}`,
		"vpc.json":     `{"Vpcs":[{"VpcId":"vpc-1","CidrBlock":"10.0.0.0/16"}]}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, ws := importWarnings(t, dir); !strings.Contains(ws, "pl-0ccc is an IPv6 list but the file holds IPv4 entries") {
		t.Errorf("warnings: %q", ws)
	}
}
