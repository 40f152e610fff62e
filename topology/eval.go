package topology

import (
	"net/netip"

	"github.com/flowdiag/flowdiag/flowlog"
)

// Packet is one packet to evaluate. ICMPType and ICMPCode are used for ICMP
// and ICMPv6 only; -1 means unknown. An unknown type or code matches only
// rules and entries that allow every type (or code): a rule for one specific
// type never matches a packet whose type is unknown.
type Packet struct {
	Proto            flowlog.Proto
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	ICMPType         int16
	ICMPCode         int16
}

// Kind says which control a RuleRef names.
type Kind uint8

// Kinds of control.
const (
	KindSG   Kind = iota + 1 // security group
	KindNACL                 // network ACL
)

func (k Kind) String() string {
	switch k {
	case KindSG:
		return "sg"
	case KindNACL:
		return "nacl"
	}
	return "-"
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// RuleRef names the rule that decided. For a security group, ID is the group
// and Index the rule's position in its ingress or egress list; for a NACL, ID
// is the ACL and RuleNumber the entry number. Implicit is true when no rule
// decided: for security groups nothing allowed the packet (ID then lists the
// ENI's groups joined by ","), for NACLs the "*" entry denied it (RuleNumber
// 32767 for IPv4, 32768 for IPv6).
type RuleRef struct {
	Kind       Kind
	ID         string
	Egress     bool
	RuleNumber int
	Index      int
	Implicit   bool
	// FreeBelow is, for a NACL entry, the highest rule number below it
	// that the direction leaves free (where an entry preceding it can
	// go), or 0 when every number below it is taken.
	FreeBelow int
	// Targeted is set for an explicit NACL deny narrower than "all
	// traffic from anywhere": someone excluded this range or port on
	// purpose, so a fix should undo no more of it than the blocked flow.
	Targeted bool
	Text     string // "acl-0a egress #100 allow tcp 1024-65535 to 0.0.0.0/0"
	Pos      Pos
}

// Decision is a verdict and the rule that gave it.
type Decision struct {
	Allowed bool
	By      RuleRef
}

// Check is one check on a packet's path. Applies is false when AWS does not
// evaluate it: a NACL between two ENIs of one subnet, an end outside the
// topology's subnets (NACL) or without a known ENI (security group), or a
// subnet for which the topology holds no NACL.
type Check struct {
	Applies  bool
	Decision Decision
	ENI      string   // the ENI the check belongs to, if known
	Subnet   string   // its subnet, if known
	Groups   []string // security group ids on the ENI
	// Shadowed is, when an explicit NACL deny decided, the first later
	// entry that would have allowed the packet: the deny shadows it (a
	// misordered ACL, or a deliberate exception). Nil otherwise.
	Shadowed *RuleRef

	// The network ACL and direction a NACL check walked, for fixes that
	// must be placed before its other entries.
	nacl     *NACL
	dir, fam uint8
}

// blocks reports whether the check applies and denies.
func (c *Check) blocks() bool { return c.Applies && !c.Decision.Allowed }

// Location says where an end of a path is.
type Location uint8

// Locations.
const (
	LocUnknown         Location = iota // invalid address
	LocVPC                             // an address of an ENI of the topology
	LocVPCUnknownENI                   // inside a VPC's CIDRs but no ENI of the topology owns it
	LocInternet                        // a public address that is not ours
	LocPrivateExternal                 // a private (RFC 1918, CGNAT, ULA) address outside our VPCs: peered or on-premises
)

func (l Location) String() string {
	switch l {
	case LocVPC:
		return "vpc"
	case LocVPCUnknownENI:
		return "vpc-unknown-eni"
	case LocInternet:
		return "internet"
	case LocPrivateExternal:
		return "private-external"
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (l Location) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Endpoint is one end of a path. Addr is the address as given; Private is the
// address used inside the VPC (the primary private IPv4 when Addr is a public
// or Elastic IP of an ENI, else Addr).
type Endpoint struct {
	Addr     netip.Addr
	Private  netip.Addr
	Public   bool // Addr is a public or Elastic IP of ENI
	ENI      *ENI
	Subnet   *Subnet
	VPC      *VPC
	Location Location
}

// Path is what Evaluate found for a packet: both ends and every check of the
// request and of its reply, in the order AWS applies them.
type Path struct {
	Packet        Packet
	Src, Dst      Endpoint
	SameSubnet    bool // both ends in one subnet: NACLs do not apply
	CrossesSubnet bool // the packet enters or leaves a subnet of the topology
	// SeenFrom is the source address the destination's checks see when it
	// is not the packet's: a packet from an ENI of the topology to another
	// ENI's public or Elastic IP leaves through the internet gateway, which
	// translates its source too, to the sender's public IP or, without
	// one, to the public IP of the VPC's NAT gateway. Security group
	// references never match it (they match private addresses only).
	// Invalid when the source is not translated. SeenFromNAT names the NAT
	// gateway's ENI when its address was assumed; SeenFromUnknown is set
	// when the sender has no public IP and the VPC no single NAT gateway
	// with one: the destination's checks then see an unknown public
	// address (only rules open to every address admit it).
	// OneWay is set for ICMP messages nothing answers (errors such as
	// destination unreachable and time exceeded, and the answers
	// themselves: echo reply, ...): the reply checks do not apply.
	OneWay bool

	SeenFrom        netip.Addr
	SeenFromNAT     string
	SeenFromUnknown bool
	// Unfiltered names the AWS service the packet goes to or comes from
	// when security groups and network ACLs never filter that traffic
	// (the Amazon DNS resolver, instance metadata, Time Sync, ...); no check
	// applies then. Empty otherwise.
	Unfiltered string

	SrcSGEgress, SrcNACLEgress, DstNACLIngress, DstSGIngress Check

	// The reply (dst -> src, ports swapped). Security groups let it through
	// by connection tracking; only the stateless NACLs are evaluated again.
	ReplyDstNACLEgress, ReplySrcNACLIngress Check
}

// checkNames lists the checks of a Path in evaluation order, as FirstBlock
// and Checks name them.
var checkNames = [...]string{
	"source security groups (outbound)",
	"source subnet network ACL (outbound)",
	"destination subnet network ACL (inbound)",
	"destination security groups (inbound)",
	"reply: destination subnet network ACL (outbound)",
	"reply: source subnet network ACL (inbound)",
}

// Checks returns pointers to the six checks in order, with their names.
func (p *Path) Checks() [6]NamedCheck {
	cs := [6]*Check{&p.SrcSGEgress, &p.SrcNACLEgress, &p.DstNACLIngress, &p.DstSGIngress, &p.ReplyDstNACLEgress, &p.ReplySrcNACLIngress}
	var out [6]NamedCheck
	for i, c := range cs {
		out[i] = NamedCheck{Name: checkNames[i], Check: c, Reply: i >= 4}
	}
	return out
}

// NamedCheck is a check with its place in the walk.
type NamedCheck struct {
	Name  string
	Reply bool
	Check *Check
}

// RequestAllowed reports whether every request check that applies allows.
func (p *Path) RequestAllowed() bool {
	return !p.SrcSGEgress.blocks() && !p.SrcNACLEgress.blocks() && !p.DstNACLIngress.blocks() && !p.DstSGIngress.blocks()
}

// ReplyAllowed reports whether both reply NACL checks (where they apply)
// allow the reply. It does not look at the request.
func (p *Path) ReplyAllowed() bool {
	return !p.ReplyDstNACLEgress.blocks() && !p.ReplySrcNACLIngress.blocks()
}

// FirstBlock returns the first check, in evaluation order, that applies and
// denies.
func (p *Path) FirstBlock() (name string, c *Check, ok bool) {
	for _, nc := range p.Checks() {
		if nc.Check.blocks() {
			return nc.Name, nc.Check, true
		}
	}
	return "", nil, false
}

// addrEntry indexes one address of an ENI.
type addrEntry struct {
	eni     *ENI
	private netip.Addr // the private address it maps to
	public  bool
}

// endpoint resolves an address.
func (t *Topology) endpoint(a netip.Addr) Endpoint {
	a = a.Unmap()
	ep := Endpoint{Addr: a, Private: a}
	if !a.IsValid() {
		return ep
	}
	if ae, ok := t.addrEntry(a); ok {
		ep.ENI, ep.Private, ep.Public = ae.eni, ae.private, ae.public
		ep.Subnet = ae.eni.Subnet
		if ep.Subnet != nil {
			ep.VPC = ep.Subnet.VPC
		}
		ep.Location = LocVPC
		return ep
	}
	if !t.subnetsInVPCs || t.inVPC(a) {
		for _, s := range t.subnets {
			for _, p := range s.CIDRs {
				if p.Contains(a) {
					ep.Subnet, ep.VPC, ep.Location = s, s.VPC, LocVPCUnknownENI
					return ep
				}
			}
		}
	}
	for _, v := range t.vpcs {
		for _, p := range v.CIDRs {
			if p.Contains(a) {
				ep.VPC, ep.Location = v, LocVPCUnknownENI
				return ep
			}
		}
	}
	if isPrivate(a) {
		ep.Location = LocPrivateExternal
	} else {
		ep.Location = LocInternet
	}
	return ep
}

// inVPC reports whether a is inside a CIDR of any VPC.
func (t *Topology) inVPC(a netip.Addr) bool {
	for _, v := range t.vpcs {
		for _, p := range v.CIDRs {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// isPrivate reports RFC 1918, RFC 6598 (CGNAT) and RFC 4193 (ULA) addresses.
func isPrivate(a netip.Addr) bool { return a.IsPrivate() || cgnat.Contains(a) }

// Evaluate walks p through every check. It does not allocate, but for the
// rare packet to an unfiltered AWS service, whose Path.Unfiltered names it.
func (t *Topology) Evaluate(p Packet) Path {
	var path Path
	t.EvaluateInto(p, &path)
	return path
}

// EvaluateInto is Evaluate writing into *path, which it overwrites whole.
// On a hot path it saves copying the Path (several hundred bytes) out of
// the call; path should be a caller's local so the writes stay on its stack.
func (t *Topology) EvaluateInto(p Packet, path *Path) {
	*path = Path{Packet: p}
	path.Src = t.endpoint(p.Src)
	path.Dst = t.endpoint(p.Dst)
	src, dst := &path.Src, &path.Dst
	path.SameSubnet = src.Subnet != nil && src.Subnet == dst.Subnet
	path.CrossesSubnet = !path.SameSubnet && (src.Subnet != nil || dst.Subnet != nil)
	fam := 0
	if dst.Private.Is6() {
		fam = 1
	}
	// Rules see the local side's private address and the peer as given.
	// Referenced groups match the peer only by one of its private addresses.
	var srcPeerENI, dstPeerENI *ENI
	if !src.Public {
		srcPeerENI = src.ENI
	}
	if !dst.Public {
		dstPeerENI = dst.ENI
	}
	if path.Unfiltered = t.unfiltered(p); path.Unfiltered != "" {
		return
	}
	pr := p.Proto
	srcKey, dstKey := keyOf(src.Addr), keyOf(dst.Addr)
	if dst.Public && src.ENI != nil && !src.Public {
		// A hairpin through the internet gateway: the packet leaves the
		// subnet and comes back, so its network ACL applies even between
		// two ENIs of one subnet.
		t.hairpinSource(src.ENI, dst.Private.Is6(), path)
		srcKey, srcPeerENI = keyOf(path.SeenFrom), nil
		path.SameSubnet = false
		path.CrossesSubnet = true
	}
	// An ENI without security groups is one AWS manages (NAT gateway,
	// Transit Gateway attachment, ...): security groups do not filter it.
	if src.ENI != nil && len(src.ENI.Groups) > 0 {
		sgCheck(&path.SrcSGEgress, src.ENI, true, pr, dstKey, dstPeerENI, p.DstPort, p.ICMPType, p.ICMPCode)
	}
	if dst.ENI != nil && len(dst.ENI.Groups) > 0 {
		sgCheck(&path.DstSGIngress, dst.ENI, false, pr, srcKey, srcPeerENI, p.DstPort, p.ICMPType, p.ICMPCode)
	}
	if path.SameSubnet {
		return
	}
	rt, rc := replyICMP(pr, p.ICMPType, p.ICMPCode)
	path.OneWay = oneWayICMP(pr, p.ICMPType)
	if n := naclOf(src); n != nil {
		naclCheck(&path.SrcNACLEgress, n, src, 1, fam, pr, dstKey, p.DstPort, p.ICMPType, p.ICMPCode)
		if !path.OneWay {
			naclCheck(&path.ReplySrcNACLIngress, n, src, 0, fam, pr, dstKey, p.SrcPort, rt, rc)
		}
	}
	if n := naclOf(dst); n != nil {
		naclCheck(&path.DstNACLIngress, n, dst, 0, fam, pr, srcKey, p.DstPort, p.ICMPType, p.ICMPCode)
		if !path.OneWay {
			naclCheck(&path.ReplyDstNACLEgress, n, dst, 1, fam, pr, srcKey, p.SrcPort, rt, rc)
		}
	}
}

// oneWayICMP reports whether ICMP type typ is a message nothing answers:
// an error (destination unreachable, source quench, redirect, time
// exceeded, parameter problem; ICMPv6 1-4) or itself an answer (echo,
// timestamp, information and address mask replies; ICMPv6 echo reply,
// router and neighbour advertisements). An unknown type (-1) is not.
func oneWayICMP(p flowlog.Proto, typ int16) bool {
	switch p {
	case flowlog.ProtoICMP:
		switch typ {
		case 0, 3, 4, 5, 11, 12, 14, 16, 18:
			return true
		}
	case flowlog.ProtoICMPv6:
		switch typ {
		case 1, 2, 3, 4, 129, 134, 136:
			return true
		}
	}
	return false
}

// hairpinSource sets path.SeenFrom for a packet from ENI e to another ENI's
// public address: e's public IP (when the packet is from its primary
// private IPv4), else the public IP of the one NAT gateway
// of e's VPC, else an unknown public address (0.0.0.0, or :: for IPv6,
// which only rules for every address contain).
func (t *Topology) hairpinSource(e *ENI, v6 bool, path *Path) {
	// The topology maps an ENI's public IPs to its primary private IPv4
	// only: a secondary private address has none it knows.
	if path.Src.Addr == e.PrimaryV4() {
		for _, a := range e.Public {
			if a.Is4() {
				path.SeenFrom = a
				return
			}
		}
	}
	if v6 {
		// IPv6 has no NAT: an instance's IPv6 address is its public one.
		path.SeenFrom = path.Src.Addr
		return
	}
	var nat *ENI
	n := 0
	for _, x := range t.enis {
		// Not the NAT gateway of e's own subnet: that subnet routes the
		// internet to the internet gateway (a NAT cannot route through
		// itself), so its instances' traffic is not translated by it.
		if x.IsNATGateway() && x.Subnet != nil && e.Subnet != nil &&
			x.Subnet.VPC == e.Subnet.VPC && x.Subnet != e.Subnet && len(x.Public) > 0 && x.Public[0].Is4() {
			nat = x
			n++
		}
	}
	if n == 1 {
		path.SeenFrom, path.SeenFromNAT = nat.Public[0], nat.ID
		return
	}
	path.SeenFrom, path.SeenFromUnknown = netip.IPv4Unspecified(), true
}

// TransitChecks are the checks on an ENI that forwards a conversation
// whose ends are other addresses: a NAT gateway before translation, a
// Transit Gateway attachment, a firewall appliance, a Gateway Load Balancer
// endpoint.
type TransitChecks struct {
	// SGIngress: the ENI's security groups admitting the request (only
	// when it has groups: NAT gateways and Transit Gateway attachments
	// have none).
	SGIngress Check
	// NACLRequest and NACLReply are its subnet's network ACL checks on
	// the request and on the reply. On the client's side of the path (a
	// NAT gateway, an appliance, the Transit Gateway attachment in the
	// client's VPC) the request comes in from the client and the reply
	// goes out to it; on the server's side (the attachment in the server's
	// VPC, the client in another) the request goes out toward the server
	// and the reply comes in from it: RequestEgress. They apply only when
	// that end is outside the ENI's subnet.
	NACLRequest, NACLReply Check
	RequestEgress          bool
}

// EvaluateTransit evaluates request packet p (client to server) on the way
// through ENI eni, which owns neither end; ok is false when the topology
// does not know eni.
func (t *Topology) EvaluateTransit(eni string, p Packet, out *TransitChecks) (ok bool) {
	*out = TransitChecks{}
	e, ok := t.eniByID[eni]
	if !ok {
		return false
	}
	src := t.endpoint(p.Src)
	fam := 0
	if src.Private.Is6() {
		fam = 1
	}
	var srcPeerENI *ENI
	if !src.Public {
		srcPeerENI = src.ENI
	}
	srcKey := keyOf(src.Addr)
	if len(e.Groups) > 0 {
		sgCheck(&out.SGIngress, e, false, p.Proto, srcKey, srcPeerENI, p.DstPort, p.ICMPType, p.ICMPCode)
	}
	if e.Subnet == nil {
		return true
	}
	dst := t.endpoint(p.Dst)
	vpc := e.Subnet.VPC
	out.RequestEgress = vpc != nil && dst.VPC == vpc && src.VPC != vpc
	if e.Subnet.NACL == nil {
		return true
	}
	at := Endpoint{Addr: e.PrimaryV4(), Private: e.PrimaryV4(), ENI: e, Subnet: e.Subnet}
	rt, rc := replyICMP(p.Proto, p.ICMPType, p.ICMPCode)
	if out.RequestEgress {
		if dst.Subnet == e.Subnet {
			return true
		}
		dstKey := keyOf(dst.Addr)
		naclCheck(&out.NACLRequest, e.Subnet.NACL, &at, 1, fam, p.Proto, dstKey, p.DstPort, p.ICMPType, p.ICMPCode)
		naclCheck(&out.NACLReply, e.Subnet.NACL, &at, 0, fam, p.Proto, dstKey, p.SrcPort, rt, rc)
		return true
	}
	if src.Subnet == e.Subnet {
		return true
	}
	naclCheck(&out.NACLRequest, e.Subnet.NACL, &at, 0, fam, p.Proto, srcKey, p.DstPort, p.ICMPType, p.ICMPCode)
	naclCheck(&out.NACLReply, e.Subnet.NACL, &at, 1, fam, p.Proto, srcKey, p.SrcPort, rt, rc)
	return true
}

func naclOf(ep *Endpoint) *NACL {
	if ep.Subnet == nil {
		return nil
	}
	return ep.Subnet.NACL
}

// replyICMP returns the ICMP type and code of the answer to a request:
// echo reply for echo request (8 -> 0, ICMPv6 128 -> 129), timestamp reply
// for timestamp (13 -> 14); otherwise unknown (-1, -1).
func replyICMP(p flowlog.Proto, typ, code int16) (int16, int16) {
	switch {
	case p == flowlog.ProtoICMP && typ == 8:
		return 0, 0
	case p == flowlog.ProtoICMP && typ == 13:
		return 14, 0
	case p == flowlog.ProtoICMPv6 && typ == 128:
		return 129, 0
	}
	return -1, -1
}

// icmpMatch applies a rule's type/code to a packet's (-1 = all / unknown).
func icmpMatch(ruleType, ruleCode, typ, code int16) bool {
	if ruleType == -1 {
		return true
	}
	if typ != ruleType {
		return false
	}
	return ruleCode == -1 || code == ruleCode
}

// sgRuleC is a compiled security group rule.
type sgRuleC struct {
	proto              Protocol
	ports              PortRange
	icmpType, icmpCode int16
	prefixes           []cidr  // CIDRs and expanded prefix lists
	groups             []int32 // referenced group indexes
	ref                RuleRef
}

func (r *sgRuleC) matches(proto flowlog.Proto, peer key, peerENI *ENI, port uint16, typ, code int16) bool {
	if !r.proto.matches(proto) {
		return false
	}
	if r.proto.hasPorts() {
		if !r.ports.Contains(port) {
			return false
		}
	} else if r.proto.isICMP() && !icmpMatch(r.icmpType, r.icmpCode, typ, code) {
		return false
	}
	for i := range r.prefixes {
		if r.prefixes[i].contains(peer) {
			return true
		}
	}
	if peerENI != nil {
		for _, g := range r.groups {
			for _, h := range peerENI.groupIdx {
				if g == h {
					return true
				}
			}
		}
	}
	return false
}

func sgCheck(c *Check, e *ENI, egress bool, proto flowlog.Proto, peer key, peerENI *ENI, port uint16, typ, code int16) {
	c.Applies, c.ENI, c.Groups = true, e.ID, e.SecurityGroupIDs
	if e.Subnet != nil {
		c.Subnet = e.Subnet.ID
	}
	for _, g := range e.Groups {
		rules := g.cIngress
		if egress {
			rules = g.cEgress
		}
		for i := range rules {
			if rules[i].matches(proto, peer, peerENI, port, typ, code) {
				c.Decision.Allowed, c.Decision.By = true, rules[i].ref
				return
			}
		}
	}
	c.Decision.Allowed = false
	if egress {
		c.Decision.By = e.sgImplicit[1]
	} else {
		c.Decision.By = e.sgImplicit[0]
	}
}

// naclEntryC is a compiled NACL entry.
type naclEntryC struct {
	proto              Protocol
	ports              PortRange
	icmpType, icmpCode int16
	cidr               cidr
	allow              bool
	ref                RuleRef
}

// naclCheck evaluates n in direction dir (0 ingress, 1 egress) for family
// fam (0 IPv4, 1 IPv6): lowest number first, first match wins.
func naclCheck(c *Check, n *NACL, ep *Endpoint, dir, fam int, proto flowlog.Proto, remote key, port uint16, typ, code int16) {
	c.Applies, c.Subnet, c.Shadowed = true, ep.Subnet.ID, nil
	c.nacl, c.dir, c.fam = n, uint8(dir), uint8(fam)
	if ep.ENI != nil {
		c.ENI, c.Groups = ep.ENI.ID, ep.ENI.SecurityGroupIDs
	}
	es := n.c[dir][fam]
	for i := range es {
		e := &es[i]
		if !e.matches(proto, remote, port, typ, code) {
			continue
		}
		c.Decision.Allowed, c.Decision.By = e.allow, e.ref
		if !e.allow {
			for j := i + 1; j < len(es); j++ {
				if es[j].allow && es[j].matches(proto, remote, port, typ, code) {
					c.Shadowed = &es[j].ref
					break
				}
			}
		}
		return
	}
	c.Decision.Allowed, c.Decision.By = false, n.implicit[dir][fam]
}

// matches reports whether the entry matches the packet.
func (e *naclEntryC) matches(proto flowlog.Proto, remote key, port uint16, typ, code int16) bool {
	if !e.proto.matches(proto) || !e.cidr.contains(remote) {
		return false
	}
	if e.proto.hasPorts() {
		return e.ports.Contains(port)
	}
	return !e.proto.isICMP() || icmpMatch(e.icmpType, e.icmpCode, typ, code)
}

// ServerHint tells which side of a conversation is the server: 0 if a, 1 if
// b. The server is the side whose ENI's security groups allow inbound traffic
// on its port from the other side while the other side's do not allow the
// reverse. ok is false when it cannot tell (neither or both allow, or no ENI).
func (t *Topology) ServerHint(proto flowlog.Proto, a, b netip.AddrPort) (server int, ok bool) {
	if !proto.HasPorts() {
		return 0, false // ICMP and protocols without ports: no listener port to go by
	}
	ea, eb := t.endpoint(a.Addr()), t.endpoint(b.Addr())
	aIn := t.allowsInbound(proto, &ea, a.Port(), &eb)
	bIn := t.allowsInbound(proto, &eb, b.Port(), &ea)
	switch {
	case aIn && !bIn:
		return 0, true
	case bIn && !aIn:
		return 1, true
	}
	return 0, false
}

// allowsInbound reports whether local's security groups open its port to
// peer with a rule that names the port: a listener. Rules for all
// protocols, or port ranges that include the ephemeral ports, open every
// client port as well and say nothing about which end serves; counting them
// would let a permissive client group outvote the port evidence exactly
// when the server's group is the one at fault.
func (t *Topology) allowsInbound(proto flowlog.Proto, l *Endpoint, port uint16, p *Endpoint) bool {
	if l.ENI == nil {
		return false
	}
	var peerENI *ENI
	if !p.Public {
		peerENI = p.ENI
	}
	peerKey := keyOf(p.Addr)
	for _, g := range l.ENI.Groups {
		for i := range g.cIngress {
			r := &g.cIngress[i]
			if !r.proto.hasPorts() || r.ports.Contains(ephemeralProbe) {
				continue
			}
			if r.matches(proto, peerKey, peerENI, port, -1, -1) {
				return true
			}
		}
	}
	return false
}

// ephemeralProbe is a port inside every common client range (Linux
// 32768-60999, Windows and IANA 49152-65535, NAT gateways and ELB
// 1024-65535): a rule whose range contains it opens client ports too.
const ephemeralProbe = 49152

// Link-local and IPv6 addresses of AWS services that security groups and
// network ACLs never filter (and flow logs never record).
var (
	amazonDNSLinkLocal = netip.MustParseAddr("169.254.169.253")
	amazonDNSv6        = netip.MustParseAddr("fd00:ec2::253")
	instanceMetadata   = netip.MustParseAddr("169.254.169.254")
	instanceMetadataV6 = netip.MustParseAddr("fd00:ec2::254")
	timeSync           = netip.MustParseAddr("169.254.169.123")
	timeSyncV6         = netip.MustParseAddr("fd00:ec2::123")
	ecsTaskMetadata    = netip.MustParseAddr("169.254.170.2")
	windowsActivation1 = netip.MustParseAddr("169.254.169.250")
	windowsActivation2 = netip.MustParseAddr("169.254.169.251")
)

// unfiltered names the AWS service at either end of p whose traffic security
// groups and network ACLs do not filter (DOMAIN.md 2.1 and 3.1), or "". Most
// packets are decided by a byte test: only link-local IPv4, AWS's fd00:ec2::
// IPv6 range and the VPCs' resolver addresses need a closer look.
func (t *Topology) unfiltered(p Packet) string {
	for _, a := range [2]netip.Addr{p.Dst, p.Src} {
		switch {
		case a.Is4():
			if b := a.As4(); b[0] == 169 && b[1] == 254 {
				if s := awsService(a); s != "" {
					return s
				}
				continue
			}
			for _, r := range t.resolvers {
				if a == r {
					return "the Amazon DNS resolver at the VPC base + 2 (" + a.String() + ")"
				}
			}
		case a.Is6():
			if b := a.As16(); b[0] == 0xfd && b[1] == 0 && b[2] == 0x0e && b[3] == 0xc2 {
				if s := awsService(a); s != "" {
					return s
				}
			}
		}
	}
	// The VPC's own DHCP service, not any host that picks port 67: the
	// client broadcasts (0.0.0.0 -> 255.255.255.255) and the subnet's
	// router (its base + 1) answers.
	if p.Proto == flowlog.ProtoUDP && (p.DstPort == 67 && p.SrcPort == 68 || p.DstPort == 68 && p.SrcPort == 67) &&
		(t.dhcpServer(p.Src, p.Dst) || t.dhcpServer(p.Dst, p.Src)) {
		return "DHCP"
	}
	return ""
}

// dhcpServer reports whether a is where instance b's DHCP traffic goes or
// comes from: the broadcast or unspecified address, or the router of b's
// own subnet (the subnet's CIDR base + 1).
func (t *Topology) dhcpServer(a, b netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	if a == netip.IPv4Unspecified() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return true
	}
	for _, s := range t.subnets {
		for _, c := range s.CIDRs {
			if c.Addr().Is4() && c.Contains(a) && c.Contains(b) && a == c.Masked().Addr().Next() {
				return true
			}
		}
	}
	return false
}

// awsService names the AWS service at a link-local or fd00:ec2:: address.
func awsService(a netip.Addr) string {
	switch a {
	case amazonDNSLinkLocal, amazonDNSv6:
		return "the Amazon DNS resolver (" + a.String() + ")"
	case instanceMetadata, instanceMetadataV6:
		return "the instance metadata service (" + a.String() + ")"
	case timeSync, timeSyncV6:
		return "Amazon Time Sync (" + a.String() + ")"
	case ecsTaskMetadata:
		return "the ECS task metadata endpoint (" + a.String() + ")"
	case windowsActivation1, windowsActivation2:
		return "Windows license activation (" + a.String() + ")"
	}
	return ""
}

// resolverAddrs returns each VPC's Amazon DNS resolver address: the base of
// its primary (first listed) IPv4 CIDR plus two. Other CIDRs' base + 2 is
// reserved but is not the resolver.
func resolverAddrs(vpcs []*VPC) []netip.Addr {
	var out []netip.Addr
	for _, v := range vpcs {
		for _, c := range v.CIDRs {
			if c.Addr().Is4() {
				out = append(out, c.Masked().Addr().Next().Next())
				break
			}
		}
	}
	return out
}

// NamesAddress reports whether a rule of the topology names a by a prefix
// narrower than "anywhere": a security group rule's CIDR, a prefix list's
// entry, a network ACL entry's CIDR. A public address named so is a known
// network (an office reached over a VPN or Direct Connect, say), which may
// well reach private addresses.
func (t *Topology) NamesAddress(a netip.Addr) bool {
	in := func(p netip.Prefix) bool { return p.Bits() > 0 && p.Contains(a) }
	for _, pl := range t.pls {
		for _, p := range pl.Entries {
			if in(p) {
				return true
			}
		}
	}
	for _, g := range t.sgs {
		for _, rs := range [2][]SGRule{g.Ingress, g.Egress} {
			for i := range rs {
				for _, p := range rs[i].CIDRs {
					if in(p) {
						return true
					}
				}
			}
		}
	}
	for _, n := range t.nacls {
		for _, es := range [2][]NACLEntry{n.Ingress, n.Egress} {
			for i := range es {
				if in(es[i].CIDR) {
					return true
				}
			}
		}
	}
	return false
}
