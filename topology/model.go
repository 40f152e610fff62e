package topology

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/flowdiag/flowdiag/flowlog"
)

// Protocol is the protocol of a security group rule or network ACL entry:
// an IANA number, or ProtoAll (AWS's "-1") which matches every protocol.
type Protocol int16

// ProtoAll matches every protocol (AWS "-1", YAML "all" or "-1").
const ProtoAll Protocol = -1

// ParseProtocol accepts "all", "-1", a protocol name (tcp, udp, icmp,
// icmpv6, ...) or a number 0-255.
func ParseProtocol(s string) (Protocol, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "all" || t == "-1" {
		return ProtoAll, nil
	}
	p, err := flowlog.ParseProto(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a protocol: want all, -1, tcp, udp, icmp, icmpv6, another name or a number 0-255", s)
	}
	return Protocol(p), nil
}

// String returns "all" or the protocol keyword ("tcp") or number.
func (p Protocol) String() string {
	if p == ProtoAll {
		return "all"
	}
	return flowlog.Proto(p).String()
}

// matches reports whether a rule with protocol p applies to packets of q.
func (p Protocol) matches(q flowlog.Proto) bool { return p == ProtoAll || p == Protocol(q) }

// hasPorts reports whether the rule's port range is meaningful (TCP, UDP).
func (p Protocol) hasPorts() bool {
	return p == Protocol(flowlog.ProtoTCP) || p == Protocol(flowlog.ProtoUDP)
}

// isICMP reports whether the rule's ICMP type and code are meaningful.
func (p Protocol) isICMP() bool {
	return p == Protocol(flowlog.ProtoICMP) || p == Protocol(flowlog.ProtoICMPv6)
}

// otherFamily reports whether a rule or entry of protocol p can never
// match traffic to or from c: ICMP (1) is carried over IPv4 only, ICMPv6
// (58) over IPv6 only.
func (p Protocol) otherFamily(c netip.Prefix) bool {
	switch p {
	case Protocol(flowlog.ProtoICMP):
		return c.Addr().Is6()
	case Protocol(flowlog.ProtoICMPv6):
		return c.Addr().Is4()
	}
	return false
}

// PortRange is an inclusive range of TCP/UDP destination ports.
// The zero value is port 0 only; AllPorts is 0-65535.
type PortRange struct {
	First, Last uint16
}

// AllPorts covers every port.
var AllPorts = PortRange{0, 65535}

// ParsePortRange accepts "443", "1024-65535", "all", "*" or "-1".
func ParsePortRange(s string) (PortRange, error) {
	t := strings.TrimSpace(s)
	switch t {
	case "all", "*", "-1", "0-65535":
		return AllPorts, nil
	}
	lo, hi, isRange := strings.Cut(t, "-")
	a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
	if err != nil {
		return PortRange{}, fmt.Errorf("%q is not a port or port range: want N or N-M with 0 <= N <= M <= 65535", s)
	}
	b := a
	if isRange {
		b, err = strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
		if err != nil {
			return PortRange{}, fmt.Errorf("%q is not a port or port range: want N or N-M with 0 <= N <= M <= 65535", s)
		}
	}
	if b < a {
		return PortRange{}, fmt.Errorf("port range %q is inverted: the first port must not exceed the last", s)
	}
	return PortRange{uint16(a), uint16(b)}, nil
}

// Contains reports whether port lies in r.
func (r PortRange) Contains(port uint16) bool { return port >= r.First && port <= r.Last }

// String returns "443", "1024-65535" or "all".
func (r PortRange) String() string {
	switch {
	case r == AllPorts:
		return "all"
	case r.First == r.Last:
		return strconv.Itoa(int(r.First))
	}
	return strconv.Itoa(int(r.First)) + "-" + strconv.Itoa(int(r.Last))
}

// VPC is one VPC and its IPv4 and IPv6 CIDR blocks.
type VPC struct {
	ID    string
	Name  string
	CIDRs []netip.Prefix
	Pos   Pos

	subnets []*Subnet
}

// Subnet is one subnet. NACLID is the network ACL associated with it as
// written in the source (empty: the VPC's default); NACL is the one that
// applies after loading (nil if the topology holds no NACL for it).
type Subnet struct {
	ID     string
	Name   string
	VPCID  string
	CIDRs  []netip.Prefix
	AZ     string
	NACLID string
	Pos    Pos

	VPC  *VPC
	NACL *NACL
	// CIDRList4 and CIDRList6 are the IPv4 and the IPv6 CIDRs joined by
	// ", ", computed once at load (a NACL entry takes one family).
	CIDRList4, CIDRList6 string
}

// ENI is a network interface. Addresses holds its private IPv4 and IPv6
// addresses (the first IPv4 is the primary private address); Public its
// public and Elastic IPs, which the internet gateway maps 1:1 to the primary
// private IPv4.
type ENI struct {
	ID        string
	SubnetID  string
	Addresses []netip.Addr
	// Prefixes are delegated prefixes (EKS and ECS prefix delegation: a /28
	// of IPv4 or an /80 of IPv6): every address in them is the ENI's own,
	// so its security groups apply to pods and tasks numbered from them.
	Prefixes         []netip.Prefix
	Public           []netip.Addr
	SecurityGroupIDs []string
	Owner            string // instance id or service
	Type             string // AWS InterfaceType
	Description      string
	Pos              Pos

	Subnet *Subnet
	Groups []*SecurityGroup
	// GroupList is SecurityGroupIDs joined by ",", computed once at load.
	GroupList string

	groupIdx   []int32    // indexes of Groups in Topology.sgs, for membership tests
	sgImplicit [2]RuleRef // "nothing allowed it": [0] ingress, [1] egress
}

// IsNATGateway reports whether e is a NAT gateway's interface (imported
// with InterfaceType nat_gateway, or written with that owner or type).
func (e *ENI) IsNATGateway() bool { return e.Type == "nat_gateway" || e.Owner == "nat_gateway" }

// PrimaryV4 returns the primary private IPv4 address (the first IPv4 in
// Addresses), or the zero Addr.
func (e *ENI) PrimaryV4() netip.Addr {
	for _, a := range e.Addresses {
		if a.Is4() {
			return a
		}
	}
	return netip.Addr{}
}

// SGRule is one security group rule. Exactly the peers listed match: IPv4
// and IPv6 CIDRs, the private addresses of ENIs carrying one of Groups, and
// the entries of PrefixLists. Ports apply to TCP and UDP only; ICMPType and
// ICMPCode to ICMP and ICMPv6 (-1 = all).
type SGRule struct {
	Proto       Protocol
	Ports       PortRange
	ICMPType    int16
	ICMPCode    int16
	CIDRs       []netip.Prefix
	Groups      []string
	PrefixLists []string
	Description string
	Pos         Pos
}

// SecurityGroup is one security group with its inbound and outbound rules in
// source order.
type SecurityGroup struct {
	ID          string
	Name        string
	VPCID       string
	Description string
	Ingress     []SGRule
	Egress      []SGRule
	Pos         Pos

	idx      int32
	members  []netip.Addr   // private addresses of ENIs carrying the group
	prefixes []netip.Prefix // delegated prefixes of ENIs carrying the group
	cIngress []sgRuleC
	cEgress  []sgRuleC
}

// Members returns the private addresses of the ENIs that carry the group,
// sorted; referenced-group rules match exactly these.
func (g *SecurityGroup) Members() []netip.Addr { return g.members }

// MemberPrefixes returns the delegated prefixes of the ENIs that carry the
// group (pods and tasks numbered from them are members too), sorted.
func (g *SecurityGroup) MemberPrefixes() []netip.Prefix { return g.prefixes }

// NACLEntry is one numbered network ACL entry. CIDR is IPv4 or IPv6; an
// entry never matches packets of the other family.
type NACLEntry struct {
	Rule     int
	Proto    Protocol
	Ports    PortRange
	ICMPType int16
	ICMPCode int16
	CIDR     netip.Prefix
	Allow    bool
	Pos      Pos
}

// NACL is one network ACL. Ingress and Egress hold the entries as written
// (the implicit deny entries 32767/32768 are never listed).
type NACL struct {
	ID        string
	Name      string
	VPCID     string
	Default   bool
	SubnetIDs []string
	Ingress   []NACLEntry
	Egress    []NACLEntry
	Pos       Pos

	// compiled: per direction (0 ingress, 1 egress) and family (0 v4, 1 v6),
	// sorted by rule number.
	c        [2][2][]naclEntryC
	implicit [2][2]RuleRef
}

// PrefixList is a managed prefix list.
type PrefixList struct {
	ID      string
	Name    string
	Entries []netip.Prefix
	Pos     Pos
}
