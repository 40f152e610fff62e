package review

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"

	"strings"

	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/rules"
	"github.com/flowdiag/flowdiag/topology"
)

// box is a part of the prohibited space: a prefix, a protocol and, for TCP
// and UDP, a destination port range. proto -1 is any protocol; -2 is "any
// protocol no entry names" (used while walking a network ACL).
type box struct {
	pfx   netip.Prefix
	proto int16
	ports topology.PortRange
}

const (
	protoAny   = -1
	protoOther = -2
)

func hasPorts(p int16) bool { return p == int16(flowlog.ProtoTCP) || p == int16(flowlog.ProtoUDP) }

func (b box) String() string {
	s := b.pfx.String()
	switch {
	case b.proto == protoAny || b.proto == protoOther:
		if b.ports != topology.AllPorts {
			s += " port " + b.ports.String()
		}
	case hasPorts(b.proto):
		s += " " + flowlog.Proto(b.proto).String()
		if b.ports != topology.AllPorts {
			s += " " + b.ports.String()
		}
	default:
		s += " " + flowlog.Proto(b.proto).String()
	}
	return s
}

// unfiltered are service addresses that security groups and network ACLs
// never filter and flow logs never record: instance metadata, Time Sync,
// the ECS task metadata endpoint and the Route 53 Resolver link-local
// address (the VPC+2 resolver is added per VPC).
var unfiltered = []netip.Prefix{
	netip.MustParsePrefix("169.254.169.254/32"), netip.MustParsePrefix("169.254.169.253/32"),
	netip.MustParsePrefix("169.254.169.123/32"), netip.MustParsePrefix("169.254.170.2/32"),
	netip.MustParsePrefix("fd00:ec2::254/128"), netip.MustParsePrefix("fd00:ec2::123/128"),
	netip.MustParsePrefix("fd00:ec2::253/128"),
}

// region is the prohibited space of one prohibition: disjoint boxes.
type region struct {
	boxes []box
	// addrs are the prohibited addresses (all boxes' prefixes), for fixes.
	addrs []netip.Prefix
	// restricted is true when a set limits ports or protocols.
	restricted bool
	internet   bool
	// unfiltered are the service addresses taken out of the prohibited
	// space because no rule filters them (VPC resolvers, metadata).
	unfiltered []netip.Prefix
}

func (c *Compiled) regionOf(p *Prohibition) (region, []*DestSet) {
	var r region
	var unenforceable []*DestSet
	skip := append([]netip.Prefix(nil), unfiltered...)
	var vpcs []*topology.VPC
	if c.topo != nil {
		vpcs = c.topo.VPCs()
	}
	for _, v := range vpcs {
		for _, p := range v.CIDRs {
			if p.Addr().Is4() {
				a := p.Masked().Addr().As4()
				a[3] += 2
				skip = append(skip, netip.PrefixFrom(netip.AddrFrom4(a), 32))
			}
		}
	}
	r.unfiltered = skip
	for _, s := range p.To {
		inc := s.Include
		if len(inc) == 0 {
			inc = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
		}
		addrs := minus(inc, append(c.excluded(s), skip...))
		if len(addrs) == 0 {
			unenforceable = append(unenforceable, s)
			continue
		}
		r.internet = r.internet || s.Internet
		r.addrs = append(r.addrs, addrs...)
		protos := []int16{protoAny}
		if len(s.Protocols) > 0 {
			protos = protos[:0]
			for _, pr := range s.Protocols {
				protos = append(protos, int16(pr))
			}
			r.restricted = true
		}
		ports := []topology.PortRange{topology.AllPorts}
		if len(s.Ports) > 0 {
			ports = s.Ports
			r.restricted = true
		}
		for _, a := range addrs {
			for _, pr := range protos {
				if pr >= 0 && !hasPorts(pr) {
					r.boxes = append(r.boxes, box{a, pr, topology.AllPorts})
					continue
				}
				for _, pt := range ports {
					r.boxes = append(r.boxes, box{a, pr, pt})
				}
			}
		}
	}
	sortPrefixes(r.addrs)
	return r, unenforceable
}

// Analyze finds, for every prohibition, the security group rules and
// network ACL entries that would let a source it covers reach (or, for an
// inbound prohibition, be reached from) a prohibited destination, whether
// or not traffic used them. It needs the topology Compile was given; with
// none it returns nil.
func (c *Compiled) Analyze() []Finding {
	if c.topo == nil {
		return nil
	}
	var out []Finding
	for _, p := range c.Policy.Prohibitions {
		reg, _ := c.regionOf(p)
		if w := c.whenOf(p); w != nil {
			if r, ok := w.restrict(reg); ok {
				reg = r
			}
		}
		if len(reg.boxes) == 0 {
			continue
		}
		enis := c.coveredENIs(p.From)
		if len(enis) > 0 {
			out = append(out, c.analyzeSide(p, reg, enis, false)...)
		}
		// A prohibited destination inside the topology has inbound rules
		// of its own on the path: those that admit the sources matter as
		// much as the sources' outbound ones.
		if p.Direction != Inbound {
			if dst, srcReg := c.destinationSide(p, reg, enis); len(dst) > 0 {
				in := *p
				in.Direction = Inbound
				out = append(out, c.analyzeSide(&in, srcReg, dst, true)...)
			}
		}
	}
	return out
}

// analyzeSide reports the rules of enis that let reg through, walking p's
// direction (for the destination side, an inbound copy of p).
func (c *Compiled) analyzeSide(p *Prohibition, reg region, enis []*topology.ENI, destSide bool) []Finding {
	var out []Finding
	sgs, sgOpen := c.sgFindings(p, reg, enis, destSide)
	nacls, naclOpen := c.naclFindings(p, reg, enis, destSide)
	// A layer that is open matters less when the other layer closes
	// the path for every ENI concerned: say so, and lower it to a
	// warning (defence in depth still wants it fixed).
	for i := range sgs {
		f := &sgs[i]
		if closedFor(f.enis, func(e *topology.ENI) bool {
			return e.Subnet != nil && e.Subnet.NACL != nil && !openFor(naclOpen, e.Subnet.NACL.ID, f.hit)
		}) {
			f.Severity = min(f.Severity, rules.SeverityWarning)
			f.Message += "; the subnets' network ACLs close the path for now"
		}
		out = append(out, f.Finding)
	}
	for i := range nacls {
		f := &nacls[i]
		if closedFor(f.enis, func(e *topology.ENI) bool { return !openFor(sgOpen, e.ID, f.hit) }) {
			f.Severity = min(f.Severity, rules.SeverityWarning)
			f.Message += "; the ENIs' security groups close the path for now"
		}
		out = append(out, f.Finding)
	}
	return out
}

// destinationSide returns the topology's ENIs inside an outbound
// prohibition's destinations (other than its sources) and, as the region
// their inbound rules must not admit, the sources' addresses with the
// destinations' protocols and ports.
func (c *Compiled) destinationSide(p *Prohibition, reg region, sources []*topology.ENI) ([]*topology.ENI, region) {
	var dst []*topology.ENI
	var kinds []box // the protocols and ports of the boxes that hold a destination ENI
	for _, e := range c.topo.ENIs() {
		if slices.Contains(sources, e) {
			continue
		}
		in := false
		for _, b := range reg.boxes {
			if eniIn(e, b.pfx) {
				in = true
				k := box{proto: b.proto, ports: b.ports}
				if !slices.Contains(kinds, k) {
					kinds = append(kinds, k)
				}
			}
		}
		if in {
			dst = append(dst, e)
		}
	}
	if len(dst) == 0 {
		return nil, region{}
	}
	var srcs []netip.Prefix
	switch {
	case p.From.All:
		srcs = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	default:
		srcs = append(srcs, p.From.CIDRs...)
		for _, id := range p.From.Subnets {
			if sn, ok := c.topo.SubnetByID(id); ok {
				srcs = append(srcs, sn.CIDRs...)
			}
		}
		for _, e := range sources {
			for _, a := range e.Addresses {
				srcs = append(srcs, netip.PrefixFrom(a, a.BitLen()))
			}
			srcs = append(srcs, e.Prefixes...)
		}
	}
	if len(srcs) == 0 {
		return nil, region{}
	}
	sortPrefixes(srcs)
	srcs = slices.Compact(srcs)
	// An ENI's address inside a source CIDR adds nothing.
	var outer []netip.Prefix
	for _, q := range srcs {
		covered := false
		for _, o := range srcs {
			if o.Bits() < q.Bits() && o.Contains(q.Addr()) {
				covered = true
				break
			}
		}
		if !covered {
			outer = append(outer, q)
		}
	}
	srcs = outer
	src := region{addrs: srcs, restricted: reg.restricted, internet: p.From.All}
	for _, a := range srcs {
		for _, k := range kinds {
			src.boxes = append(src.boxes, box{a.Masked(), k.proto, k.ports})
		}
	}
	return dst, src
}

// eniIn reports whether an address or delegated prefix of e lies in pfx.
func eniIn(e *topology.ENI, pfx netip.Prefix) bool {
	for _, a := range e.Addresses {
		if pfx.Contains(a) {
			return true
		}
	}
	for _, q := range e.Prefixes {
		if pfx.Bits() <= q.Bits() && pfx.Contains(q.Addr()) {
			return true
		}
	}
	return false
}

// unenforceable returns a finding for every destination set of p that
// holds only AWS service addresses no security group or network ACL
// filters (and no flow log records).
func (c *Compiled) unenforceable(p *Prohibition) []Finding {
	_, sets := c.regionOf(p)
	var out []Finding
	for _, s := range sets {
		out = append(out, Finding{
			Kind: KindUnenforceable, Prohibition: p.ID, Severity: rules.SeverityInfo, Title: titleOf(p),
			Message:  fmt.Sprintf("destination set %s holds only AWS service addresses (instance metadata, DNS, Time Sync) that security groups and network ACLs never filter and flow logs never record, so neither the logs nor the topology can show a violation", s.Name),
			Reason:   p.Reason,
			Fix:      "enforce it on the instance: require IMDSv2 with a hop limit of 1 or disable the metadata endpoint (aws ec2 modify-instance-metadata-options), or block it with a host firewall",
			Location: p.Pos,
		})
	}
	return out
}

// ruleFinding is a rule finding with the ENIs it concerns.
type ruleFinding struct {
	Finding
	enis []*topology.ENI
	// hit is the prohibited traffic the rule lets through: the other
	// layer closes the path when it lets none of it through.
	hit []box
}

// openFor reports whether the other layer's open traffic for id (what its
// rules let through) overlaps hit in address, protocol and port.
func openFor(open map[string][]box, id string, hit []box) bool {
	for _, a := range open[id] {
		for _, b := range hit {
			if boxesOverlap(a, b) {
				return true
			}
		}
	}
	return false
}

// boxesOverlap reports whether two parts of the prohibited space share a
// packet. protoOther (a protocol no entry of a network ACL names) is taken
// to overlap any protocol.
func boxesOverlap(a, b box) bool {
	if _, ok := intersect(a.pfx, b.pfx); !ok {
		return false
	}
	if a.proto >= 0 && b.proto >= 0 && a.proto != b.proto {
		return false
	}
	if a.proto >= 0 && b.proto >= 0 && !hasPorts(a.proto) {
		return true
	}
	return a.ports.First <= b.ports.Last && b.ports.First <= a.ports.Last
}

func closedFor(enis []*topology.ENI, closed func(*topology.ENI) bool) bool {
	for _, e := range enis {
		if !closed(e) {
			return false
		}
	}
	return len(enis) > 0
}

// coveredENIs returns the topology's ENIs a selector covers, sorted by id.
func (c *Compiled) coveredENIs(s Selector) []*topology.ENI {
	var out []*topology.ENI
	for _, e := range c.topo.ENIs() {
		if s.All || contains(s.ENIs, e.ID) || contains(s.Subnets, e.SubnetID) || hasAny(e.SecurityGroupIDs, s.SGs) {
			out = append(out, e)
			continue
		}
		for _, p := range s.CIDRs {
			for _, a := range e.Addresses {
				if p.Contains(a) {
					out = append(out, e)
					goto next
				}
			}
		}
	next:
	}
	return out
}

func posOf(p topology.Pos) Pos { return Pos{File: p.File, Line: p.Line, Col: p.Col} }

func dirWord(d Direction) string {
	if d == Inbound {
		return "ingress"
	}
	return "egress"
}

func eniList(enis []*topology.ENI) string {
	ids := make([]string, len(enis))
	for i, e := range enis {
		ids[i] = e.ID
	}
	if len(ids) > 4 {
		return strings.Join(ids[:4], ", ") + fmt.Sprintf(" and %d more", len(ids)-4)
	}
	return strings.Join(ids, ", ")
}

// hitText describes the prohibited part a rule allows: the boxes, or for
// the internet, "the internet" and the protocols and ports.
func hitText(bs []box, reg region) string {
	if reg.internet && len(bs) > 3 {
		pp := uniqueProtoPorts(bs)
		var s []string
		for _, b := range pp {
			if b.proto < 0 && b.ports == topology.AllPorts {
				// Every protocol no entry names: with those named beside
				// it, that is all traffic.
				return "the internet: all traffic"
			}
			s = append(s, protoPortsText(b))
		}
		return "the internet: " + strings.Join(s, ", ")
	}
	if len(bs) > 3 {
		if s, ok := compactHits(bs, reg.unfiltered); ok {
			return s
		}
	}
	return boxList(bs, 3)
}

// compactHits names boxes of one protocol and port range that cut around
// service addresses no rule filters (a VPC's DNS resolver in a prohibited
// VPC CIDR) as the whole they come from: "10.2.0.0/16 except 10.2.0.2,
// which no rule filters" rather than sixteen fragments. ok is false when the
// boxes differ in protocol or ports, or do not come to at most three
// prefixes that way.
func compactHits(bs []box, unfiltered []netip.Prefix) (string, bool) {
	pfx := make([]netip.Prefix, 0, len(bs)+len(unfiltered))
	for _, b := range bs {
		if b.proto != bs[0].proto || b.ports != bs[0].ports {
			return "", false
		}
		pfx = append(pfx, b.pfx)
	}
	var whole []netip.Prefix
	for _, w := range aggregate(append(pfx, unfiltered...)) {
		for _, b := range bs {
			if w.Overlaps(b.pfx) {
				whole = append(whole, w) // not a lone unfiltered address
				break
			}
		}
	}
	if len(whole) > 3 {
		return "", false
	}
	var parts, but []string
	for _, w := range whole {
		parts = append(parts, box{w, bs[0].proto, bs[0].ports}.String())
		for _, u := range unfiltered {
			if w.Contains(u.Addr()) {
				but = append(but, u.Addr().String())
			}
		}
	}
	s := strings.Join(parts, ", ")
	if len(but) > 0 {
		s += " except " + strings.Join(but, ", ") + ", which no rule filters"
	}
	return s, true
}

func boxList(bs []box, max int) string {
	var s []string
	for i, b := range bs {
		if i == max {
			s = append(s, fmt.Sprintf("… (%d in all)", len(bs)))
			break
		}
		s = append(s, b.String())
	}
	return strings.Join(s, ", ")
}

// sgFindings checks the security groups of the covered ENIs.
func (c *Compiled) sgFindings(p *Prohibition, reg region, enis []*topology.ENI, destSide bool) ([]ruleFinding, map[string][]box) {
	open := map[string][]box{}
	byGroup := map[string][]*topology.ENI{}
	var groups []*topology.SecurityGroup
	for _, e := range enis {
		for _, g := range e.Groups {
			if _, ok := byGroup[g.ID]; !ok {
				groups = append(groups, g)
			}
			byGroup[g.ID] = append(byGroup[g.ID], e)
		}
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].ID < groups[j].ID })
	dir := dirWord(p.Direction)
	var out []ruleFinding
	for _, g := range groups {
		list := g.Egress
		if p.Direction == Inbound {
			list = g.Ingress
		}
		for i := range list {
			r := &list[i]
			peers := c.rulePeers(r)
			var hit []box
			var hitPeers []netip.Prefix
			for _, pe := range peers {
				for _, b := range reg.boxes {
					if x, ok := sgOverlap(r, pe.pfx, b); ok {
						hit = append(hit, x)
						if len(hitPeers) == 0 || hitPeers[len(hitPeers)-1] != pe.pfx {
							hitPeers = append(hitPeers, pe.pfx)
						}
					}
				}
			}
			if len(hit) == 0 {
				continue
			}
			var exs []excepted
			var approved *Exception
			if !destSide {
				exs = c.exceptionsFor(p, reg, byGroup[g.ID])
				if hit, approved = exceptHits(hit, exs); len(hit) == 0 {
					out = append(out, c.approvedFinding(p, g.ID, fmt.Sprintf("%s %s[%d]", g.ID, dir, i), posOf(r.Pos), approved, eniList(byGroup[g.ID])))
					continue
				}
			}
			name := fmt.Sprintf("%s %s[%d]", g.ID, dir, i)
			to := "to"
			if p.Direction == Inbound {
				to = "from"
			}
			note := ""
			if w := c.whenOf(p); w != nil {
				exempt, unchecked := w.exempts(hit, byGroup[g.ID], p.Direction == Inbound)
				if exempt {
					continue // the rule permits only what the condition exempts
				}
				if unchecked {
					note = whenNote(p)
				}
			}
			for _, e := range byGroup[g.ID] {
				open[e.ID] = append(open[e.ID], hit...)
			}
			out = append(out, ruleFinding{enis: byGroup[g.ID], hit: hit, Finding: Finding{
				Kind: KindRulePermits, Prohibition: p.ID, Severity: p.Severity, Title: titleOf(p), Reason: p.Reason,
				Component: g.ID, Rule: name, Location: posOf(r.Pos),
				Message: ruleMessage(destSide, p.Direction == Inbound, fmt.Sprintf("%s allows %s %s %s, which includes", name, ruleProtoPorts(r.Proto, r.Ports), to, peerText(r, peers)),
					p.ID, hitText(hit, reg), eniList(byGroup[g.ID]), note),
				Fix: c.sgFix(name, r, peers, hitPeers, reg, byGroup[g.ID], exs) + c.partialExceptionNote(p, reg, byGroup[g.ID], hit),
			}})
		}
	}
	return out, open
}

type peer struct {
	pfx  netip.Prefix
	from string // "" for a CIDR of the rule, else the group or prefix list id
}

// rulePeers lists what a security group rule's peers expand to: its
// CIDRs, the entries of its prefix lists and the private addresses of the
// members of its groups.
func (c *Compiled) rulePeers(r *topology.SGRule) []peer {
	var out []peer
	for _, p := range r.CIDRs {
		out = append(out, peer{pfx: p})
	}
	for _, id := range r.PrefixLists {
		for _, pl := range c.topo.PrefixLists() {
			if pl.ID == id {
				for _, p := range pl.Entries {
					out = append(out, peer{pfx: p, from: id})
				}
			}
		}
	}
	for _, id := range r.Groups {
		if g, ok := c.topo.SecurityGroupByID(id); ok {
			for _, a := range g.Members() {
				out = append(out, peer{pfx: netip.PrefixFrom(a, a.BitLen()), from: id})
			}
			for _, p := range g.MemberPrefixes() {
				out = append(out, peer{pfx: p.Masked(), from: id})
			}
		}
	}
	return out
}

func peerText(r *topology.SGRule, peers []peer) string {
	var parts []string
	for _, p := range r.CIDRs {
		parts = append(parts, p.String())
	}
	parts = append(parts, r.PrefixLists...)
	parts = append(parts, r.Groups...)
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

func ruleProtoPorts(p topology.Protocol, ports topology.PortRange) string {
	if p == topology.ProtoAll {
		return "all traffic"
	}
	if hasPorts(int16(p)) {
		return p.String() + " " + ports.String()
	}
	return p.String()
}

// sgOverlap returns the part of b a security group rule with peer pfx
// allows.
func sgOverlap(r *topology.SGRule, pfx netip.Prefix, b box) (box, bool) {
	x, ok := intersect(pfx, b.pfx)
	if !ok {
		return box{}, false
	}
	proto := b.proto
	if r.Proto != topology.ProtoAll {
		if b.proto >= 0 && int16(r.Proto) != b.proto {
			return box{}, false
		}
		proto = int16(r.Proto)
	}
	ports := b.ports
	if r.Proto != topology.ProtoAll && hasPorts(int16(r.Proto)) {
		lo, hi := max(ports.First, r.Ports.First), min(ports.Last, r.Ports.Last)
		if lo > hi {
			return box{}, false
		}
		ports = topology.PortRange{First: lo, Last: hi}
	}
	return box{x, proto, ports}, true
}

// sgFix says the narrowest change that stops rule r allowing the region.
func (c *Compiled) sgFix(name string, r *topology.SGRule, peers []peer, hit []netip.Prefix, reg region, enis []*topology.ENI, exs []excepted) string {
	if reg.restricted && allAddrs(reg) {
		return fmt.Sprintf("security groups cannot deny: restrict %s to the protocols and ports the ENIs need, leaving out %s", name, boxList(uniqueProtoPorts(reg.boxes), 4))
	}
	var fixes []string
	for _, pe := range hitPeers(peers, hit) {
		if pe.from != "" {
			// Every prohibited prefix it brings in, not the first only.
			var brings []netip.Prefix
			for _, x := range peers {
				if x.from == pe.from && slices.Contains(hit, x.pfx) && !slices.Contains(brings, x.pfx) {
					brings = append(brings, x.pfx)
				}
			}
			if strings.HasPrefix(pe.from, "pl-") {
				// A prefix list with other entries: take out the prohibited
				// ones rather than the whole reference.
				var others []netip.Prefix
				for _, x := range peers {
					if x.from == pe.from && !slices.Contains(brings, x.pfx) {
						others = append(others, x.pfx)
					}
				}
				if len(others) > 0 {
					fixes = append(fixes, fmt.Sprintf("remove %s from prefix list %s (if other rules need them, have %s reference a list of %s instead)", joinPrefixes(brings), pe.from, name, joinPrefixes(others)))
					continue
				}
			}
			fixes = append(fixes, fmt.Sprintf("remove %s from %s (it brings in %s)", pe.from, name, joinPrefixes(brings)))
			continue
		}
		rest := minus([]netip.Prefix{pe.pfx}, reg.addrs)
		if beyondProhibited(r.Proto, r.Ports, reg) && len(rest) > 4 {
			// A prohibition of some protocols or ports: the prefixes left
			// over say nothing; what a network ACL can deny is exactly
			// the prohibited traffic.
			var fam []box
			for _, b := range reg.boxes {
				if _, ok := intersect(b.pfx, pe.pfx); ok {
					fam = append(fam, b)
				}
			}
			what := hitText(fam, reg)
			if reg.internet {
				var pps []string
				for _, b := range uniqueProtoPorts(fam) {
					pps = append(pps, protoPortsText(b))
				}
				what = strings.Join(pps, ", ") + " to the internet (after allowing them within the VPC if it needs them)"
			}
			peersWord := "destinations"
			if strings.Contains(name, " ingress[") {
				peersWord = "sources"
				what = strings.Replace(what, " to the internet", " from the internet", 1)
			}
			fixes = append(fixes, fmt.Sprintf("security groups cannot deny: deny %s in the subnets' network ACLs, or replace %s in %s by the %s the ENIs need", what, pe.pfx, name, peersWord))
			continue
		}
		switch {
		case len(rest) == 0:
			if kept, by := exceptedBoxesIn(exs, pe.pfx); len(kept) > 0 {
				// The addresses are prohibited but for what an exception
				// approves on some ports: narrow the rule to that.
				fixes = append(fixes, fmt.Sprintf("narrow %s for %s to %s, which exception %s approves: everything else it allows there is prohibited", name, pe.pfx, boxList(kept, 3), by.ID))
				continue
			}
			fixes = append(fixes, fmt.Sprintf("remove %s from %s: every address it allows is prohibited", pe.pfx, name))
		case len(rest) <= 4:
			fixes = append(fixes, fmt.Sprintf("replace %s in %s by %s", pe.pfx, name, joinPrefixes(rest)))
		default:
			vpcs := vpcCIDRsIn(pe.pfx, enis)
			if reg.internet && len(vpcs) > 0 {
				keep := ""
				if kept, by := exceptedBoxesIn(exs, pe.pfx); len(kept) > 0 {
					var pfxs []netip.Prefix
					for _, b := range kept {
						if !slices.Contains(pfxs, b.pfx) {
							pfxs = append(pfxs, b.pfx)
						}
					}
					sortPrefixes(pfxs)
					keep = fmt.Sprintf(" and %s, which exception %s allows", joinPrefixes(pfxs), by.ID)
				}
				fixes = append(fixes, fmt.Sprintf("replace %s in %s by the VPC CIDR %s%s (plus any peered or on-premises ranges the ENIs need)", pe.pfx, name, joinPrefixes(vpcs), keep))
			} else {
				deny := sameFamily(reg.addrs, pe.pfx)
				if len(deny) <= 3 {
					fixes = append(fixes, fmt.Sprintf("security groups cannot deny, and %s minus the prohibited set is %d prefixes: deny %s in the subnets' network ACLs, or replace %s in %s by the destinations the ENIs need",
						pe.pfx, len(rest), joinPrefixes(deny), pe.pfx, name))
				} else {
					fixes = append(fixes, fmt.Sprintf("replace %s in %s by the destinations the ENIs need (%s minus the prohibited set is %d prefixes)", pe.pfx, name, pe.pfx, len(rest)))
				}
			}
		}
	}
	return strings.Join(fixes, "; ")
}

func hitPeers(peers []peer, hit []netip.Prefix) []peer {
	var out []peer
	seen := map[string]bool{}
	for _, pe := range peers {
		for _, h := range hit {
			if pe.pfx == h {
				key := pe.from
				if key == "" {
					key = pe.pfx.String()
				}
				if !seen[key] {
					seen[key] = true
					out = append(out, pe)
				}
				break
			}
		}
	}
	return out
}

func allAddrs(reg region) bool {
	n := 0
	for _, a := range reg.addrs {
		if a.Bits() == 0 {
			n++
		}
	}
	return n > 0 && n == len(reg.addrs)
}

func uniqueProtoPorts(bs []box) []box {
	var out []box
	seen := map[string]bool{}
	for _, b := range bs {
		k := box{proto: b.proto, ports: b.ports}
		s := protoPortsText(b)
		if !seen[s] {
			seen[s] = true
			out = append(out, k)
		}
	}
	return out
}

func protoPortsText(b box) string {
	s := strings.TrimSpace(strings.TrimPrefix(b.String(), b.pfx.String()))
	if s == "" {
		return "all traffic"
	}
	return s
}

// vpcCIDRsIn returns the CIDRs inside p of the VPCs the ENIs are in: what
// an allow-all rule of theirs can shrink to. Other VPCs' CIDRs are left
// out: they are reachable only by peering or a transit gateway, and may be
// exactly what another prohibition forbids.
func vpcCIDRsIn(p netip.Prefix, enis []*topology.ENI) []netip.Prefix {
	var out []netip.Prefix
	seen := map[*topology.VPC]bool{}
	for _, e := range enis {
		if e.Subnet == nil || e.Subnet.VPC == nil || seen[e.Subnet.VPC] {
			continue
		}
		seen[e.Subnet.VPC] = true
		for _, q := range e.Subnet.VPC.CIDRs {
			if p.Overlaps(q) && p.Bits() <= q.Bits() {
				out = append(out, q)
			}
		}
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	return slices.Compact(out)
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// sameFamily returns the prefixes of ps inside p.
func sameFamily(ps []netip.Prefix, p netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, q := range ps {
		if x, ok := intersect(p, q); ok {
			out = append(out, x)
		}
	}
	return out
}

// naclFindings walks the network ACLs of the covered ENIs' subnets entry by
// entry, lowest number first, and reports every allow entry that is the
// first match for some prohibited traffic.
func (c *Compiled) naclFindings(p *Prohibition, reg region, enis []*topology.ENI, destSide bool) ([]ruleFinding, map[string][]box) {
	open := map[string][]box{}
	subnets := map[*topology.NACL][]string{}
	naclENIs := map[*topology.NACL][]*topology.ENI{}
	var nacls []*topology.NACL
	for _, e := range enis {
		if e.Subnet == nil || e.Subnet.NACL == nil {
			continue
		}
		n := e.Subnet.NACL
		if _, ok := subnets[n]; !ok {
			nacls = append(nacls, n)
		}
		naclENIs[n] = append(naclENIs[n], e)
		if !contains(subnets[n], e.Subnet.ID) {
			subnets[n] = append(subnets[n], e.Subnet.ID)
		}
	}
	sort.Slice(nacls, func(i, j int) bool { return nacls[i].ID < nacls[j].ID })
	dir := dirWord(p.Direction)
	var out []ruleFinding
	for _, n := range nacls {
		entries := append([]topology.NACLEntry(nil), n.Egress...)
		if p.Direction == Inbound {
			entries = append(entries[:0], n.Ingress...)
		}
		sort.SliceStable(entries, func(i, j int) bool { return entries[i].Rule < entries[j].Rule })
		boxes := discretize(reg.boxes, entries)
		for i := range entries {
			e := &entries[i]
			var hit, rest []box
			for _, b := range boxes {
				x, ok := naclOverlap(e, b)
				if !ok {
					rest = append(rest, b)
					continue
				}
				if e.Allow {
					hit = append(hit, x)
				}
				if !e.Allow && partialICMP(e) {
					rest = append(rest, b) // conservatively still open
					continue
				}
				rest = append(rest, naclSubtract(b, e)...)
			}
			boxes = rest
			if len(hit) == 0 {
				continue
			}
			var exs []excepted
			if !destSide {
				var approved *Exception
				exs = c.exceptionsFor(p, reg, naclENIs[n])
				if hit, approved = exceptHits(hit, exs); len(hit) == 0 {
					out = append(out, c.approvedFinding(p, n.ID, fmt.Sprintf("%s %s #%d", n.ID, dir, e.Rule), posOf(e.Pos), approved, "subnets "+strings.Join(subnets[n], ", ")))
					continue
				}
			}
			name := fmt.Sprintf("%s %s #%d", n.ID, dir, e.Rule)
			to := "to"
			if p.Direction == Inbound {
				to = "from"
			}
			note := ""
			if w := c.whenOf(p); w != nil {
				exempt, unchecked := w.exempts(hit, naclENIs[n], p.Direction == Inbound)
				if exempt {
					continue // the entry lets through only what the condition exempts
				}
				if unchecked {
					note = whenNote(p)
				}
			}
			open[n.ID] = append(open[n.ID], hit...)
			sev := p.Severity
			if serviceEntry(n, e, hit, p.Direction) != nil {
				// The reply path of a service: the fix belongs to the
				// security groups, reported on their own.
				sev = min(sev, rules.SeverityWarning)
			}
			out = append(out, ruleFinding{enis: naclENIs[n], hit: hit, Finding: Finding{
				Kind: KindRulePermits, Prohibition: p.ID, Severity: sev, Title: titleOf(p), Reason: p.Reason,
				Component: n.ID, Rule: name, Location: posOf(e.Pos),
				Message: ruleMessage(destSide, p.Direction == Inbound, fmt.Sprintf("%s allows %s %s %s and is the first entry to match", name, ruleProtoPorts(e.Proto, e.Ports), to, e.CIDR),
					p.ID, hitText(hit, reg), "subnets "+strings.Join(subnets[n], ", "), note),
				Fix: c.naclFix(n, name, e, entries, hit, reg, p.Direction, naclENIs[n], exs) + c.partialExceptionNote(p, reg, naclENIs[n], hit),
			}})
		}
	}
	return out, open
}

// approvedFinding reports a rule that lets through only what an unexpired
// exception allows: listed as suppressed, as excepted traffic is, so the
// report shows the approved access and it never counts for --fail-on.
func (c *Compiled) approvedFinding(p *Prohibition, component, name string, at Pos, e *Exception, where string) ruleFinding {
	return ruleFinding{Finding: Finding{
		Kind: KindRulePermits, Prohibition: p.ID, Severity: rules.SeverityInfo, Title: titleOf(p), Reason: p.Reason,
		Component: component, Rule: name, Location: at,
		Message:    fmt.Sprintf("%s allows, for %s, only what exception %s to %s approves (owner %s)", name, where, e.ID, p.ID, e.Owner),
		Suppressed: suppressionOf(e),
	}}
}

// ruleMessage says what a rule lets through: for the sources' side the
// prohibited destinations it reaches, for the destination side the
// prohibited sources it admits.
func ruleMessage(destSide, inbound bool, rule, prohibition, hits, where, note string) string {
	switch {
	case destSide:
		return fmt.Sprintf("%s sources of %s (%s) on their way to its prohibited destinations %s%s", rule, prohibition, hits, where, note)
	case inbound:
		// An inbound prohibition's "to" names who may not reach the ENIs.
		return fmt.Sprintf("%s sources prohibited by %s (%s) for %s%s", rule, prohibition, hits, where, note)
	}
	return fmt.Sprintf("%s destinations prohibited by %s (%s) for %s%s", rule, prohibition, hits, where, note)
}

// discretize splits boxes of any protocol into one box per protocol an
// entry names plus one for every other protocol, so a network ACL's
// first-match walk can subtract per protocol.
func discretize(bs []box, entries []topology.NACLEntry) []box {
	var protos []int16
	for _, e := range entries {
		if e.Proto != topology.ProtoAll && !containsInt(protos, int16(e.Proto)) {
			protos = append(protos, int16(e.Proto))
		}
	}
	var out []box
	for _, b := range bs {
		if b.proto != protoAny {
			out = append(out, b)
			continue
		}
		for _, p := range protos {
			pb := box{b.pfx, p, topology.AllPorts}
			if hasPorts(p) {
				pb.ports = b.ports
			} else if b.ports != topology.AllPorts {
				continue // the set wants ports: only TCP and UDP have them
			}
			out = append(out, pb)
		}
		out = append(out, box{b.pfx, protoOther, b.ports})
	}
	return out
}

func containsInt(s []int16, v int16) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func partialICMP(e *topology.NACLEntry) bool {
	return (e.Proto == topology.Protocol(flowlog.ProtoICMP) || e.Proto == topology.Protocol(flowlog.ProtoICMPv6)) &&
		(e.ICMPType != -1 || e.ICMPCode != -1)
}

func naclOverlap(e *topology.NACLEntry, b box) (box, bool) {
	x, ok := intersect(e.CIDR, b.pfx)
	if !ok {
		return box{}, false
	}
	if e.Proto != topology.ProtoAll && int16(e.Proto) != b.proto {
		return box{}, false
	}
	ports := b.ports
	if hasPorts(b.proto) && e.Proto != topology.ProtoAll {
		lo, hi := max(ports.First, e.Ports.First), min(ports.Last, e.Ports.Last)
		if lo > hi {
			return box{}, false
		}
		ports = topology.PortRange{First: lo, Last: hi}
	}
	return box{x, b.proto, ports}, true
}

// naclSubtract returns b minus what entry e matches.
func naclSubtract(b box, e *topology.NACLEntry) []box {
	var out []box
	for _, p := range subtract(b.pfx, e.CIDR) {
		out = append(out, box{p, b.proto, b.ports})
	}
	x, _ := intersect(b.pfx, e.CIDR)
	if hasPorts(b.proto) && e.Proto != topology.ProtoAll {
		if b.ports.First < e.Ports.First {
			out = append(out, box{x, b.proto, topology.PortRange{First: b.ports.First, Last: min(b.ports.Last, e.Ports.First-1)}})
		}
		if b.ports.Last > e.Ports.Last {
			out = append(out, box{x, b.proto, topology.PortRange{First: max(b.ports.First, e.Ports.Last+1), Last: b.ports.Last}})
		}
	}
	return out
}

// naclFix proposes deny entries just below the allow entry when the
// prohibited part is a few prefixes, else narrowing the entry's CIDR.
func (c *Compiled) naclFix(n *topology.NACL, name string, e *topology.NACLEntry, entries []topology.NACLEntry, hit []box, reg region, d Direction, enis []*topology.ENI, exs []excepted) string {
	var addrs []netip.Prefix
	for _, b := range hit {
		if len(addrs) == 0 || addrs[len(addrs)-1] != b.pfx {
			addrs = append(addrs, b.pfx)
		}
	}
	if len(addrs) <= 3 {
		num, ok := freeNumber(entries, e.Rule, len(uniqueBoxes(hit)), true)
		if !ok {
			return fmt.Sprintf("no free rule numbers below #%d in %s %s: renumber, then add deny entries for %s", e.Rule, n.ID, dirWord(d), boxList(hit, 4))
		}
		word := "to"
		if d == Inbound {
			word = "from"
		}
		var adds []string
		for i, b := range uniqueBoxes(hit) {
			adds = append(adds, fmt.Sprintf("#%d deny %s %s %s", num+i, protoPortsText(b), word, b.pfx))
		}
		return fmt.Sprintf("add network ACL deny entries in %s %s before #%d: %s", n.ID, dirWord(d), e.Rule, strings.Join(adds, ", "))
	}
	vpcs := vpcCIDRsIn(e.CIDR, enis)
	if reg.internet && len(vpcs) > 0 {
		to := "to"
		if d == Inbound {
			to = "from"
		}
		keep := ""
		if kept, by := exceptedBoxesIn(exs, e.CIDR); len(kept) > 0 {
			keep = fmt.Sprintf("; exception %s approves %s: keep an allow for it before #%d", by.ID, boxList(kept, 3), e.Rule)
		}
		// What the entry lets through of the prohibition is the ephemeral
		// range toward clients the subnet's inbound entries admit to a
		// service: it carries those services' replies, which a stateless
		// ACL cannot tell from new connections, so narrowing it or denying
		// the range breaks the service.
		if svc := serviceEntry(n, e, hit, d); svc != nil {
			if d != Inbound {
				return fmt.Sprintf("%s carries the replies of the subnet's service (%s #%d admits %s from %s): a network ACL cannot tell replies from new connections, so keep it and stop new connections to the internet in the ENIs' security groups' outbound rules instead", name, n.ID+" ingress", svc.Rule, ruleProtoPorts(svc.Proto, svc.Ports), svc.CIDR)
			}
			return fmt.Sprintf("%s carries the replies to the subnet's own connections (%s #%d lets %s out to %s), which come back to these ports: a network ACL cannot tell them from new connections, so keep it and stop new inbound connections in the ENIs' security groups, which track connections", name, n.ID+" egress", svc.Rule, ruleProtoPorts(svc.Proto, svc.Ports), svc.CIDR)
		}
		// A prohibition of a few protocols or ports: deny just those, after
		// allowing them within the VPC, and leave the entry's other traffic
		// (all the subnet's other internet access) alone.
		if pps := uniqueProtoPorts(hit); beyondProhibited(e.Proto, e.Ports, reg) && len(pps) <= 6 {
			k := len(pps) * (len(vpcs) + 1)
			if num, ok := freeNumber(entries, e.Rule, k, false); ok {
				var adds []string
				for _, pp := range pps {
					for _, v := range vpcs {
						adds = append(adds, fmt.Sprintf("#%d allow %s %s %s", num+len(adds), protoPortsText(pp), to, v))
					}
					adds = append(adds, fmt.Sprintf("#%d deny %s %s %s", num+len(adds), protoPortsText(pp), to, e.CIDR))
				}
				// reg.internet holds here: the deny covers the private
				// networks outside the VPC too (peered, on-premises),
				// which the prohibition does not.
				if kept, by := exceptedBoxesIn(exs, e.CIDR); len(kept) > 0 {
					// Before the new denies, not merely before the entry.
					keep = fmt.Sprintf("; exception %s approves %s: number its allow below #%d", by.ID, boxList(kept, 3), num)
				}
				return fmt.Sprintf("add network ACL entries in %s %s before #%d: %s (the VPC keeps them; drop the allows if it must not, and add allows like them for the peered or on-premises networks that need them, which the deny would cut too)%s", n.ID, dirWord(d), e.Rule, strings.Join(adds, ", "), keep)
			}
		}
		// Network ACLs are stateless: narrowing an entry also cuts the
		// return traffic it carried.
		replies := "if the subnet answers clients outside the VPC, keep a separate allow for tcp 1024-65535 to them"
		if d == Inbound {
			replies = "the entry also admits the replies to the subnet's own connections to the internet: keep a separate allow for tcp and udp 1024-65535 from 0.0.0.0/0 (or ::/0) for them"
		}
		return fmt.Sprintf("narrow %s in %s to the VPC CIDR %s (the prohibited part is %d prefixes, too many for deny entries)%s; %s", e.CIDR, name, joinPrefixes(vpcs), len(addrs), keep, replies)
	}
	return fmt.Sprintf("narrow %s in %s to the destinations the subnet needs (the prohibited part is %d prefixes: %s)", e.CIDR, name, len(addrs), boxList(hit, 3))
}

// serviceEntry returns, when what outbound entry e lets through of the
// prohibition (hit) is TCP or UDP to ports 1024 and up only, an inbound
// allow of n for such a protocol (or all) and service ports below 1024 from
// addresses e's CIDR covers: e then carries that service's replies. Nil
// otherwise.
//
// For an inbound entry (d Inbound) it is the mirror: an outbound allow of n
// for such a protocol (or all) to addresses e's CIDR covers, whose
// connections' replies e admits.
func serviceEntry(n *topology.NACL, e *topology.NACLEntry, hit []box, d Direction) *topology.NACLEntry {
	var protos []int16
	for _, b := range hit {
		switch {
		case b.ports.First < 1024:
			return nil
		case hasPorts(b.proto):
			protos = append(protos, b.proto)
		case b.proto == protoAny && b.ports != topology.AllPorts:
			protos = append(protos, int16(flowlog.ProtoTCP), int16(flowlog.ProtoUDP))
		default:
			return nil
		}
	}
	if len(protos) == 0 {
		return nil
	}
	if d == Inbound {
		for i := range n.Egress {
			out := &n.Egress[i]
			if !out.Allow || out.Proto != topology.ProtoAll && !slices.Contains(protos, int16(out.Proto)) {
				continue
			}
			if _, ok := intersect(out.CIDR, e.CIDR); ok {
				return out
			}
		}
		return nil
	}
	for i := range n.Ingress {
		in := &n.Ingress[i]
		if !in.Allow || in.Proto != topology.ProtoAll && !slices.Contains(protos, int16(in.Proto)) {
			continue
		}
		if _, ok := intersect(in.CIDR, e.CIDR); !ok {
			continue
		}
		if in.Proto == topology.ProtoAll || in.Ports.First < 1024 {
			return in
		}
	}
	return nil
}

func uniqueBoxes(bs []box) []box {
	var out []box
	seen := map[box]bool{}
	for _, b := range bs {
		if b.proto == protoOther {
			b.proto = protoAny
		}
		if !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	return out
}

// freeNumber finds k consecutive unused rule numbers between the previous
// entry and below; it prefers starting on a multiple of 10.
func freeNumber(entries []topology.NACLEntry, below, k int, denyOnly bool) (int, bool) {
	used := map[int]bool{}
	prev := 0
	for _, e := range entries {
		used[e.Rule] = true
		if e.Rule < below && e.Rule > prev {
			prev = e.Rule
		}
	}
	free := func(n int) bool {
		for i := 0; i < k; i++ {
			if n+i <= prev || n+i >= below || used[n+i] {
				return false
			}
		}
		return true
	}
	for n := below - k; n > prev; n-- {
		if n%10 == 0 && free(n) {
			return n, true
		}
	}
	for n := below - k; n > prev; n-- {
		if free(n) {
			return n, true
		}
	}
	// No room right before the entry: deny entries may go before the
	// earlier ones too, as they match only prohibited traffic, which no
	// earlier entry should let through either (an allow may not: it would
	// override an earlier deny).
	if !denyOnly {
		return 0, false
	}
	prev = 0
	for n := below - k; n > 0; n-- {
		if free(n) {
			return n, true
		}
	}
	return 0, false
}
