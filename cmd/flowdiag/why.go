package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/topology"
)

// whyParams are the settings of one `flowdiag why` run.
type whyParams struct {
	topology string
	from, to string
	proto    string
	icmpType int
	icmpCode int
	format   string
}

// whyAssumedPort is the client port used when --from gives none: an
// ephemeral port every common client range (Linux, Windows, NAT, ELB) covers.
const whyAssumedPort = 49152

const whyUsage = `Usage: flowdiag why --topology T --from ADDR[:PORT] --to ADDR:PORT [--proto P] [--icmp-type N --icmp-code N] [--format text|json]

Walks one packet and its reply through every security group and network ACL check, in AWS order,
naming the rule that decided each one, and ends with the first blocking point and the smallest fix.
Addresses may be private, public or Elastic IPs of the topology's ENIs.
Exit status: 0 request and reply get through, 1 something blocks them, 2 bad input.`

func runWhy(args []string, s stdio) int {
	fs := newFlagSet("why", s, whyUsage)
	var p whyParams
	fs.StringVar(&p.topology, "topology", "", "topology: YAML file, AWS describe-* JSON file or directory (required)")
	fs.StringVar(&p.from, "from", "", "source ADDR or ADDR:PORT ([v6]:port); without a port an ephemeral 49152 is assumed (required)")
	fs.StringVar(&p.to, "to", "", "destination ADDR:PORT (ADDR alone for protocols without ports) (required)")
	fs.StringVar(&p.proto, "proto", "tcp", "protocol: name (tcp, udp, icmp, icmpv6, ...) or number 0-255")
	fs.IntVar(&p.icmpType, "icmp-type", -2, "ICMP type (default: echo request, 8 or ICMPv6 128); -1 = unknown")
	fs.IntVar(&p.icmpCode, "icmp-code", -2, "ICMP code (default 0); -1 = unknown")
	fs.StringVar(&p.format, "format", "text", "output format: text or json")
	if code, done := parseFlags(fs, args, s); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "flowdiag why: unexpected argument %q: give everything as flags\n", fs.Arg(0))
		return exitUsage
	}
	code, err := why(p, s.out, s)
	if err != nil {
		fmt.Fprintf(s.err, "flowdiag why: %s\n", safeLines(err.Error()))
	}
	return code
}

// whyPacket checks the flags and builds the packet.
func (p whyParams) packet() (topology.Packet, bool, error) {
	var pk topology.Packet
	switch {
	case p.topology == "":
		return pk, false, errors.New("--topology is required")
	case p.from == "":
		return pk, false, errors.New("--from is required")
	case p.to == "":
		return pk, false, errors.New("--to is required")
	}
	if p.format != "text" && p.format != "json" {
		return pk, false, fmt.Errorf("--format: %q is not a format: want text or json", p.format)
	}
	proto, err := flowlog.ParseProto(p.proto)
	if err != nil {
		return pk, false, fmt.Errorf("--proto: %w", err)
	}
	pk.Proto = proto
	src, sport, hasSport, err := parseWhyAddr(p.from)
	if err != nil {
		return pk, false, fmt.Errorf("--from: %w", err)
	}
	dst, dport, hasDport, err := parseWhyAddr(p.to)
	if err != nil {
		return pk, false, fmt.Errorf("--to: %w", err)
	}
	if src.Is4() != dst.Is4() {
		return pk, false, fmt.Errorf("--from %s and --to %s are of different IP families%s", src, dst, bracketHint(p.from, p.to))
	}
	switch {
	case proto == flowlog.ProtoICMP && src.Is6():
		return pk, false, fmt.Errorf("--proto icmp is ICMP for IPv4; for %s and %s use --proto icmpv6", src, dst)
	case proto == flowlog.ProtoICMPv6 && src.Is4():
		return pk, false, fmt.Errorf("--proto icmpv6 is ICMP for IPv6; for %s and %s use --proto icmp", src, dst)
	}
	pk.Src, pk.Dst = src, dst
	pk.ICMPType, pk.ICMPCode = -1, -1
	assumed := false
	switch {
	case proto.HasPorts():
		if !hasDport {
			form := "ADDR:PORT"
			if bracketHint(p.to) != "" {
				form = "[ADDR]:PORT for an IPv6 address, e.g. [2001:db8::10]:443"
			}
			return pk, false, fmt.Errorf("--to %s: %s needs a destination port (%s)", p.to, proto, form)
		}
		pk.DstPort, pk.SrcPort = dport, sport
		if !hasSport {
			pk.SrcPort, assumed = whyAssumedPort, true
		}
	case proto.IsICMP():
		if hasSport || hasDport {
			return pk, false, fmt.Errorf("ICMP has no ports: give the type and code with --icmp-type and --icmp-code")
		}
		pk.ICMPType, pk.ICMPCode = 8, 0
		if proto == flowlog.ProtoICMPv6 {
			pk.ICMPType = 128
		}
		if p.icmpType != -2 {
			if p.icmpType < -1 || p.icmpType > 255 {
				return pk, false, fmt.Errorf("--icmp-type %d: want -1 (unknown) or 0-255", p.icmpType)
			}
			pk.ICMPType = int16(p.icmpType)
		}
		if p.icmpCode != -2 {
			if p.icmpCode < -1 || p.icmpCode > 255 {
				return pk, false, fmt.Errorf("--icmp-code %d: want -1 (unknown) or 0-255", p.icmpCode)
			}
			pk.ICMPCode = int16(p.icmpCode)
		}
	default:
		if hasSport || hasDport {
			return pk, false, fmt.Errorf("%s has no ports: give addresses only", proto)
		}
	}
	if !proto.IsICMP() && (p.icmpType != -2 || p.icmpCode != -2) {
		return pk, false, fmt.Errorf("--icmp-type and --icmp-code apply to icmp and icmpv6 only, not to %s", proto)
	}
	return pk, assumed, nil
}

// parseWhyAddr accepts ADDR, ADDR:PORT and [V6]:PORT.
func parseWhyAddr(s string) (netip.Addr, uint16, bool, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), ap.Port(), true, nil
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil && a.Zone() == "" {
		return a.Unmap(), 0, false, nil
	}
	if host, port, ok := strings.Cut(s, ":"); ok && !strings.Contains(port, ":") {
		if _, err := netip.ParseAddr(host); err == nil {
			if _, err := strconv.ParseUint(port, 10, 16); err != nil {
				return netip.Addr{}, 0, false, fmt.Errorf("%q: port %q is not a number from 0 to 65535", s, port)
			}
		}
	}
	return netip.Addr{}, 0, false, fmt.Errorf("%q is not an address: want 10.0.1.5, 10.0.1.5:443, 2001:db8::5 or [2001:db8::5]:443", s)
}

func why(p whyParams, w io.Writer, s stdio) (int, error) {
	pk, assumed, err := p.packet()
	if err != nil {
		return exitUsage, err
	}
	topo, err := loadTopology(p.topology, s)
	if err != nil {
		var el *topology.ErrorList
		if errors.As(err, &el) {
			return exitUsage, fmt.Errorf("topology %s has %d problem(s):\n%s", p.topology, len(el.Errors), el.Error())
		}
		return exitUsage, err
	}
	path := topo.Evaluate(pk)
	fromPublic := ""
	if path.Src.Public && path.Src.ENI != nil {
		// An instance never sends from its public IP: the internet gateway
		// puts it on packets bound for the internet. Ask from the private
		// address (a packet to another public IP is then a hairpin).
		fromPublic = fmt.Sprintf("source %s (%s's private address: %s is its public IP, which it never sends from; the internet gateway puts that on packets to the internet)",
			path.Src.Private, path.Src.ENI.ID, path.Src.Addr)
		pk.Src = path.Src.Private
		path = topo.Evaluate(pk)
	}
	if outside(&path.Src) && outside(&path.Dst) {
		return exitUsage, fmt.Errorf("neither %s (%s) nor %s (%s) is in the topology %s: nothing to evaluate (is one a public IP the topology's ENIs lack? re-export it with flowdiag topology import)",
			path.Src.Addr, path.Src.Location, path.Dst.Addr, path.Dst.Location, p.topology)
	}
	rep := buildWhyReport(topo, &path, assumed)
	if fromPublic != "" {
		if rep.Assumed != "" {
			rep.Assumed += "; "
		}
		rep.Assumed += fromPublic
	}
	if p.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(rep)
	} else {
		err = writeWhyText(w, rep)
	}
	if err != nil {
		return exitUsage, err
	}
	if rep.Verdict != "allowed" {
		return exitFinding, nil
	}
	return exitOK, nil
}

type whyEndpoint struct {
	Addr     string   `json:"addr"`
	Port     *int     `json:"port,omitempty"`
	Private  string   `json:"private"`
	Location string   `json:"location"`
	ENI      string   `json:"eni,omitempty"`
	Owner    string   `json:"owner,omitempty"`
	Desc     string   `json:"description,omitempty"`
	Subnet   string   `json:"subnet,omitempty"`
	NACL     string   `json:"nacl,omitempty"`
	VPC      string   `json:"vpc,omitempty"`
	Groups   []string `json:"security_groups"`
}

type whyRule struct {
	Kind       string `json:"kind"`
	ID         string `json:"id"`
	Direction  string `json:"direction"`
	RuleNumber int    `json:"rule_number,omitempty"`
	Index      *int   `json:"index,omitempty"`
	Implicit   bool   `json:"implicit"`
	Text       string `json:"text"`
	Pos        string `json:"pos,omitempty"`
}

type whyStep struct {
	Step    int      `json:"step"`
	Leg     string   `json:"leg"` // request or reply
	Check   string   `json:"check"`
	Applies bool     `json:"applies"`
	Allowed bool     `json:"allowed"`
	Note    string   `json:"note,omitempty"`
	Rule    *whyRule `json:"rule,omitempty"`
}

type whyReport struct {
	Packet     string      `json:"packet"`
	Reply      string      `json:"reply"`
	Assumed    string      `json:"assumed,omitempty"`
	From       whyEndpoint `json:"from"`
	To         whyEndpoint `json:"to"`
	SameSubnet bool        `json:"same_subnet"`
	Steps      []whyStep   `json:"steps"`
	Verdict    string      `json:"verdict"` // allowed, request-blocked, reply-blocked, not-routable
	BlockedAt  *whyStep    `json:"blocked_at,omitempty"`
	Fix        string      `json:"fix,omitempty"`
	// AlsoFix lists the changes the later blocking checks need: with only
	// Fix applied the traffic would still be blocked.
	AlsoFix []string `json:"also_fix,omitempty"`
	// SeenFrom says, for a packet to another ENI's public IP (a hairpin
	// through the internet gateway), which source address the
	// destination's checks see.
	SeenFrom string `json:"seen_from,omitempty"`
}

// hairpinText explains the source translation of a hairpin path.
func hairpinText(path *topology.Path) string {
	head := fmt.Sprintf("%s is %s's public IP, so the packet leaves through the internet gateway, which translates its source too", path.Dst.Addr, path.Dst.ENI.ID)
	tail := fmt.Sprintf("; %s's checks see that address, and security group rules naming %s's groups do not match it", path.Dst.ENI.ID, path.Src.ENI.ID)
	switch {
	case path.SeenFromUnknown:
		return head + fmt.Sprintf(": %s has no public IP the topology knows (and the VPC no single NAT gateway with one), so it arrives from an unknown public address, if at all; the checks are evaluated for an address only rules open to 0.0.0.0/0 admit", path.Src.Addr) + tail
	case path.SeenFromNAT != "":
		return head + fmt.Sprintf(": %s has no public IP, so, if its subnet routes the internet through NAT gateway %s, to the NAT's %s", path.Src.Addr, path.SeenFromNAT, path.SeenFrom) + tail
	}
	return head + fmt.Sprintf(", to %s (%s's public IP)", path.SeenFrom, path.Src.ENI.ID) + tail
}

func whyPacketText(proto flowlog.Proto, src, dst netip.Addr, sport, dport uint16, typ, code int16) string {
	switch {
	case proto.HasPorts():
		return fmt.Sprintf("%s %s -> %s", proto, netip.AddrPortFrom(src, sport), netip.AddrPortFrom(dst, dport))
	case proto.IsICMP():
		return fmt.Sprintf("%s %s -> %s type %s code %s", proto, src, dst, icmpNum(typ), icmpNum(code))
	}
	return fmt.Sprintf("%s %s -> %s", proto, src, dst)
}

func icmpNum(v int16) string {
	if v < 0 {
		return "unknown"
	}
	return strconv.Itoa(int(v))
}

func whyEnd(ep topology.Endpoint, port uint16, hasPort bool) whyEndpoint {
	e := whyEndpoint{Addr: ep.Addr.String(), Private: ep.Private.String(), Location: ep.Location.String(), Groups: []string{}}
	if hasPort {
		n := int(port)
		e.Port = &n
	}
	if ep.ENI != nil {
		e.ENI, e.Owner, e.Desc = ep.ENI.ID, ep.ENI.Owner, ep.ENI.Description
		e.Groups = append(e.Groups, ep.ENI.SecurityGroupIDs...)
	}
	if ep.Subnet != nil {
		e.Subnet = ep.Subnet.ID
		if ep.Subnet.NACL != nil {
			e.NACL = ep.Subnet.NACL.ID
		}
	}
	if ep.VPC != nil {
		e.VPC = ep.VPC.ID
	}
	return e
}

// whyNotApplies explains why a check is not evaluated.
// outside reports whether an end is neither an ENI nor in a subnet or VPC
// of the topology.
func outside(ep *topology.Endpoint) bool { return ep.ENI == nil && ep.Subnet == nil && ep.VPC == nil }

// unroutable explains why a packet cannot be delivered whatever the
// rules say: a NAT gateway forwards the replies of connections from behind
// it and accepts no connection of its own, at its public or its private
// address.
func unroutable(path *topology.Path) string {
	src, dst := &path.Src, &path.Dst
	if dst.ENI != nil && dst.ENI.IsNATGateway() && src.ENI != dst.ENI {
		return fmt.Sprintf("%s is NAT gateway %s's address: a NAT gateway accepts no connections, it only translates the connections instances routed through it open to the outside, and forwards their replies", dst.Addr, dst.ENI.ID)
	}
	return ""
}

// privateFromInternet notes that an internet address cannot address a
// private one itself: only a load balancer that keeps client addresses (a
// Network Load Balancer) delivers such packets, or the ENI's public IP.
// The walk is still what the target's checks decide for them.
func privateFromInternet(topo *topology.Topology, path *topology.Path) string {
	src, dst := &path.Src, &path.Dst
	if src.Location != topology.LocInternet || dst.Public || !dst.Addr.Is4() ||
		dst.Location != topology.LocVPC && dst.Location != topology.LocVPCUnknownENI || topo.NamesAddress(src.Addr) {
		return ""
	}
	s := fmt.Sprintf("%s is a private address: the internet reaches it only through a load balancer that keeps client addresses (a Network Load Balancer), which is what these checks decide", dst.Addr)
	if dst.ENI != nil && len(dst.ENI.Public) > 0 {
		return s + fmt.Sprintf("; directly, at %s's public IP: ask with --to %s", dst.ENI.ID, dst.ENI.Public[0])
	}
	if dst.ENI != nil {
		return s + fmt.Sprintf("; %s has no public IP to be reached at directly", dst.ENI.ID)
	}
	return s
}

func whyNotApplies(path *topology.Path, i int) string {
	sg := i == 0 || i == 3
	ep := &path.Src
	if i == 2 || i == 3 || i == 4 {
		ep = &path.Dst
	}
	switch {
	case path.Unfiltered != "":
		return "security groups and network ACLs do not filter traffic to or from " + path.Unfiltered
	case i >= 4 && path.OneWay:
		return fmt.Sprintf("%s type %d is a one-way message: nothing answers it", path.Packet.Proto, path.Packet.ICMPType)
	case sg && ep.ENI == nil:
		return fmt.Sprintf("%s is not an ENI of the topology (%s): its security groups are unknown", ep.Addr, ep.Location)
	case sg && len(ep.ENI.Groups) == 0:
		return ep.ENI.ID + " has no security groups (an interface AWS manages, such as a NAT gateway): security groups do not filter it"
	case sg:
		return ""
	case path.SameSubnet:
		return "both ends are in " + path.Src.Subnet.ID + ": traffic inside a subnet does not pass its network ACL"
	case ep.Subnet == nil:
		return fmt.Sprintf("%s is outside the topology's subnets (%s)", ep.Addr, ep.Location)
	}
	return "the topology holds no network ACL for " + ep.Subnet.ID
}

func buildWhyReport(topo *topology.Topology, path *topology.Path, assumed bool) *whyReport {
	pk := path.Packet
	rt, rc := int16(-1), int16(-1)
	switch {
	case pk.Proto == flowlog.ProtoICMP && pk.ICMPType == 8:
		rt, rc = 0, 0
	case pk.Proto == flowlog.ProtoICMP && pk.ICMPType == 13:
		rt, rc = 14, 0
	case pk.Proto == flowlog.ProtoICMPv6 && pk.ICMPType == 128:
		rt, rc = 129, 0
	}
	hasPorts := pk.Proto.HasPorts()
	rep := &whyReport{
		Packet:     whyPacketText(pk.Proto, pk.Src, pk.Dst, pk.SrcPort, pk.DstPort, pk.ICMPType, pk.ICMPCode),
		Reply:      whyPacketText(pk.Proto, path.Dst.Addr, path.Src.Addr, pk.DstPort, pk.SrcPort, rt, rc),
		From:       whyEnd(path.Src, pk.SrcPort, hasPorts),
		To:         whyEnd(path.Dst, pk.DstPort, hasPorts),
		SameSubnet: path.SameSubnet,
		Steps:      []whyStep{},
	}
	if assumed {
		rep.Assumed = fmt.Sprintf("source port %d (an ephemeral port; give --from ADDR:PORT to choose)", whyAssumedPort)
	}
	if path.SeenFrom.IsValid() {
		rep.SeenFrom = hairpinText(path)
	} else if n := privateFromInternet(topo, path); n != "" {
		rep.SeenFrom = n
	}
	if path.OneWay {
		rep.Reply = "none (a one-way message)"
	}
	checks := path.Checks()
	step := 0
	add := func(s whyStep) *whyStep {
		step++
		s.Step = step
		rep.Steps = append(rep.Steps, s)
		return &rep.Steps[len(rep.Steps)-1]
	}
	var blockedIdx = -1
	var blockedCheck = -1
	var laterBlocks []int // checks that deny after the first one
	for i, nc := range checks {
		if i == 4 {
			note := "connection tracking: security groups let the reply to an allowed request through without evaluating rules"
			switch {
			case path.OneWay:
				note = whyNotApplies(path, i)
			case unroutable(path) != "":
				note = "the request cannot be routed: there is no connection to track, and no reply"
			case blockedIdx >= 0:
				note = "the request is blocked: there is no connection to track, and no reply"
			}
			add(whyStep{Leg: "reply", Check: "security groups (both ends)", Applies: false, Allowed: true, Note: note})
		}
		leg := "request"
		if nc.Reply {
			leg = "reply"
		}
		s := whyStep{Leg: leg, Check: nc.Name, Applies: nc.Check.Applies, Allowed: true}
		if nc.Check.Applies {
			d := nc.Check.Decision
			s.Allowed = d.Allowed
			r := whyRule{Kind: d.By.Kind.String(), ID: d.By.ID, Direction: "ingress", RuleNumber: d.By.RuleNumber, Implicit: d.By.Implicit, Text: d.By.Text}
			if d.By.Egress {
				r.Direction = "egress"
			}
			if d.By.Kind == topology.KindSG && d.By.Index >= 0 {
				n := d.By.Index
				r.Index = &n
			}
			if !d.By.Pos.IsZero() {
				r.Pos = d.By.Pos.String()
			}
			s.Rule = &r
		} else {
			s.Note = whyNotApplies(path, i)
		}
		add(s)
		if nc.Check.Applies && !nc.Check.Decision.Allowed {
			if blockedIdx < 0 {
				blockedIdx, blockedCheck = len(rep.Steps)-1, i
			} else {
				laterBlocks = append(laterBlocks, i)
			}
		}
	}
	switch {
	case unroutable(path) != "":
		// The checks are shown, but no rule decides this.
		rep.Verdict, rep.Fix = "not-routable", unroutable(path)
		return rep
	case blockedIdx < 0:
		rep.Verdict = "allowed"
	case blockedCheck < 4:
		rep.Verdict = "request-blocked"
	default:
		rep.Verdict = "reply-blocked"
	}
	if blockedIdx >= 0 {
		b := rep.Steps[blockedIdx]
		rep.BlockedAt = &b
		rep.Fix = path.Fix(blockedCheck)
		// A fix for the first block alone leaves the traffic blocked
		// when later checks deny it too: name them all.
		for _, i := range laterBlocks {
			rep.AlsoFix = append(rep.AlsoFix, path.Fix(i))
		}
	}
	return rep
}

func writeWhyText(w io.Writer, r *whyReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "why: %s\n", r.Packet)
	if r.Assumed != "" {
		fmt.Fprintf(&b, "  assumed: %s\n", r.Assumed)
	}
	for _, e := range []struct {
		label string
		ep    whyEndpoint
	}{{"from", r.From}, {"to", r.To}} {
		fmt.Fprintf(&b, "  %-4s %s", e.label, e.ep.Addr)
		if e.ep.Private != e.ep.Addr {
			fmt.Fprintf(&b, " (public IP of %s, private %s)", e.ep.ENI, e.ep.Private)
		}
		b.WriteString(": ")
		switch {
		case e.ep.ENI != "":
			fmt.Fprintf(&b, "%s", e.ep.ENI)
			if e.ep.Desc != "" {
				fmt.Fprintf(&b, " (%s)", e.ep.Desc)
			}
			groups := "no security groups"
			if len(e.ep.Groups) > 0 {
				groups = "groups " + strings.Join(e.ep.Groups, ",")
			}
			fmt.Fprintf(&b, " in %s, %s, %s", e.ep.Subnet, e.ep.VPC, groups)
		case e.ep.Subnet != "":
			fmt.Fprintf(&b, "no ENI of the topology; in %s, %s", e.ep.Subnet, e.ep.VPC)
		case e.ep.VPC != "":
			fmt.Fprintf(&b, "no ENI of the topology; inside %s", e.ep.VPC)
		default:
			fmt.Fprintf(&b, "outside the topology (%s)", e.ep.Location)
		}
		b.WriteString("\n")
	}
	if r.SeenFrom != "" {
		for i, line := range wrap("note: "+r.SeenFrom+".", "        ", textWidth) {
			if i == 0 {
				line = "  " + strings.TrimLeft(line, " ")
			}
			fmt.Fprintln(&b, line)
		}
	}
	leg := ""
	for _, s := range r.Steps {
		if s.Leg != leg {
			leg = s.Leg
			if leg == "request" {
				fmt.Fprintf(&b, "\nrequest: %s\n", r.Packet)
			} else {
				fmt.Fprintf(&b, "\nreply: %s\n", r.Reply)
			}
		}
		fmt.Fprintf(&b, "  %d. %s: ", s.Step, strings.TrimPrefix(s.Check, "reply: "))
		switch {
		case !s.Applies && s.Rule == nil && s.Note != "" && s.Leg == "reply" && strings.HasPrefix(s.Note, "connection tracking"):
			fmt.Fprintf(&b, "ALLOW (%s)\n", s.Note)
		case !s.Applies:
			fmt.Fprintf(&b, "not evaluated (%s)\n", s.Note)
		default:
			v := "DENY"
			if s.Allowed {
				v = "ALLOW"
			}
			fmt.Fprintf(&b, "%s by %s", v, s.Rule.Text)
			if s.Rule.Pos != "" {
				fmt.Fprintf(&b, "  [%s]", s.Rule.Pos)
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("\n")
	switch r.Verdict {
	case "allowed":
		b.WriteString("verdict: ALLOWED: the request and its reply get through\n")
	case "not-routable":
		fmt.Fprintf(&b, "verdict: NOT ROUTABLE: %s\n", r.Fix)
	default:
		leg := "request"
		if r.Verdict == "reply-blocked" {
			leg = "reply"
		}
		fmt.Fprintf(&b, "verdict: BLOCKED: the %s is stopped at step %d, %s, by %s\n", leg, r.BlockedAt.Step, r.BlockedAt.Check, r.BlockedAt.Rule.Text)
		fmt.Fprintf(&b, "fix: %s\n", r.Fix)
		for _, f := range r.AlsoFix {
			fmt.Fprintf(&b, "and: %s\n", f)
		}
	}
	_, err := io.WriteString(w, safeLines(b.String()))
	return err
}

// bracketHint reminds how an IPv6 address takes a port when one of the
// arguments is an IPv6 address without brackets: "2001:db8::10:443" is the
// address 2001:db8::10:443, not port 443 of 2001:db8::10.
func bracketHint(args ...string) string {
	for _, a := range args {
		if strings.Count(a, ":") > 1 && !strings.HasPrefix(a, "[") {
			return " (an IPv6 address with a port is written [ADDR]:PORT, e.g. [2001:db8::10]:443)"
		}
	}
	return ""
}
