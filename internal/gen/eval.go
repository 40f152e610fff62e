package gen

import (
	"net/netip"
	"strconv"
	"strings"
)

// packet is what security group and NACL rules see: the addresses in the IP
// header, never a flow log's ENI-relative view.
type packet struct {
	proto        uint8
	src, dst     netip.Addr
	sport, dport uint16
	icmpType     int // ICMP type for protocol 1 (8 echo request, 0 echo reply)
}

func (p packet) reversed() packet {
	q := packet{proto: p.proto, src: p.dst, dst: p.src, sport: p.dport, dport: p.sport, icmpType: p.icmpType}
	if p.proto == 1 && p.icmpType == 8 {
		q.icmpType = 0
	}
	return q
}

// checkKind says which control decided.
type checkKind uint8

const (
	checkNone checkKind = iota
	checkSG
	checkNACL
)

// ref identifies what dropped a packet: a NACL entry (item = NACL index, num
// = rule number, 32767 for the implicit deny) or a security group set that
// allowed nothing (item = index of the ENI's first group, num = ENI index).
type ref struct {
	kind   checkKind
	egress bool
	item   int32
	num    int32
}

// implicitDenyV4 is the rule number of a NACL's implicit IPv4 deny.
const implicitDenyV4 = 32767

// sgAllows reports whether the union of ENI e's security groups allows the
// initiating packet p in the given direction. An ENI without security groups
// (a NAT gateway) is not filtered.
func (t *Topology) sgAllows(e int32, egress bool, p *packet) bool {
	en := &t.enis[e]
	if len(en.groups) == 0 {
		return true
	}
	peer := p.src
	if egress {
		peer = p.dst
	}
	for _, gi := range en.groups {
		rules := t.sgs[gi].ingress
		if egress {
			rules = t.sgs[gi].egress
		}
		for i := range rules {
			if t.sgRuleMatches(&rules[i], p, peer) {
				return true
			}
		}
	}
	return false
}

func (t *Topology) sgRuleMatches(r *sgRule, p *packet, peer netip.Addr) bool {
	if r.proto != protoAll {
		if r.proto != int(p.proto) {
			return false
		}
		switch p.proto {
		case 6, 17:
			if !r.ports.contains(p.dport) {
				return false
			}
		case 1:
			if r.icmpType != -1 && r.icmpType != p.icmpType {
				return false
			}
		}
	}
	for _, c := range r.cidrs {
		if c.Contains(peer) {
			return true
		}
	}
	for _, pl := range r.prefixLists {
		for _, c := range t.prefixLists[pl].entries {
			if c.Contains(peer) {
				return true
			}
		}
	}
	if len(r.groups) > 0 {
		// A group reference matches the private addresses of the ENIs that
		// carry the group.
		if ei, ok := t.byAddr[peer]; ok && t.enis[ei].addr == peer {
			for _, g := range t.enis[ei].groups {
				if contains(r.groups, g) {
					return true
				}
			}
		}
	}
	return false
}

// naclDecide applies NACL n to p: the lowest-numbered matching entry decides,
// else the implicit deny.
func (t *Topology) naclDecide(n int, egress bool, p *packet) (allow bool, num int32) {
	entries := t.nacls[n].ingress
	peer := p.src
	if egress {
		entries = t.nacls[n].egress
		peer = p.dst
	}
	for i := range entries {
		e := &entries[i]
		if e.proto != protoAll {
			if e.proto != int(p.proto) {
				continue
			}
			switch p.proto {
			case 6, 17:
				if !e.ports.contains(p.dport) {
					continue
				}
			case 1:
				if e.icmpType != -1 && e.icmpType != p.icmpType {
					continue
				}
			}
		}
		if e.cidr.Contains(peer) {
			return e.allow, int32(e.num)
		}
	}
	return false, implicitDenyV4
}

// step is one record a conversation would produce on one ENI, in path order,
// with the checks that packet passes there.
type step struct {
	eni          int32 // -1: an end outside the topology (no record, no check)
	egress       bool
	reply        bool
	src, dst     netip.Addr // as logged (ENI-relative)
	sport, dport uint16
	pkt          packet // as seen by the rules
	sg           bool   // the ENI's security groups filter this packet
	nacl         bool   // the ENI's subnet NACL filters this packet
	path         uint8  // traffic-path for egress records; 0 = "-"
}

// evaluate returns the index of the first step that drops its packet and
// the deciding rule, or -1 when every step passes.
func (t *Topology) evaluate(steps []step) (int, ref) {
	for i := range steps {
		s := &steps[i]
		if s.eni < 0 {
			continue
		}
		e := &t.enis[s.eni]
		// On egress the security group is evaluated before the NACL, on
		// ingress the NACL first.
		if s.egress && s.sg && !t.sgAllows(s.eni, true, &s.pkt) {
			return i, ref{kind: checkSG, egress: true, item: int32(e.groups[0]), num: s.eni}
		}
		if s.nacl {
			n := t.subnets[e.subnet].nacl
			if ok, num := t.naclDecide(n, s.egress, &s.pkt); !ok {
				return i, ref{kind: checkNACL, egress: s.egress, item: int32(n), num: num}
			}
		}
		if !s.egress && s.sg && !t.sgAllows(s.eni, false, &s.pkt) {
			return i, ref{kind: checkSG, item: int32(e.groups[0]), num: s.eni}
		}
	}
	return -1, ref{}
}

// describe renders r for the manifest.
func (t *Topology) describe(r ref) string {
	dir := "ingress"
	if r.egress {
		dir = "egress"
	}
	switch r.kind {
	case checkNACL:
		n := &t.nacls[r.item]
		s := "nacl " + n.id + " (" + n.name + ") " + dir + " #" + strconv.Itoa(int(r.num))
		if r.num == implicitDenyV4 {
			s += " (implicit deny)"
		}
		return s
	case checkSG:
		e := &t.enis[r.num]
		ids := make([]string, len(e.groups))
		for i, g := range e.groups {
			ids[i] = t.sgs[g].id
		}
		return "sg " + strings.Join(ids, ",") + " (" + t.sgs[r.item].name + ") " + dir + ": no rule allows"
	}
	return "none"
}
