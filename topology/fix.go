package topology

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/flowdiag/flowdiag/flowlog"
)

// Fix proposes the smallest change that lets check i of Checks() pass, as
// an imperative sentence without its capital and full stop: "add to
// acl-0app egress an entry numbered below 32767: allow tcp 1024-65535 to
// 10.0.1.0/24". A security group gets a rule naming the peer's group when
// it has one; a network ACL an entry for the peer's subnet (NACLs work at
// subnet granularity) numbered below the deny that matched. The check must
// apply and deny.
func (p *Path) Fix(i int) string {
	pk := p.Packet
	c := p.Checks()[i].Check
	by := c.Decision.By
	reply := i >= 4
	// The remote side as the check sees it, and the port/ICMP it must allow.
	remote := p.Dst
	if i == 2 || i == 3 || i == 4 {
		remote = p.Src
		if p.SeenFrom.IsValid() {
			// A hairpin: the destination sees the translated source.
			if p.SeenFromUnknown {
				return fmt.Sprintf("connect to %s's private address %s rather than its public one (%s has no public IP the topology knows, so no rule at %s can name the address it arrives from)",
					p.Dst.ENI.ID, p.Dst.Private, p.Src.Addr, p.Dst.ENI.ID)
			}
			remote = Endpoint{Addr: p.SeenFrom, Private: p.SeenFrom, Public: true}
		}
	}
	what := matchText(pk.Proto, pk.DstPort, pk.ICMPType, pk.ICMPCode)
	if reply {
		rt, rc := replyICMP(pk.Proto, pk.ICMPType, pk.ICMPCode)
		what = matchText(pk.Proto, 0, rt, rc)
		if pk.Proto.HasPorts() {
			// The reply goes to the client's port: the ephemeral range,
			// unless the client uses a fixed port below it (IKE, NTP).
			what = pk.Proto.String() + " 1024-65535"
			if pk.SrcPort > 0 && pk.SrcPort < 1024 {
				what = pk.Proto.String() + " " + strconv.Itoa(int(pk.SrcPort))
			}
		}
	}
	dir := "ingress"
	word := "from"
	if by.Egress {
		dir, word = "egress", "to"
	}
	if by.Kind == KindSG {
		peer := fixCIDR(remote, false)
		// A group of another VPC can be named only over a peering
		// connection, which the topology does not model: name the address.
		if remote.ENI != nil && !remote.Public && len(remote.ENI.SecurityGroupIDs) > 0 &&
			p.Src.Subnet != nil && p.Dst.Subnet != nil && p.Src.Subnet.VPCID == p.Dst.Subnet.VPCID {
			peer = "group " + remote.ENI.SecurityGroupIDs[0]
		}
		target := c.ENI
		if len(c.Groups) > 0 {
			target = c.Groups[0] + " (on " + c.ENI + ")"
		}
		return fmt.Sprintf("add to %s an %s rule: allow %s %s %s", target, dir, what, word, peer)
	}
	// Past a deliberate exclusion, allow the flow's own address only.
	peer := fixCIDR(remote, !by.Targeted)
	// A deny ahead of an allow that would admit the packet may be a
	// misordered ACL rather than an exclusion: say so, with its fix.
	shadow := ""
	if sh := c.Shadowed; sh != nil {
		shadow = fmt.Sprintf("; or, if %s is meant to admit it, narrow #%d or renumber it after #%d (#%d shadows it)",
			sh.Text, by.RuleNumber, sh.RuleNumber, by.RuleNumber)
	}
	// An allow for a port range is cut by any earlier deny of part of
	// it: place it before the first such deny (a reply allow for 1024-65535
	// below a deny of 50000-65535 still fails for those client ports).
	below, freeBelow, conflict := p.Placement(i)
	if conflict != "" {
		if freeBelow == 0 {
			return fmt.Sprintf("no entry can precede %s %s #%d, which denies part of the range (no lower rule number is free): renumber it, then add below it to %s %s: allow %s %s %s",
				by.ID, dir, below, by.ID, dir, what, word, peer)
		}
		return fmt.Sprintf("add to %s %s an entry numbered below %d%s: allow %s %s %s", by.ID, dir, below, conflict, what, word, peer)
	}
	switch {
	case by.FreeBelow == 0:
		// Nothing can precede the deny (it is #1, or every number below
		// it is taken): "numbered below" would be no fix at all.
		return fmt.Sprintf("no entry can precede %s %s #%d, the deny that matched (no lower rule number is free): renumber it (or narrow or remove it), then add below it to %s %s: allow %s %s %s%s",
			by.ID, dir, by.RuleNumber, by.ID, dir, what, word, peer, shadow)
	case by.Implicit:
		return fmt.Sprintf("add to %s %s an entry numbered below %d: allow %s %s %s", by.ID, dir, by.RuleNumber, what, word, peer)
	}
	return fmt.Sprintf("add to %s %s an entry numbered below %d (the deny that matched): allow %s %s %s%s", by.ID, dir, by.RuleNumber, what, word, peer, shadow)
}

// Blocks returns the indexes in Checks() of the checks that apply and
// deny, in evaluation order.
func (p *Path) Blocks() []int {
	var out []int
	for i, nc := range p.Checks() {
		if nc.Check.blocks() {
			out = append(out, i)
		}
	}
	return out
}

func matchText(proto flowlog.Proto, port uint16, typ, code int16) string {
	switch {
	case proto.HasPorts():
		return fmt.Sprintf("%s %d", proto, port)
	case proto.IsICMP():
		if typ < 0 {
			return proto.String() + " all types"
		}
		if code < 0 {
			return fmt.Sprintf("%s type %d", proto, typ)
		}
		return fmt.Sprintf("%s type %d code %d", proto, typ, code)
	}
	return proto.String()
}

// fixCIDR names the remote side: for NACLs (subnet granularity) its
// subnet's CIDR of the packet's family when it is in one, else the single
// address.
func fixCIDR(ep Endpoint, subnet bool) string {
	// A public address is what the NACL saw (a hairpin through the
	// internet gateway): the subnet's private CIDR would not match it.
	if subnet && ep.Subnet != nil && !ep.Public {
		for _, p := range ep.Subnet.CIDRs {
			if p.Contains(ep.Private) {
				return p.String()
			}
		}
	}
	return netip.PrefixFrom(ep.Addr, ep.Addr.BitLen()).String()
}

// Placement says where an allow fixing NACL check i (of Checks) must go:
// below the deciding entry, or, for a reply's port range, below the first
// earlier deny of this peer's replies to ports clients use, which note then
// names (" (acl-x ingress #50 deny tcp 50000-65535 from 0.0.0.0/0 denies
// part of the ports clients use)"). freeBelow is as RuleRef.FreeBelow for
// that number.
func (p *Path) Placement(i int) (below, freeBelow int, note string) {
	c := p.Checks()[i].Check
	by := c.Decision.By
	below, freeBelow = by.RuleNumber, by.FreeBelow
	if i >= 4 && p.Packet.Proto.HasPorts() {
		// The deny must stop some of this peer's replies to ports clients
		// really use: one for other addresses of the allowed CIDR, or for
		// low ports no OS picks, stays in force above the allow.
		remote := p.Src.Addr
		if i == 5 {
			remote = p.Dst.Addr
		}
		if i == 4 && p.SeenFrom.IsValid() && !p.SeenFromUnknown {
			remote = p.SeenFrom
		}
		if d := c.firstDenyOfRange(p.Packet.Proto, clientPorts(p.Packet.SrcPort), remote); d != nil && d.RuleNumber < below {
			return d.RuleNumber, d.FreeBelow, fmt.Sprintf(" (%s denies part of the ports clients use)", d.Text)
		}
	}
	return below, freeBelow, ""
}

// clientPorts are the ports the peer's clients reply to: the ephemeral
// ranges operating systems use (Linux 32768-60999, Windows and BSD
// 49152-65535), or the client's own port when it is a fixed one below 1024.
func clientPorts(clientPort uint16) PortRange {
	if clientPort > 0 && clientPort < 1024 {
		return PortRange{First: clientPort, Last: clientPort}
	}
	return PortRange{First: 32768, Last: 65535}
}

// firstDenyOfRange returns the first deny entry of the check's network ACL
// and direction that matches proto, part of ports, and the remote address,
// or nil.
func (c *Check) firstDenyOfRange(proto flowlog.Proto, ports PortRange, remote netip.Addr) *RuleRef {
	if c.nacl == nil || !remote.IsValid() {
		return nil
	}
	rk := keyOf(remote.Unmap())
	for i := range c.nacl.c[c.dir][c.fam] {
		e := &c.nacl.c[c.dir][c.fam][i]
		if e.allow || !e.proto.matches(proto) || !e.cidr.contains(rk) {
			continue
		}
		if e.proto.hasPorts() && (e.ports.Last < ports.First || e.ports.First > ports.Last) {
			continue
		}
		return &e.ref
	}
	return nil
}
