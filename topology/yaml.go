package topology

import (
	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/internal/loc"

	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// spec is a topology as read from a source, before references are resolved.
type spec struct {
	VPCs           []*VPC
	Subnets        []*Subnet
	SecurityGroups []*SecurityGroup
	NACLs          []*NACL
	ENIs           []*ENI
	PrefixLists    []*PrefixList
}

// yamlDecoder walks yaml.v3 nodes by hand so that every problem keeps its
// line and column, unknown keys are rejected, and decoding goes on after an
// error to report everything at once.
type yamlDecoder struct {
	file string
	e    *errs
}

func (d *yamlDecoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Col: n.Column} }

// parseYAML decodes a topology YAML document into a spec. Syntax errors stop
// decoding; every other problem is collected in e.
func parseYAML(file string, data []byte, e *errs) *spec {
	d := &yamlDecoder{file: file, e: e}
	root, second, err := loc.Decode(data)
	if err != nil {
		line, msg := loc.YAMLError(err, data)
		e.add(Pos{File: file, Line: line}, "", "", "invalid YAML: %s", msg)
		return nil
	}
	if root.Kind == 0 {
		e.add(Pos{File: file, Line: 1, Col: 1}, "", "", "empty topology: want a mapping with vpcs, subnets, security_groups, network_acls, enis or prefix_lists")
		return nil
	}
	if second != nil {
		// Its resources would not be loaded: say so rather than diagnose without them.
		e.add(d.pos(second), "", "", "a second YAML document is not supported: put the whole topology in one mapping")
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if d.rejectAliases(doc) {
		return nil
	}
	s := &spec{}
	d.fields(doc, "", map[string]func(*yaml.Node){
		"vpcs": func(n *yaml.Node) {
			d.each(n, "vpcs", func(i int, n *yaml.Node) { s.VPCs = appendNN(s.VPCs, d.vpc(i, n)) })
		},
		"subnets": func(n *yaml.Node) {
			d.each(n, "subnets", func(i int, n *yaml.Node) { s.Subnets = appendNN(s.Subnets, d.subnet(i, n)) })
		},
		"security_groups": func(n *yaml.Node) {
			d.each(n, "security_groups", func(i int, n *yaml.Node) { s.SecurityGroups = appendNN(s.SecurityGroups, d.sg(i, n)) })
		},
		"network_acls": func(n *yaml.Node) {
			d.each(n, "network_acls", func(i int, n *yaml.Node) { s.NACLs = appendNN(s.NACLs, d.nacl(i, n)) })
		},
		"enis": func(n *yaml.Node) {
			d.each(n, "enis", func(i int, n *yaml.Node) { s.ENIs = appendNN(s.ENIs, d.eni(i, n)) })
		},
		"prefix_lists": func(n *yaml.Node) {
			d.each(n, "prefix_lists", func(i int, n *yaml.Node) { s.PrefixLists = appendNN(s.PrefixLists, d.prefixList(i, n)) })
		},
	})
	return s
}

// addrErrors reports whether an address of item was already reported bad.
func (d *yamlDecoder) addrErrors(item string) bool { return d.fieldErrors(item, "addresses") }

// fieldErrors reports whether a problem with field of item was already
// reported (a bad entry), so an empty result is not reported again.
func (d *yamlDecoder) fieldErrors(item, field string) bool {
	for _, p := range d.e.list {
		if p.Item == item && p.Field == field {
			return true
		}
	}
	return false
}

// rejectAliases reports every anchor, alias and merge key: a topology is
// read as written, so shared values must be written out (this also keeps
// alias bombs out). It returns true when there was any.
func (d *yamlDecoder) rejectAliases(n *yaml.Node) bool {
	found := false
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch {
		case n.Kind == yaml.AliasNode:
			d.e.add(d.pos(n), "", "", "YAML alias *%s: aliases are not supported in topology files; write the value out", n.Value)
			found = true
			return
		case n.Anchor != "":
			d.e.add(d.pos(n), "", "", "YAML anchor &%s: anchors and aliases are not supported in topology files; write the value out", n.Anchor)
			found = true
		}
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 && c.Kind == yaml.ScalarNode && c.Tag == "!!merge" {
				d.e.add(d.pos(c), "", "", "YAML merge key <<: merge keys are not supported in topology files; write the keys out")
				found = true
			}
			walk(c)
		}
	}
	walk(n)
	return found
}

func appendNN[T any](s []*T, v *T) []*T {
	if v == nil {
		return s
	}
	return append(s, v)
}

// fields checks that n is a mapping and calls the handler of each key;
// unknown and repeated keys are errors.
func (d *yamlDecoder) fields(n *yaml.Node, item string, h map[string]func(*yaml.Node)) map[string]bool {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		d.e.add(d.pos(n), item, "", "want a mapping of keys to values, got %s", loc.KindName(n))
		return map[string]bool{}
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			d.e.add(d.pos(k), item, k.Value, "key given twice")
			continue
		}
		seen[k.Value] = true
		f, ok := h[k.Value]
		if !ok {
			d.e.add(d.pos(k), item, k.Value, "unknown key: want one of %s", keyList(h))
			continue
		}
		f(v)
	}
	return seen
}

func keyList(h map[string]func(*yaml.Node)) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// each calls f for every element of the list n.
func (d *yamlDecoder) each(n *yaml.Node, item string, f func(int, *yaml.Node)) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.e.add(d.pos(n), item, "", "want a list, got %s", loc.KindName(n))
		return
	}
	for i, c := range n.Content {
		f(i, c)
	}
}

// itemID finds the id of a mapping before its other keys are read, so that
// errors name the item.
func (d *yamlDecoder) itemID(n *yaml.Node, list string, i int) (string, string) {
	if n.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == "id" && n.Content[j+1].Kind == yaml.ScalarNode && n.Content[j+1].Value != "" {
				return n.Content[j+1].Value, n.Content[j+1].Value
			}
		}
	}
	d.e.add(d.pos(n), fmt.Sprintf("%s[%d]", list, i), "id", "missing: every item needs an id")
	return "", fmt.Sprintf("%s[%d]", list, i)
}

func (d *yamlDecoder) str(n *yaml.Node, item, field string, dst *string) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.e.add(d.pos(n), item, field, "want a string, got %s", loc.KindName(n))
		return
	}
	*dst = n.Value
}

func (d *yamlDecoder) strs(n *yaml.Node, item, field string, dst *[]string) {
	d.each(n, item+": "+field, func(_ int, c *yaml.Node) {
		var s string
		d.str(c, item, field, &s)
		if s != "" {
			*dst = append(*dst, s)
		}
	})
}

func (d *yamlDecoder) boolean(n *yaml.Node, item, field string, dst *bool) {
	switch strings.ToLower(n.Value) {
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		d.e.add(d.pos(n), item, field, "want true or false, got %s", loc.KindName(n))
	}
}

func (d *yamlDecoder) intIn(n *yaml.Node, item, field string, lo, hi int, dst *int) bool {
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || v < lo || v > hi {
		d.e.add(d.pos(n), item, field, "want a whole number from %d to %d, got %s", lo, hi, loc.KindName(n))
		return false
	}
	*dst = v
	return true
}

func (d *yamlDecoder) prefix(n *yaml.Node, item, field string) (netip.Prefix, bool) {
	if n.Kind != yaml.ScalarNode {
		d.e.add(d.pos(n), item, field, "want a CIDR such as 10.0.0.0/16, got %s", loc.KindName(n))
		return netip.Prefix{}, false
	}
	p, problem := parseCIDR(n.Value)
	if problem != "" {
		d.e.add(d.pos(n), item, field, "%s", problem)
		return netip.Prefix{}, false
	}
	return p, true
}

// parseCIDR parses a canonical CIDR; the problem text says what is wrong.
func parseCIDR(s string) (netip.Prefix, string) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return netip.Prefix{}, fmt.Sprintf("%q is not a CIDR: want an address/length such as 10.0.0.0/16 or 2001:db8::/56", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Sprintf("CIDR %s has host bits set: did you mean %s?", s, p.Masked())
	}
	return p, ""
}

func (d *yamlDecoder) prefixes(n *yaml.Node, item, field string, dst *[]netip.Prefix) {
	d.each(n, item+": "+field, func(_ int, c *yaml.Node) {
		if p, ok := d.prefix(c, item, field); ok {
			*dst = append(*dst, p)
		}
	})
}

func (d *yamlDecoder) addrs(n *yaml.Node, item, field string, dst *[]netip.Addr) {
	d.each(n, item+": "+field, func(_ int, c *yaml.Node) {
		a, err := netip.ParseAddr(strings.TrimSpace(c.Value))
		if c.Kind != yaml.ScalarNode || err != nil || a.Zone() != "" {
			d.e.add(d.pos(c), item, field, "want an IPv4 or IPv6 address such as 10.0.1.17, got %s", loc.KindName(c))
			return
		}
		*dst = append(*dst, a.Unmap())
	})
}

func (d *yamlDecoder) vpc(i int, n *yaml.Node) *VPC {
	v := &VPC{Pos: d.pos(n)}
	var item string
	v.ID, item = d.itemID(n, "vpcs", i)
	seen := d.fields(n, item, map[string]func(*yaml.Node){
		"id":    func(*yaml.Node) {},
		"name":  func(c *yaml.Node) { d.str(c, item, "name", &v.Name) },
		"cidrs": func(c *yaml.Node) { d.prefixes(c, item, "cidrs", &v.CIDRs) },
	})
	if !seen["cidrs"] || len(v.CIDRs) == 0 && !d.fieldErrors(item, "cidrs") {
		d.e.add(v.Pos, item, "cidrs", "missing: a VPC needs at least one CIDR")
	}
	return v
}

func (d *yamlDecoder) subnet(i int, n *yaml.Node) *Subnet {
	s := &Subnet{Pos: d.pos(n)}
	var item string
	s.ID, item = d.itemID(n, "subnets", i)
	seen := d.fields(n, item, map[string]func(*yaml.Node){
		"id":    func(*yaml.Node) {},
		"name":  func(c *yaml.Node) { d.str(c, item, "name", &s.Name) },
		"vpc":   func(c *yaml.Node) { d.str(c, item, "vpc", &s.VPCID) },
		"cidrs": func(c *yaml.Node) { d.prefixes(c, item, "cidrs", &s.CIDRs) },
		"az":    func(c *yaml.Node) { d.str(c, item, "az", &s.AZ) },
		"nacl":  func(c *yaml.Node) { d.str(c, item, "nacl", &s.NACLID) },
	})
	if !seen["vpc"] {
		d.e.add(s.Pos, item, "vpc", "missing: a subnet belongs to one VPC")
	}
	if !seen["cidrs"] || len(s.CIDRs) == 0 && !d.fieldErrors(item, "cidrs") {
		d.e.add(s.Pos, item, "cidrs", "missing: a subnet needs at least one CIDR")
	}
	return s
}

func (d *yamlDecoder) eni(i int, n *yaml.Node) *ENI {
	e := &ENI{Pos: d.pos(n)}
	var item string
	e.ID, item = d.itemID(n, "enis", i)
	seen := d.fields(n, item, map[string]func(*yaml.Node){
		"id":              func(*yaml.Node) {},
		"subnet":          func(c *yaml.Node) { d.str(c, item, "subnet", &e.SubnetID) },
		"addresses":       func(c *yaml.Node) { d.addrs(c, item, "addresses", &e.Addresses) },
		"prefixes":        func(c *yaml.Node) { d.prefixes(c, item, "prefixes", &e.Prefixes) },
		"public":          func(c *yaml.Node) { d.addrs(c, item, "public", &e.Public) },
		"security_groups": func(c *yaml.Node) { d.strs(c, item, "security_groups", &e.SecurityGroupIDs) },
		"owner":           func(c *yaml.Node) { d.str(c, item, "owner", &e.Owner) },
		"type":            func(c *yaml.Node) { d.str(c, item, "type", &e.Type) },
		"description":     func(c *yaml.Node) { d.str(c, item, "description", &e.Description) },
	})
	if !seen["subnet"] {
		d.e.add(e.Pos, item, "subnet", "missing: an ENI lives in one subnet")
	}
	if !seen["addresses"] || len(e.Addresses) == 0 && !d.addrErrors(item) {
		d.e.add(e.Pos, item, "addresses", "missing: an ENI needs at least one private address")
	}
	return e
}

func (d *yamlDecoder) prefixList(i int, n *yaml.Node) *PrefixList {
	p := &PrefixList{Pos: d.pos(n)}
	var item string
	p.ID, item = d.itemID(n, "prefix_lists", i)
	d.fields(n, item, map[string]func(*yaml.Node){
		"id":      func(*yaml.Node) {},
		"name":    func(c *yaml.Node) { d.str(c, item, "name", &p.Name) },
		"entries": func(c *yaml.Node) { d.prefixes(c, item, "entries", &p.Entries) },
	})
	return p
}

func (d *yamlDecoder) sg(i int, n *yaml.Node) *SecurityGroup {
	g := &SecurityGroup{Pos: d.pos(n)}
	var item string
	g.ID, item = d.itemID(n, "security_groups", i)
	d.fields(n, item, map[string]func(*yaml.Node){
		"id":          func(*yaml.Node) {},
		"name":        func(c *yaml.Node) { d.str(c, item, "name", &g.Name) },
		"vpc":         func(c *yaml.Node) { d.str(c, item, "vpc", &g.VPCID) },
		"description": func(c *yaml.Node) { d.str(c, item, "description", &g.Description) },
		"ingress": func(c *yaml.Node) {
			d.each(c, item+": ingress", func(j int, r *yaml.Node) {
				g.Ingress = append(g.Ingress, d.sgRule(fmt.Sprintf("%s ingress[%d]", item, j), r))
			})
		},
		"egress": func(c *yaml.Node) {
			d.each(c, item+": egress", func(j int, r *yaml.Node) {
				g.Egress = append(g.Egress, d.sgRule(fmt.Sprintf("%s egress[%d]", item, j), r))
			})
		},
	})
	return g
}

// protoPorts holds the protocol, port and ICMP keys shared by SG rules and
// NACL entries while they are checked against each other.
type protoPorts struct {
	proto              Protocol
	protoSet           bool
	protoGiven         bool
	ports              PortRange
	portsNode          *yaml.Node
	icmpType, icmpCode int16
	typeNode, codeNode *yaml.Node
}

func (d *yamlDecoder) protoPortHandlers(item string, pp *protoPorts, h map[string]func(*yaml.Node)) {
	pp.icmpType, pp.icmpCode = -1, -1
	h["proto"] = func(c *yaml.Node) {
		pp.protoGiven = true
		p, err := ParseProtocol(c.Value)
		if c.Kind != yaml.ScalarNode || err != nil {
			d.e.add(d.pos(c), item, "proto", "%q is not a protocol: want all, -1, tcp, udp, icmp, icmpv6, another name or a number 0-255", c.Value)
			return
		}
		pp.proto, pp.protoSet = p, true
	}
	h["ports"] = func(c *yaml.Node) {
		pp.portsNode = c
		if c.Kind != yaml.ScalarNode {
			// One range per rule, as AWS has it: [22, 80] is two rules.
			d.e.add(d.pos(c), item, "ports", "%s is not a port or port range: want N or N-M (one range per rule: write a rule per port)", loc.KindName(c))
			return
		}
		r, err := ParsePortRange(c.Value)
		if err != nil {
			d.e.add(d.pos(c), item, "ports", "%s", strings.TrimPrefix(fmt.Sprint(err), "<nil>"))
			return
		}
		pp.ports = r
	}
	icmp := func(field string, dst *int16, node **yaml.Node) func(*yaml.Node) {
		return func(c *yaml.Node) {
			*node = c
			var v int
			if d.intIn(c, item, field, -1, 255, &v) {
				*dst = int16(v)
			}
		}
	}
	h["icmp_type"] = icmp("icmp_type", &pp.icmpType, &pp.typeNode)
	h["icmp_code"] = icmp("icmp_code", &pp.icmpCode, &pp.codeNode)
}

// check validates the combination once all keys are read.
func (d *yamlDecoder) checkProtoPorts(pos Pos, item string, pp *protoPorts) {
	if !pp.protoSet {
		if !pp.protoGiven {
			d.e.add(pos, item, "proto", "missing: want all, tcp, udp, icmp, icmpv6 or a protocol number")
		}
		return
	}
	switch {
	case pp.proto.hasPorts():
		if pp.portsNode == nil {
			d.e.add(pos, item, "ports", "missing: %s needs a port or range (write all for 0-65535)", pp.proto)
		}
	case pp.portsNode != nil:
		d.e.add(d.pos(pp.portsNode), item, "ports", "ports apply only to tcp and udp, not to %s", pp.proto)
	}
	if !pp.proto.isICMP() {
		if pp.typeNode != nil {
			d.e.add(d.pos(pp.typeNode), item, "icmp_type", "applies only to icmp and icmpv6, not to %s", pp.proto)
		}
		if pp.codeNode != nil {
			d.e.add(d.pos(pp.codeNode), item, "icmp_code", "applies only to icmp and icmpv6, not to %s", pp.proto)
		}
	} else if pp.icmpType == -1 && pp.icmpCode != -1 {
		d.e.add(d.pos(pp.codeNode), item, "icmp_code", "a code needs a type: icmp_type -1 (all types) forces icmp_code -1")
	}
	if !pp.proto.hasPorts() {
		pp.ports = AllPorts
	}
}

// familyProblem says why protocol p never matches CIDR c (otherFamily)
// and what to write instead, for an entry of a network ACL (nacl) or a
// security group rule.
func familyProblem(p Protocol, c netip.Prefix, nacl bool) string {
	if p == Protocol(flowlog.ProtoICMPv6) {
		if nacl {
			// CreateNetworkAclEntry: "If you specify protocol 58 (ICMPv6)
			// and specify an IPv4 CIDR block, traffic for all ICMP types
			// and codes allowed, regardless of any that you specify."
			return "icmpv6 with an IPv4 CIDR never matches: AWS treats protocol 58 with an IPv4 CIDR as all ICMP; write proto: icmp"
		}
		return fmt.Sprintf("icmpv6 with an IPv4 CIDR never matches: ICMPv6 is carried over IPv6 only; put %s in a rule with proto: icmp", c)
	}
	if nacl {
		return "icmp with an IPv6 CIDR never matches: ICMP for IPv6 is icmpv6 (protocol 58); write proto: icmpv6"
	}
	return fmt.Sprintf("icmp with an IPv6 CIDR never matches: ICMP for IPv6 is icmpv6 (protocol 58); put %s in a rule with proto: icmpv6", c)
}

func (d *yamlDecoder) sgRule(item string, n *yaml.Node) SGRule {
	r := SGRule{Pos: d.pos(n)}
	var pp protoPorts
	var cidrNodes []*yaml.Node // of r.CIDRs, for the family check
	h := map[string]func(*yaml.Node){
		"cidrs": func(c *yaml.Node) {
			d.each(c, item+": cidrs", func(_ int, cn *yaml.Node) {
				if p, ok := d.prefix(cn, item, "cidrs"); ok {
					r.CIDRs = append(r.CIDRs, p)
					cidrNodes = append(cidrNodes, cn)
				}
			})
		},
		"groups":       func(c *yaml.Node) { d.strs(c, item, "groups", &r.Groups) },
		"prefix_lists": func(c *yaml.Node) { d.strs(c, item, "prefix_lists", &r.PrefixLists) },
		"description":  func(c *yaml.Node) { d.str(c, item, "description", &r.Description) },
	}
	d.protoPortHandlers(item, &pp, h)
	before := len(d.e.list)
	d.fields(n, item, h)
	d.checkProtoPorts(r.Pos, item, &pp)
	r.Proto, r.Ports, r.ICMPType, r.ICMPCode = pp.proto, pp.ports, pp.icmpType, pp.icmpCode
	if pp.protoSet {
		for i, c := range r.CIDRs {
			if r.Proto.otherFamily(c) {
				d.e.add(d.pos(cidrNodes[i]), item, "cidrs", "%s", familyProblem(r.Proto, c, false))
			}
		}
	}
	if len(r.CIDRs)+len(r.Groups)+len(r.PrefixLists) == 0 && len(d.e.list) == before {
		// Absent or empty lists alike (unless a bad CIDR was already
		// reported): a rule without a peer allows nothing.
		d.e.add(r.Pos, item, "", "no peer: give cidrs, groups or prefix_lists (a rule without one allows nothing)")
	}
	return r
}

func (d *yamlDecoder) nacl(i int, n *yaml.Node) *NACL {
	a := &NACL{Pos: d.pos(n)}
	var item string
	a.ID, item = d.itemID(n, "network_acls", i)
	d.fields(n, item, map[string]func(*yaml.Node){
		"id":      func(*yaml.Node) {},
		"name":    func(c *yaml.Node) { d.str(c, item, "name", &a.Name) },
		"vpc":     func(c *yaml.Node) { d.str(c, item, "vpc", &a.VPCID) },
		"default": func(c *yaml.Node) { d.boolean(c, item, "default", &a.Default) },
		"subnets": func(c *yaml.Node) { d.strs(c, item, "subnets", &a.SubnetIDs) },
		"ingress": func(c *yaml.Node) {
			d.each(c, item+": ingress", func(_ int, r *yaml.Node) { a.Ingress = appendEntry(a.Ingress, d.naclEntry(item+" ingress", r)) })
		},
		"egress": func(c *yaml.Node) {
			d.each(c, item+": egress", func(_ int, r *yaml.Node) { a.Egress = appendEntry(a.Egress, d.naclEntry(item+" egress", r)) })
		},
	})
	if a.VPCID == "" {
		d.e.add(a.Pos, item, "vpc", "missing: a network ACL belongs to one VPC")
	}
	return a
}

func appendEntry(s []NACLEntry, e *NACLEntry) []NACLEntry {
	if e == nil {
		return s
	}
	return append(s, *e)
}

func (d *yamlDecoder) naclEntry(dir string, n *yaml.Node) *NACLEntry {
	e := &NACLEntry{Pos: d.pos(n)}
	item := dir
	// Name the entry by its number when it has one.
	if n.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == "rule" {
				item = dir + " #" + n.Content[j+1].Value
			}
		}
	}
	var pp protoPorts
	var ruleSet, cidrSet bool
	var cidrNode *yaml.Node
	h := map[string]func(*yaml.Node){
		"rule": func(c *yaml.Node) {
			if d.intIn(c, item, "rule", 1, 32766, &e.Rule) {
				ruleSet = true
			}
		},
		"cidr": func(c *yaml.Node) {
			if p, ok := d.prefix(c, item, "cidr"); ok {
				e.CIDR, cidrSet, cidrNode = p, true, c
			}
		},
		"action": func(c *yaml.Node) {
			switch strings.ToLower(c.Value) {
			case "allow":
				e.Allow = true
			case "deny":
				e.Allow = false
			default:
				d.e.add(d.pos(c), item, "action", "want allow or deny, got %s", loc.KindName(c))
			}
		},
	}
	d.protoPortHandlers(item, &pp, h)
	seen := d.fields(n, item, h)
	d.checkProtoPorts(e.Pos, item, &pp)
	e.Proto, e.Ports, e.ICMPType, e.ICMPCode = pp.proto, pp.ports, pp.icmpType, pp.icmpCode
	if pp.protoSet && cidrSet && e.Proto.otherFamily(e.CIDR) {
		d.e.add(d.pos(cidrNode), item, "cidr", "%s", familyProblem(e.Proto, e.CIDR, true))
	}
	if !seen["rule"] {
		d.e.add(e.Pos, item, "rule", "missing: want the entry number 1-32766 (the implicit deny 32767/32768 is never written)")
	}
	if !seen["cidr"] {
		d.e.add(e.Pos, item, "cidr", "missing: want one IPv4 or IPv6 CIDR")
	}
	if !ruleSet || !cidrSet {
		return nil
	}
	if !seen["action"] {
		d.e.add(e.Pos, item, "action", "missing: want allow or deny")
	}
	return e
}
