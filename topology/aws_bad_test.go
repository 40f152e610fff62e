package topology

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportMalformedValues: values AWS would never print (inverted or
// out-of-range ports, impossible rule numbers, a rule left with no valid
// peer) are skipped with a warning naming the item, never widened silently,
// and the written YAML loads again.
func TestImportMalformedValues(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sg := write("sg.json", `{"SecurityGroups":[{"GroupId":"sg-1","VpcId":"vpc-1",
  "IpPermissions":[
    {"IpProtocol":"tcp","FromPort":100,"ToPort":50,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]},
    {"IpProtocol":"tcp","FromPort":22,"ToPort":70000,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]},
    {"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"bogus"}]},
    {"IpProtocol":"icmp","FromPort":300,"ToPort":0,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]},
    {"IpProtocol":"tcp","FromPort":443,"ToPort":443,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}],
  "IpPermissionsEgress":[{"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]}]}`)
	acl := write("acl.json", `{"NetworkAcls":[{"NetworkAclId":"acl-1","VpcId":"vpc-1","IsDefault":true,"Entries":[
    {"RuleNumber":100,"Egress":false,"Protocol":"6","RuleAction":"deny","CidrBlock":"0.0.0.0/0","PortRange":{"From":80,"To":22}},
    {"RuleNumber":40000,"Egress":false,"Protocol":"-1","RuleAction":"allow","CidrBlock":"0.0.0.0/0"},
    {"RuleNumber":110,"Egress":false,"Protocol":"-1","RuleAction":"allow","CidrBlock":"0.0.0.0/0"},
    {"RuleNumber":32767,"Egress":false,"Protocol":"-1","RuleAction":"deny","CidrBlock":"0.0.0.0/0"}]}]}`)
	vpc := write("vpc.json", `{"Vpcs":[{"VpcId":"vpc-1","CidrBlock":"10.0.0.0/16"}]}`)
	im, got := importWarnings(t, sg, acl, vpc)
	for _, want := range []string{
		"sg-1 ingress permission 0: ports: 100 to 50 is not a port range (want 0-65535, from <= to): rule skipped",
		"sg-1 ingress permission 1: ports: 22 to 70000 is not a port range",
		`IpRanges: "bogus" is not a CIDR: skipped`,
		"a tcp rule has no valid peer left: rule skipped",
		"sg-1 ingress permission 3: icmp: ICMP type/code 300 to 0 is out of range",
		"acl-1 ingress #100: ports: 80 to 22 is not a port range",
		"RuleNumber: 40000 is not a rule number (want 1-32766): entry skipped",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	topo, err := im.Topology()
	if err != nil {
		t.Fatalf("imported topology does not load: %v", err)
	}
	g, _ := topo.SecurityGroupByID("sg-1")
	if len(g.Ingress) != 1 || g.Ingress[0].Ports != (PortRange{443, 443}) {
		t.Errorf("sg-1 ingress = %+v; want only the valid 443 rule", g.Ingress)
	}
	n, _ := topo.NACLByID("acl-1")
	if len(n.Ingress) != 1 || n.Ingress[0].Rule != 110 {
		t.Errorf("acl-1 ingress = %+v; want only entry 110", n.Ingress)
	}
}

// TestImportICMPFamily: a network ACL entry for protocol 58 with an IPv4
// CIDR allows all ICMP in AWS (CreateNetworkAclEntry), so it is imported as
// icmp, all types, with a warning naming it; ICMP protocols with a CIDR of
// the other family, which never match, are skipped with a warning; and the
// written YAML loads again.
func TestImportICMPFamily(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	acl := write("nacls.json", `{"NetworkAcls":[{"NetworkAclId":"acl-b","VpcId":"vpc-1","IsDefault":false,"Entries":[
 {"RuleNumber":10,"Egress":false,"Protocol":"58","RuleAction":"allow","CidrBlock":"10.1.1.0/24"},
 {"RuleNumber":11,"Egress":false,"Protocol":"58","RuleAction":"allow","CidrBlock":"10.1.2.0/24","IcmpTypeCode":{"Type":128,"Code":0}},
 {"RuleNumber":12,"Egress":false,"Protocol":"58","RuleAction":"allow","Ipv6CidrBlock":"2600:1f14:aaa::/56","IcmpTypeCode":{"Type":128,"Code":-1}},
 {"RuleNumber":13,"Egress":false,"Protocol":"1","RuleAction":"allow","Ipv6CidrBlock":"::/0","IcmpTypeCode":{"Type":8,"Code":-1}},
 {"RuleNumber":32767,"Egress":false,"Protocol":"-1","RuleAction":"deny","CidrBlock":"0.0.0.0/0"}]}]}`)
	sg := write("sgs.json", `{"SecurityGroups":[{"GroupId":"sg-b","VpcId":"vpc-1","IpPermissions":[
 {"IpProtocol":"58","FromPort":-1,"ToPort":-1,"IpRanges":[{"CidrIp":"10.1.0.0/16"}],"Ipv6Ranges":[{"CidrIpv6":"::/0"}]},
 {"IpProtocol":"icmp","FromPort":8,"ToPort":-1,"IpRanges":[],"Ipv6Ranges":[{"CidrIpv6":"::/0"}]}],"IpPermissionsEgress":[]}]}`)
	vpc := write("vpcs.json", `{"Vpcs":[{"VpcId":"vpc-1","CidrBlock":"10.1.0.0/16"}]}`)
	im, got := importWarnings(t, acl, sg, vpc)
	for _, want := range []string{
		"acl-b ingress #10: Protocol: 58 (icmpv6) with the IPv4 CIDR 10.1.1.0/24: AWS applies it to all ICMP types and codes: imported as icmp, all types",
		"acl-b ingress #11: Protocol: 58 (icmpv6) with the IPv4 CIDR 10.1.2.0/24: AWS applies it to all ICMP types and codes",
		"acl-b ingress #13: Protocol: icmp (1) with the IPv6 CIDR ::/0 never matches (ICMP for IPv6 is protocol 58): entry skipped",
		"sg-b ingress permission 0: IpRanges: icmpv6 with the CIDR 10.1.0.0/16 never matches (ICMP is IPv4's, ICMPv6 IPv6's): skipped",
		"sg-b ingress permission 1: Ipv6Ranges: icmp with the CIDR ::/0 never matches",
		"sg-b ingress: a icmp rule has no valid peer left: rule skipped",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "#12") {
		t.Errorf("entry 12 (icmpv6 with an IPv6 CIDR) warned about:\n%s", got)
	}
	topo, err := im.Topology()
	if err != nil {
		t.Fatalf("imported topology does not load: %v", err)
	}
	n, _ := topo.NACLByID("acl-b")
	want := []NACLEntry{
		{Rule: 10, Proto: Protocol(1), ICMPType: -1, ICMPCode: -1, CIDR: netip.MustParsePrefix("10.1.1.0/24")},
		{Rule: 11, Proto: Protocol(1), ICMPType: -1, ICMPCode: -1, CIDR: netip.MustParsePrefix("10.1.2.0/24")},
		{Rule: 12, Proto: Protocol(58), ICMPType: 128, ICMPCode: -1, CIDR: netip.MustParsePrefix("2600:1f14:aaa::/56")},
	}
	if len(n.Ingress) != len(want) {
		t.Fatalf("acl-b ingress = %+v; want entries 10, 11 and 12", n.Ingress)
	}
	for i, w := range want {
		e := n.Ingress[i]
		if e.Rule != w.Rule || e.Proto != w.Proto || e.ICMPType != w.ICMPType || e.ICMPCode != w.ICMPCode || e.CIDR != w.CIDR || !e.Allow {
			t.Errorf("acl-b ingress[%d] = %+v; want %+v, allow", i, e, w)
		}
	}
	g, _ := topo.SecurityGroupByID("sg-b")
	if len(g.Ingress) != 1 || len(g.Ingress[0].CIDRs) != 1 || g.Ingress[0].CIDRs[0] != netip.MustParsePrefix("::/0") {
		t.Errorf("sg-b ingress = %+v; want the icmpv6 rule with ::/0 alone", g.Ingress)
	}
	var b strings.Builder
	if err := topo.WriteYAML(&b); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseYAML("written.yaml", []byte(b.String())); err != nil {
		t.Errorf("written topology does not load: %v\n%s", err, b.String())
	}
}

// importWarnings reads AWS JSON from paths and returns the import and its
// warnings, one a line.
func importWarnings(t *testing.T, paths ...string) (*Import, string) {
	t.Helper()
	im, err := ReadAWS(paths...)
	if err != nil {
		t.Fatal(err)
	}
	var warns []string
	for _, w := range im.Warnings {
		warns = append(warns, w.Error())
	}
	return im, strings.Join(warns, "\n")
}
