package engine

import (
	"strings"

	"net/netip"

	"github.com/flowdiag/flowdiag/correlate"
	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/rules"
	"github.com/flowdiag/flowdiag/topology"
)

// ICMP echo types: flow logs carry no ICMP type or code (ports are 0), so a
// conversation is evaluated as the common case, an echo request answered by
// an echo reply. Rules that allow ICMP by type see the ping a user would test.
const (
	icmpEchoRequest   = 8
	icmpEchoReply     = 0
	icmpv6EchoRequest = 128
	icmpv6EchoReply   = 129
)

// packetOf returns the request packet of c as the topology evaluates it.
func packetOf(c *correlate.Conversation) topology.Packet {
	p := topology.Packet{
		Proto:    c.Proto,
		Src:      c.Client.Addr(),
		Dst:      c.Server.Addr(),
		SrcPort:  c.Client.Port(),
		DstPort:  c.Server.Port(),
		ICMPType: -1,
		ICMPCode: -1,
	}
	switch c.Proto {
	case flowlog.ProtoICMP:
		p.ICMPType, p.ICMPCode = icmpEchoRequest, 0
	case flowlog.ProtoICMPv6:
		p.ICMPType, p.ICMPCode = icmpv6EchoRequest, 0
	}
	return p
}

// fillTopo evaluates the conversation's path through the topology and states
// each check, with the rule that decided it, as facts.
func fillTopo(env *rules.Env, c *correlate.Conversation, topo *topology.Topology) {
	var path topology.Path
	topo.EvaluateInto(packetOf(c), &path)
	t := &env.Topo
	t.Present = true
	setCheck(&t.ClientSGEgress, &path.SrcSGEgress, "sg", "egress", "request", "client")
	setCheck(&t.ClientNACLEgress, &path.SrcNACLEgress, "nacl", "egress", "request", "client")
	setCheck(&t.ServerNACLIngress, &path.DstNACLIngress, "nacl", "ingress", "request", "server")
	setCheck(&t.ServerSGIngress, &path.DstSGIngress, "sg", "ingress", "request", "server")
	setCheck(&t.ServerNACLEgress, &path.ReplyDstNACLEgress, "nacl", "egress", "reply", "server")
	setCheck(&t.ClientNACLIngress, &path.ReplySrcNACLIngress, "nacl", "ingress", "reply", "client")
	for i, ch := range [...]*rules.Check{&t.ServerNACLIngress, &t.ClientNACLEgress, &t.ServerNACLEgress, &t.ClientNACLIngress} {
		if ch.Applies && !ch.Allowed {
			ch.PlaceBelow, ch.PlaceFreeBelow, ch.PlaceNote = path.Placement([...]int{2, 1, 4, 5}[i])
		}
	}
	t.Unfiltered = path.Unfiltered
	t.RequestAllowed = path.RequestAllowed()
	t.ReplyAllowed = path.ReplyAllowed()
	// A deny the logs show passed is stale: the block that explains what
	// was logged is the first one they do not contradict. Past a stale
	// deny the topology is known to be out of date, so a later deny counts
	// only where the ENI it applies at logged a rejection; its prediction
	// for traffic nobody logged is not trusted.
	//
	// An end's ENI that logged NODATA over the conversation and none of
	// its records had no traffic: what the other end sent never reached
	// it, so no check there stopped it (a rejection there is logged too),
	// and the topology cannot say where it was lost.
	passed := loggedPast(env)
	rejected := loggedRejection(env)
	unreached := notReached(env)
	blocks := 0
	var later [6]bool
	for i, ch := range [...]*rules.Check{
		&t.ClientSGEgress, &t.ClientNACLEgress, &t.ServerNACLIngress, &t.ServerSGIngress,
		&t.ServerNACLEgress, &t.ClientNACLIngress,
	} {
		if !ch.Applies || ch.Allowed {
			continue
		}
		if unreached[i] {
			break
		}
		if passed[i] {
			if !t.StaleBlock.Applies {
				t.StaleBlock = *ch
			}
			continue
		}
		if blocks == 0 {
			if t.StaleBlock.Applies && !rejected[i] {
				break
			}
			t.FirstBlock = *ch
		} else {
			later[i] = true
		}
		blocks++
	}
	if blocks > 1 {
		t.AlsoFix = alsoFix(&path, later)
	}
	if blocks == 0 && c.Proto.IsICMP() {
		// Ping passes; ICMP of an unknown type matches only the rules for
		// all types, so the logged packets may have been denied as such.
		pk := path.Packet
		pk.ICMPType, pk.ICMPCode = -1, -1
		var other topology.Path
		topo.EvaluateInto(pk, &other)
		// The first check that would stop another type must be at an ENI
		// that logged a rejection: packets that got past an earlier such
		// check (the server logged them arriving, the client logged them
		// leaving) were not of another type, and nothing explains them.
		at := loggedRejection(env)
		for i, nc := range other.Checks() {
			if nc.Check.Applies && !nc.Check.Decision.Allowed {
				if at[i] {
					p := checkPlaces[i]
					setCheck(&t.OtherICMPBlock, nc.Check, p.kind, p.direction, p.leg, p.where)
				}
				break
			}
		}
	}

	// The topology knows both ends' subnets and locations better than the
	// logs: an end that no monitored ENI logged may still be one of ours.
	env.Path.ClientLocation = path.Src.Location.String()
	env.Path.ServerLocation = path.Dst.Location.String()
	if path.Src.Subnet != nil && path.Dst.Subnet != nil {
		env.Path.Known = true
		env.Path.SameSubnet = path.SameSubnet
		env.Path.SameVPC = path.Src.Subnet.VPCID == path.Dst.Subnet.VPCID
	}
	if !env.Client.Seen && path.Src.ENI != nil {
		env.Client.ENI = path.Src.ENI.ID
		if path.Src.Subnet != nil {
			env.Client.Subnet = path.Src.Subnet.ID
		}
	}
	if !env.Server.Seen && path.Dst.ENI != nil {
		env.Server.ENI = path.Dst.ENI.ID
		if path.Dst.Subnet != nil {
			env.Server.Subnet = path.Dst.Subnet.ID
		}
	}
	if env.Transit.Seen {
		if e, ok := topo.ENIByID(env.Transit.ENI); ok {
			t.TransitKnown = true
			env.Transit.Groups = e.GroupList
			if e.Subnet != nil {
				if env.Transit.Subnet == "" {
					env.Transit.Subnet = e.Subnet.ID
				}
				if env.Transit.Subnet == e.Subnet.ID {
					env.Transit.SubnetCIDRs = familyCIDRs(e.Subnet, c.Client.Addr())
				}
			}
			var tc topology.TransitChecks
			topo.EvaluateTransit(e.ID, path.Packet, &tc)
			setCheck(&t.TransitSGIngress, &tc.SGIngress, "sg", "ingress", "request", "transit")
			reqDir, repDir := "ingress", "egress"
			if tc.RequestEgress {
				reqDir, repDir = "egress", "ingress"
			}
			setCheck(&t.TransitNACLRequest, &tc.NACLRequest, "nacl", reqDir, "request", "transit")
			setCheck(&t.TransitNACLReply, &tc.NACLReply, "nacl", repDir, "reply", "transit")
		}
	}
	// The CIDRs of the flow's family: a NACL entry holds one of them. Not
	// when the flow carries the end's public address (a hairpin through
	// the internet gateway): NACLs see that address, not the subnet's.
	if path.Src.Subnet != nil && !path.Src.Public && (env.Client.Subnet == "" || env.Client.Subnet == path.Src.Subnet.ID) {
		env.Client.SubnetCIDRs = familyCIDRs(path.Src.Subnet, c.Client.Addr())
	}
	if path.Dst.Subnet != nil && !path.Dst.Public && (env.Server.Subnet == "" || env.Server.Subnet == path.Dst.Subnet.ID) {
		env.Server.SubnetCIDRs = familyCIDRs(path.Dst.Subnet, c.Client.Addr())
	}
	if path.Src.ENI != nil && !path.Src.Public && (!env.Client.Seen || env.Client.ENI == path.Src.ENI.ID) {
		// From a public IP (a hairpin's far side) the client's groups are
		// invisible to the server's rules.
		env.Client.Groups = path.Src.ENI.GroupList
	}
	if path.SeenFrom.IsValid() {
		// A hairpin: the server's checks see neither the client's groups
		// nor its subnet, only the translated address.
		env.Path.ClientSeenAs = path.SeenFrom.String()
		if path.SeenFromUnknown {
			env.Path.ClientSeenAs = "its public address (the topology knows none: connect to the server's private address instead)"
		}
		env.Client.Groups, env.Client.SubnetCIDRs = "", ""
	}
	if path.Dst.ENI != nil && (!env.Server.Seen || env.Server.ENI == path.Dst.ENI.ID) {
		env.Server.Groups = path.Dst.ENI.GroupList
	}
	if env.Client.Subnet == "" && path.Src.Subnet != nil {
		env.Client.Subnet = path.Src.Subnet.ID
	}
	if env.Server.Subnet == "" && path.Dst.Subnet != nil {
		env.Server.Subnet = path.Dst.Subnet.ID
	}
}

// checkPlaces describes the checks of topology.Path.Checks, in order, as
// setCheck states them.
var checkPlaces = [6]struct{ kind, direction, leg, where string }{
	{"sg", "egress", "request", "client"},
	{"nacl", "egress", "request", "client"},
	{"nacl", "ingress", "request", "server"},
	{"sg", "ingress", "request", "server"},
	{"nacl", "egress", "reply", "server"},
	{"nacl", "ingress", "reply", "client"},
}

// loggedPast tells, for each check of topology.Path.Checks in order,
// whether the logs show the traffic got past it: the client logged the
// request leaving or the server logged it arriving (the client's egress
// checks), the server accepted it or the client accepted the reply (the
// server's ingress checks), the reply left the server or reached the
// client (the server's egress ACL), the client accepted the reply.
func loggedPast(env *rules.Env) [6]bool {
	cl, sv := &env.Client, &env.Server
	leftClient := cl.Request.Accepted || sv.Request.Accepted || sv.Request.Rejected || cl.Reply.Accepted
	reachedServer := sv.Request.Accepted || cl.Reply.Accepted
	replyLeft := sv.Reply.Accepted || cl.Reply.Accepted
	return [6]bool{leftClient, leftClient, reachedServer, reachedServer, replyLeft, cl.Reply.Accepted}
}

// notReached tells, for each check of topology.Path.Checks in order,
// whether the traffic cannot have reached it: the ENI it applies at was
// idle (NODATA, no record of the conversation) while the other end logged
// the conversation.
func notReached(env *rules.Env) [6]bool {
	sv := env.Server.NoData && !env.Server.Seen && env.Client.Seen
	cl := env.Client.NoData && !env.Client.Seen && env.Server.Seen
	return [6]bool{false, false, sv, sv, sv, cl}
}

// loggedRejection tells, for each check of topology.Path.Checks in order,
// whether the ENI it applies at logged that leg rejected.
func loggedRejection(env *rules.Env) [6]bool {
	cl, sv := &env.Client, &env.Server
	return [6]bool{cl.Request.Rejected, cl.Request.Rejected, sv.Request.Rejected, sv.Request.Rejected,
		sv.Reply.Rejected, cl.Reply.Rejected}
}

// alsoFix names the fixes of the blocks marked in later (those after the
// first that the logs do not contradict), which a fix of the first alone
// would leave in place.
func alsoFix(path *topology.Path, later [6]bool) string {
	var b strings.Builder
	b.WriteString(" That alone leaves it blocked: also ")
	n := 0
	for i, l := range later {
		if !l {
			continue
		}
		if n > 0 {
			b.WriteString("; and ")
		}
		n++
		b.WriteString(path.Fix(i))
	}
	b.WriteByte('.')
	return b.String()
}

// setCheck states one check of the path. Kind, direction, leg and side come
// from the check's place in the path, so they are set even when the check
// does not apply.
func setCheck(dst *rules.Check, c *topology.Check, kind, direction, leg, where string) {
	// Field by field rather than a composite literal: the literal is built
	// on the stack and copied with a write-barriered memmove, which cost
	// about a tenth of the engine's time per conversation.
	dst.Kind, dst.Direction, dst.Leg, dst.Where = kind, direction, leg, where
	dst.ENI, dst.Subnet = c.ENI, c.Subnet
	if !c.Applies {
		dst.Applies, dst.Allowed, dst.Implicit, dst.Targeted = false, false, false, false
		dst.Shadows, dst.ShadowsRule = 0, ""
		dst.Component, dst.Rule, dst.RuleNumber, dst.FreeBelow = "", "", 0, 0
		return
	}
	by := &c.Decision.By
	dst.Applies = true
	dst.Allowed = c.Decision.Allowed
	dst.Component = by.ID
	dst.RuleNumber = by.RuleNumber
	dst.FreeBelow = by.FreeBelow
	dst.Implicit = by.Implicit
	dst.Targeted = by.Targeted
	dst.Shadows, dst.ShadowsRule = 0, ""
	if c.Shadowed != nil {
		dst.Shadows, dst.ShadowsRule = c.Shadowed.RuleNumber, c.Shadowed.Text
	}
	dst.Rule = by.Text
}

// Hints adapts a topology to the correlator's hints: which end of a
// conversation serves (the security groups that admit it) and which ENI owns
// an address (to settle an ENI's role and to attach the NODATA/SKIPDATA
// records of an ENI that never logged the conversation).
func Hints(t *topology.Topology) correlate.Hints {
	if t == nil {
		return nil
	}
	return topoHints{t}
}

type topoHints struct{ *topology.Topology }

func (h topoHints) OwnerENI(a netip.Addr) (string, bool) {
	e, ok := h.ENIByAddr(a)
	if !ok {
		return "", false
	}
	return e.ID, true
}

// MayOwn reports whether eni may own a although the topology does not say
// so: a lies in a subnet of the topology (an address, a secondary IP or a
// delegated prefix the export missed) and eni is either unknown to the
// topology or in that subnet.
func (h topoHints) MayOwn(eni string, a netip.Addr) bool {
	s, ok := h.SubnetOf(a)
	if !ok {
		return false
	}
	e, known := h.ENIByID(eni)
	return !known || e.Subnet == s
}

// familyCIDRs returns the subnet's CIDRs of a's address family.
func familyCIDRs(s *topology.Subnet, a netip.Addr) string {
	if a.Is4() {
		return s.CIDRList4
	}
	return s.CIDRList6
}
