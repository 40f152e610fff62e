package topology

import (
	"io"
	"net/netip"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"
)

// WriteYAML writes the import in flowdiag's YAML format, every list sorted by
// id, so the output is deterministic.
func (im *Import) WriteYAML(w io.Writer) error {
	s := im.clone()
	return writeSpec(w, &s)
}

// WriteYAML writes t in flowdiag's YAML format.
func (t *Topology) WriteYAML(w io.Writer) error {
	return writeSpec(w, &spec{VPCs: t.vpcs, Subnets: t.subnets, SecurityGroups: t.sgs, NACLs: t.nacls, ENIs: t.enis, PrefixLists: t.pls})
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

// str forces a string scalar (quoted when it would read as something else).
func str(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

type mapNode struct{ n *yaml.Node }

func newMap(flow bool) mapNode {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return mapNode{n}
}

func (m mapNode) add(k string, v *yaml.Node) { m.n.Content = append(m.n.Content, scalar(k), v) }

func (m mapNode) addStr(k, v string) {
	if v != "" {
		m.add(k, str(v))
	}
}

func flowSeq(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range items {
		n.Content = append(n.Content, str(s))
	}
	return n
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func addrStrings(as []netip.Addr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

func (m mapNode) addList(k string, items []string) {
	if len(items) > 0 {
		m.add(k, flowSeq(items))
	}
}

func sortedBy[T any](in []*T, id func(*T) string) []*T {
	out := append([]*T(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return id(out[i]) < id(out[j]) })
	return out
}

func protoNode(m mapNode, p Protocol, ports PortRange, typ, code int16) {
	m.add("proto", scalar(p.String()))
	switch {
	case p.hasPorts():
		m.add("ports", scalar(ports.String()))
	case p.isICMP():
		m.add("icmp_type", scalar(strconv.Itoa(int(typ))))
		m.add("icmp_code", scalar(strconv.Itoa(int(code))))
	}
}

func writeSpec(w io.Writer, s *spec) error {
	root := newMap(false)
	block := func() *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode} }

	vpcs := block()
	for _, v := range sortedBy(s.VPCs, func(v *VPC) string { return v.ID }) {
		m := newMap(false)
		m.addStr("id", v.ID)
		m.addStr("name", v.Name)
		m.addList("cidrs", prefixStrings(v.CIDRs))
		vpcs.Content = append(vpcs.Content, m.n)
	}
	subnets := block()
	for _, v := range sortedBy(s.Subnets, func(v *Subnet) string { return v.ID }) {
		m := newMap(false)
		m.addStr("id", v.ID)
		m.addStr("name", v.Name)
		m.addStr("vpc", v.VPCID)
		m.addList("cidrs", prefixStrings(v.CIDRs))
		m.addStr("az", v.AZ)
		m.addStr("nacl", v.NACLID)
		subnets.Content = append(subnets.Content, m.n)
	}
	sgs := block()
	for _, g := range sortedBy(s.SecurityGroups, func(v *SecurityGroup) string { return v.ID }) {
		m := newMap(false)
		m.addStr("id", g.ID)
		m.addStr("name", g.Name)
		m.addStr("vpc", g.VPCID)
		m.addStr("description", g.Description)
		for _, dir := range []struct {
			key   string
			rules []SGRule
		}{{"ingress", g.Ingress}, {"egress", g.Egress}} {
			seq := block()
			for _, r := range dir.rules {
				rm := newMap(true)
				protoNode(rm, r.Proto, r.Ports, r.ICMPType, r.ICMPCode)
				rm.addList("cidrs", prefixStrings(r.CIDRs))
				rm.addList("groups", r.Groups)
				rm.addList("prefix_lists", r.PrefixLists)
				rm.addStr("description", r.Description)
				seq.Content = append(seq.Content, rm.n)
			}
			if len(seq.Content) == 0 {
				seq.Style = yaml.FlowStyle
			}
			m.add(dir.key, seq)
		}
		sgs.Content = append(sgs.Content, m.n)
	}
	nacls := block()
	for _, a := range sortedBy(s.NACLs, func(v *NACL) string { return v.ID }) {
		m := newMap(false)
		m.addStr("id", a.ID)
		m.addStr("name", a.Name)
		m.addStr("vpc", a.VPCID)
		m.add("default", scalar(strconv.FormatBool(a.Default)))
		subs := append([]string(nil), a.SubnetIDs...)
		sort.Strings(subs)
		m.addList("subnets", subs)
		for _, dir := range []struct {
			key     string
			entries []NACLEntry
		}{{"ingress", a.Ingress}, {"egress", a.Egress}} {
			seq := block()
			es := append([]NACLEntry(nil), dir.entries...)
			sortEntries(es)
			for _, e := range es {
				em := newMap(true)
				em.add("rule", scalar(strconv.Itoa(e.Rule)))
				protoNode(em, e.Proto, e.Ports, e.ICMPType, e.ICMPCode)
				em.add("cidr", str(e.CIDR.String()))
				if e.Allow {
					em.add("action", scalar("allow"))
				} else {
					em.add("action", scalar("deny"))
				}
				seq.Content = append(seq.Content, em.n)
			}
			if len(seq.Content) == 0 {
				seq.Style = yaml.FlowStyle
			}
			m.add(dir.key, seq)
		}
		nacls.Content = append(nacls.Content, m.n)
	}
	enis := block()
	for _, n := range sortedBy(s.ENIs, func(v *ENI) string { return v.ID }) {
		m := newMap(false)
		m.addStr("id", n.ID)
		m.addStr("subnet", n.SubnetID)
		m.addList("addresses", addrStrings(n.Addresses))
		m.addList("prefixes", prefixStrings(n.Prefixes))
		m.addList("public", addrStrings(n.Public))
		if len(n.SecurityGroupIDs) > 0 {
			m.addList("security_groups", n.SecurityGroupIDs)
		} else {
			m.add("security_groups", &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle})
		}
		m.addStr("owner", n.Owner)
		m.addStr("type", n.Type)
		m.addStr("description", n.Description)
		enis.Content = append(enis.Content, m.n)
	}
	pls := block()
	for _, p := range sortedBy(s.PrefixLists, func(v *PrefixList) string { return v.ID }) {
		m := newMap(false)
		m.addStr("id", p.ID)
		m.addStr("name", p.Name)
		m.add("entries", flowSeq(prefixStrings(p.Entries)))
		pls.Content = append(pls.Content, m.n)
	}
	for _, kv := range []struct {
		k string
		n *yaml.Node
	}{{"vpcs", vpcs}, {"subnets", subnets}, {"security_groups", sgs}, {"network_acls", nacls}, {"enis", enis}, {"prefix_lists", pls}} {
		if len(kv.n.Content) > 0 {
			root.add(kv.k, kv.n)
		}
	}
	if len(root.n.Content) == 0 {
		root.n.Style = yaml.FlowStyle
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root.n}}); err != nil {
		return err
	}
	return enc.Close()
}
