package review

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/flowdiag/flowdiag/topology"
)

// excepted is an unexpired exception as the rule analysis applies it: the
// part of the prohibited space it allows.
type excepted struct {
	e     *Exception
	boxes []box
}

// exceptionsFor returns the unexpired exceptions of p whose sources cover
// every one of enis: what a rule of those ENIs lets through inside such an
// exception's destinations is approved, not a finding. (An exception that
// covers only some of the ENIs leaves the rule's finding whole: the rule
// lets the others through too.)
func (c *Compiled) exceptionsFor(p *Prohibition, reg region, enis []*topology.ENI) []excepted {
	var out []excepted
	for _, e := range c.Policy.Exceptions {
		if e.Prohibition.ID != p.ID || e.Expired(c.Now) || len(enis) == 0 {
			continue
		}
		all := true
		for _, x := range enis {
			if !wholeENI(e.From, x) {
				all = false
				break
			}
		}
		if !all {
			continue
		}
		x := excepted{e: e, boxes: reg.boxes}
		if e.To != nil {
			r, _ := c.regionOf(&Prohibition{To: []*DestSet{e.To}})
			x.boxes = r.boxes
		}
		out = append(out, x)
	}
	return out
}

// exceptHits takes what exceptions allow out of hit, where that is exact:
// a box of any protocol loses only what an exception of any protocol and
// port covers. It returns what is left and the first exception that took
// something.
func exceptHits(hit []box, exs []excepted) ([]box, *Exception) {
	var by *Exception
	for _, x := range exs {
		for _, eb := range x.boxes {
			var rest []box
			for _, h := range hit {
				entry, ok := asEntry(eb, h)
				if !ok {
					rest = append(rest, h)
					continue
				}
				if _, overlaps := naclOverlap(&entry, h); !overlaps {
					rest = append(rest, h)
					continue
				}
				rest = append(rest, naclSubtract(h, &entry)...)
				if by == nil {
					by = x.e
				}
			}
			hit = rest
		}
	}
	return hit, by
}

// asEntry states exception box eb as a network ACL entry matching within
// h's protocol, or false when that cannot be exact.
func asEntry(eb, h box) (topology.NACLEntry, bool) {
	entry := topology.NACLEntry{CIDR: eb.pfx, Proto: topology.ProtoAll, Ports: topology.AllPorts, Allow: true}
	switch {
	case eb.proto == protoAny && eb.ports == topology.AllPorts:
		return entry, true
	case h.proto == protoAny || h.proto == protoOther:
		return entry, false // the exception is narrower than "any protocol"
	case eb.proto == protoAny: // ports of any protocol that has them
		if !hasPorts(h.proto) {
			return entry, false
		}
		entry.Proto, entry.Ports = topology.Protocol(h.proto), eb.ports
		return entry, true
	case eb.proto == h.proto:
		entry.Proto, entry.Ports = topology.Protocol(h.proto), eb.ports
		return entry, true
	}
	return entry, false
}

// exceptedBoxesIn returns the exceptions' approved boxes inside pfx: a fix
// narrowing an entry to pfx's part must keep them open.
func exceptedBoxesIn(exs []excepted, pfx netip.Prefix) ([]box, *Exception) {
	var out []box
	var by *Exception
	for _, x := range exs {
		for _, b := range x.boxes {
			if in, ok := intersect(b.pfx, pfx); ok {
				b.pfx = in
				if !slices.Contains(out, b) {
					out = append(out, b)
				}
				if by == nil {
					by = x.e
				}
			}
		}
	}
	return out, by
}

// beyondProhibited reports whether a rule of protocol proto and ports lets
// through traffic of some protocol or port the region does not prohibit:
// then narrowing its addresses would cut that traffic too, and the fix is
// to deny the prohibited protocols and ports instead.
func beyondProhibited(proto topology.Protocol, ports topology.PortRange, reg region) bool {
	if !reg.restricted {
		return false
	}
	for _, b := range uniqueProtoPorts(reg.boxes) {
		if b.proto == protoAny && b.ports == topology.AllPorts {
			return false
		}
		if proto == topology.ProtoAll {
			continue
		}
		if b.proto != protoAny && b.proto != int16(proto) {
			continue
		}
		if !hasPorts(int16(proto)) || b.ports.First <= ports.First && ports.Last <= b.ports.Last {
			return false
		}
	}
	return true
}

// partialExceptionNote returns a sentence for a finding whose rule applies
// to enis when an unexpired exception approves part of what it lets
// through (hit) for some of them only: the finding stays whole, but its fix
// must not take that approved access away. "" when there is none.
func (c *Compiled) partialExceptionNote(p *Prohibition, reg region, enis []*topology.ENI, hit []box) string {
	for _, e := range c.Policy.Exceptions {
		if e.Prohibition.ID != p.ID || e.Expired(c.Now) {
			continue
		}
		var some []string
		whole := 0
		for _, x := range enis {
			if wholeENI(e.From, x) {
				some = append(some, x.ID)
				whole++
				continue
			}
			for _, a := range x.Addresses {
				for _, cidr := range e.From.CIDRs {
					if cidr.Contains(a) {
						some = append(some, x.ID+"'s "+a.String())
					}
				}
			}
		}
		if len(some) == 0 || whole == len(enis) {
			continue
		}
		boxes := reg.boxes
		if e.To != nil {
			r, _ := c.regionOf(&Prohibition{To: []*DestSet{e.To}})
			boxes = r.boxes
		}
		for _, a := range boxes {
			for _, b := range hit {
				if boxesOverlap(a, b) {
					return fmt.Sprintf(" (exception %s approves part of this for %s: keep that access for them, in a security group or network ACL entry of their own, before applying the fix)", e.ID, strings.Join(some, ", "))
				}
			}
		}
	}
	return ""
}

// wholeENI reports whether selector s covers everything ENI e sends from:
// named, in a named subnet or group, or every address and delegated prefix
// of it inside s's CIDRs (an exception for an ENI's primary address does
// not cover its secondary addresses or its pods').
func wholeENI(s Selector, e *topology.ENI) bool {
	if s.All || contains(s.ENIs, e.ID) || contains(s.Subnets, e.SubnetID) || hasAny(e.SecurityGroupIDs, s.SGs) {
		return true
	}
	if len(s.CIDRs) == 0 || len(e.Addresses) == 0 {
		return false
	}
	in := func(p netip.Prefix) bool {
		for _, c := range s.CIDRs {
			if c.Bits() <= p.Bits() && c.Contains(p.Addr()) {
				return true
			}
		}
		return false
	}
	for _, a := range e.Addresses {
		if !in(netip.PrefixFrom(a, a.BitLen())) {
			return false
		}
	}
	for _, p := range e.Prefixes {
		if !in(p) {
			return false
		}
	}
	return true
}
