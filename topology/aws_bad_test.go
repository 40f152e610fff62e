package topology

import (
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
	im, err := ReadAWS(sg, acl, vpc)
	if err != nil {
		t.Fatal(err)
	}
	var warns []string
	for _, w := range im.Warnings {
		warns = append(warns, w.Error())
	}
	got := strings.Join(warns, "\n")
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
