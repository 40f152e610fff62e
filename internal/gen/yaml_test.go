package gen

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The documented topology YAML shape (docs/topology.md), decoded strictly:
// an unknown key fails the test.
type yDoc struct {
	VPCs []struct {
		ID    string   `yaml:"id"`
		Name  string   `yaml:"name"`
		CIDRs []string `yaml:"cidrs"`
	} `yaml:"vpcs"`
	Subnets []struct {
		ID    string   `yaml:"id"`
		Name  string   `yaml:"name"`
		VPC   string   `yaml:"vpc"`
		CIDRs []string `yaml:"cidrs"`
		AZ    string   `yaml:"az"`
		NACL  string   `yaml:"nacl"`
	} `yaml:"subnets"`
	SecurityGroups []struct {
		ID      string  `yaml:"id"`
		Name    string  `yaml:"name"`
		VPC     string  `yaml:"vpc"`
		Ingress []yRule `yaml:"ingress"`
		Egress  []yRule `yaml:"egress"`
	} `yaml:"security_groups"`
	NetworkACLs []struct {
		ID      string   `yaml:"id"`
		Name    string   `yaml:"name"`
		VPC     string   `yaml:"vpc"`
		Default bool     `yaml:"default"`
		Subnets []string `yaml:"subnets"`
		Ingress []yEntry `yaml:"ingress"`
		Egress  []yEntry `yaml:"egress"`
	} `yaml:"network_acls"`
	ENIs []struct {
		ID             string   `yaml:"id"`
		Subnet         string   `yaml:"subnet"`
		Addresses      []string `yaml:"addresses"`
		Public         []string `yaml:"public"`
		SecurityGroups []string `yaml:"security_groups"`
		Owner          string   `yaml:"owner"`
		Type           string   `yaml:"type"`
		Description    string   `yaml:"description"`
	} `yaml:"enis"`
	PrefixLists []struct {
		ID      string   `yaml:"id"`
		Name    string   `yaml:"name"`
		Entries []string `yaml:"entries"`
	} `yaml:"prefix_lists"`
}

type yRule struct {
	Proto       string   `yaml:"proto"`
	Ports       string   `yaml:"ports"`
	ICMPType    *int     `yaml:"icmp_type"`
	ICMPCode    *int     `yaml:"icmp_code"`
	CIDRs       []string `yaml:"cidrs"`
	Groups      []string `yaml:"groups"`
	PrefixLists []string `yaml:"prefix_lists"`
	Description string   `yaml:"description"`
}

type yEntry struct {
	Rule     int    `yaml:"rule"`
	Proto    string `yaml:"proto"`
	Ports    string `yaml:"ports"`
	ICMPType *int   `yaml:"icmp_type"`
	ICMPCode *int   `yaml:"icmp_code"`
	CIDR     string `yaml:"cidr"`
	Action   string `yaml:"action"`
}

func decodeTopology(t *testing.T, b []byte) *yDoc {
	t.Helper()
	var doc yDoc
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("topology.yaml does not decode strictly: %v", err)
	}
	return &doc
}

func checkPorts(t *testing.T, where, proto, ports string) {
	t.Helper()
	if proto != "tcp" && proto != "udp" {
		if ports != "" {
			t.Errorf("%s: ports %q on protocol %s", where, ports, proto)
		}
		return
	}
	lo, hi, ok := strings.Cut(ports, "-")
	if !ok {
		hi = lo
	}
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil || a < 0 || b > 65535 || a > b {
		t.Errorf("%s: ports %q: want N or N-M within 0-65535", where, ports)
	}
}

func checkReferences(t *testing.T, doc *yDoc) {
	t.Helper()
	ids := map[string]string{} // id -> kind
	add := func(kind, id string) {
		if ids[id] != "" {
			t.Errorf("duplicate id %s", id)
		}
		ids[id] = kind
	}
	for _, v := range doc.VPCs {
		add("vpc", v.ID)
	}
	for _, p := range doc.PrefixLists {
		add("pl", p.ID)
		for _, c := range p.Entries {
			if _, err := netip.ParsePrefix(c); err != nil {
				t.Errorf("%s: %v", p.ID, err)
			}
		}
	}
	for _, g := range doc.SecurityGroups {
		add("sg", g.ID)
	}
	for _, n := range doc.NetworkACLs {
		add("nacl", n.ID)
	}
	subnetNACL := map[string]string{}
	subnetPrefix := map[string]netip.Prefix{}
	for _, s := range doc.Subnets {
		add("subnet", s.ID)
		if ids[s.VPC] != "vpc" || ids[s.NACL] != "nacl" {
			t.Errorf("subnet %s: vpc %s / nacl %s do not resolve", s.ID, s.VPC, s.NACL)
		}
		p, err := netip.ParsePrefix(s.CIDRs[0])
		if err != nil || p.Masked() != p {
			t.Errorf("subnet %s: cidr %q not canonical", s.ID, s.CIDRs[0])
		}
		subnetNACL[s.ID], subnetPrefix[s.ID] = s.NACL, p
	}
	for _, g := range doc.SecurityGroups {
		for i, r := range append(append([]yRule{}, g.Ingress...), g.Egress...) {
			where := g.ID + " rule " + strconv.Itoa(i)
			checkPorts(t, where, r.Proto, r.Ports)
			if len(r.CIDRs)+len(r.Groups)+len(r.PrefixLists) == 0 {
				t.Errorf("%s: no peer", where)
			}
			for _, x := range r.Groups {
				if ids[x] != "sg" {
					t.Errorf("%s: group %s does not resolve", where, x)
				}
			}
			for _, x := range r.PrefixLists {
				if ids[x] != "pl" {
					t.Errorf("%s: prefix list %s does not resolve", where, x)
				}
			}
		}
	}
	associated := 0
	for _, n := range doc.NetworkACLs {
		for _, s := range n.Subnets {
			associated++
			if subnetNACL[s] != n.ID {
				t.Errorf("nacl %s lists subnet %s, whose nacl is %s", n.ID, s, subnetNACL[s])
			}
		}
		for dir, es := range map[string][]yEntry{"ingress": n.Ingress, "egress": n.Egress} {
			prev := 0
			for _, e := range es {
				where := n.ID + " " + dir + " #" + strconv.Itoa(e.Rule)
				if e.Rule <= prev || e.Rule > 32766 {
					t.Errorf("%s: rule numbers not increasing within 1-32766", where)
				}
				prev = e.Rule
				checkPorts(t, where, e.Proto, e.Ports)
				if e.Action != "allow" && e.Action != "deny" {
					t.Errorf("%s: action %q", where, e.Action)
				}
				if p, err := netip.ParsePrefix(e.CIDR); err != nil || p.Masked() != p {
					t.Errorf("%s: cidr %q", where, e.CIDR)
				}
			}
		}
	}
	if associated != len(doc.Subnets) {
		t.Errorf("%d subnet associations for %d subnets", associated, len(doc.Subnets))
	}
	addrs := map[string]bool{}
	for _, e := range doc.ENIs {
		add("eni", e.ID)
		if ids[e.Subnet] != "subnet" {
			t.Errorf("eni %s: subnet %s does not resolve", e.ID, e.Subnet)
		}
		for _, a := range append(append([]string{}, e.Addresses...), e.Public...) {
			if addrs[a] {
				t.Errorf("eni %s: address %s used twice", e.ID, a)
			}
			addrs[a] = true
		}
		if a, err := netip.ParseAddr(e.Addresses[0]); err != nil || !subnetPrefix[e.Subnet].Contains(a) {
			t.Errorf("eni %s: address %s not in its subnet %s", e.ID, e.Addresses[0], subnetPrefix[e.Subnet])
		}
		for _, g := range e.SecurityGroups {
			if ids[g] != "sg" {
				t.Errorf("eni %s: group %s does not resolve", e.ID, g)
			}
		}
		if e.Type == "nat_gateway" && len(e.SecurityGroups) != 0 {
			t.Errorf("eni %s: a NAT gateway has no security groups", e.ID)
		}
	}
}
