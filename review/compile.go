package review

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/flowdiag/flowdiag/rules"
	"github.com/flowdiag/flowdiag/topology"
)

// Compiled is a policy turned into rules of the rules package, bound to a
// topology (or none) and to the review time.
type Compiled struct {
	Policy *Policy
	// Set holds two rules per prohibition (<id>--reached, <id>--blocked)
	// and two per exception that has not expired, more specific, so an
	// exception wins when it covers a conversation.
	Set *rules.Set
	Now time.Time

	topo   *topology.Topology
	byRule map[string]ruleInfo
	whens  map[*Prohibition]*staticWhen // see whenOf
}

type ruleInfo struct {
	p       *Prohibition
	e       *Exception // nil for the prohibition's own rules
	blocked bool
	// unplaced: an ENI of the prohibition's sources logged the traffic, but
	// the records do not show which end it is.
	unplaced bool
}

// Conditions on what the logs show, over rules.Env. The request reached the
// destination when the destination's ENI accepted it, or, when it did not
// log a rejection, when the source or a middle ENI let it out; it was
// blocked when a rejection was logged and it did not reach. An ENI whose
// end the logs do not show (unknown: default format, both ends private,
// no topology) counts either way: accepting the request, it is the
// destination's (reached) or the source's letting it out.
const (
	condReached  = `(server.seen && server.request.accepted || !(server.seen && server.request.rejected) && (client.request.accepted || transit.request.accepted || unknown.request.accepted))`
	condBlocked  = `(client.request.rejected || server.request.rejected || transit.request.rejected || unknown.request.rejected)`
	blameReached = `server.seen && server.request.accepted ? server.eni : (client.request.accepted ? client.eni : (transit.request.accepted ? transit.eni : unknown.eni))`
	blameBlocked = `server.request.rejected ? server.eni : (client.request.rejected ? client.eni : (transit.request.rejected ? transit.eni : unknown.eni))`
)

// Compile builds the rule set of p. With a topology, security group
// sources become the ENIs that carry the groups, subnets add their CIDRs,
// and the internet set excludes the VPCs' CIDRs; ids the topology does not
// hold are errors. Without one, security group sources are an error.
// Exceptions that expired at now are left out: they no longer suppress.
func Compile(p *Policy, topo *topology.Topology, now time.Time) (*Compiled, error) {
	c := &Compiled{Policy: p, Now: now, topo: topo, byRule: map[string]ruleInfo{}}
	var errs Errors
	var defs []rules.Def
	for _, pr := range p.Prohibitions {
		src, es := c.selectorExpr(pr.From, pr.Direction, "prohibition "+pr.ID)
		errs = append(errs, es...)
		cond := "(" + src + ") && (" + c.destExpr(pr.To, pr.Direction) + ")"
		if pr.When != "" {
			cond += " && (" + pr.When + ")"
		}
		title := pr.Title
		if title == "" {
			title = "Prohibited destination: " + pr.ID
		}
		defs = append(defs, c.defs(pr.ID, title, pr, nil, cond, 50)...)
		for _, e := range p.Exceptions {
			if e.Prohibition != pr || e.Expired(now) {
				continue
			}
			scope, es := c.selectorExpr(e.From, pr.Direction, "exception "+e.ID)
			errs = append(errs, es...)
			econd := cond + " && (" + scope + ")"
			if e.To != nil {
				econd += " && (" + c.destExpr([]*DestSet{e.To}, pr.Direction) + ")"
			}
			defs = append(defs, c.defs(e.ID+"--except", "Exception "+e.ID+" to "+pr.ID, pr, e, econd, 100)...)
		}
	}
	if len(errs) > 0 {
		errs.sort()
		return nil, errs
	}
	set, err := rules.Build(defs)
	if err != nil {
		var es rules.Errors
		if errors.As(err, &es) {
			for _, e := range es {
				errs = append(errs, &Error{Pos: e.Pos, Item: e.Rule, Field: e.Field, Msg: e.Msg})
			}
			return nil, errs
		}
		return nil, err
	}
	c.Set = set
	return c, nil
}

func (c *Compiled) defs(id, title string, p *Prohibition, e *Exception, cond string, spec int) []rules.Def {
	pos := p.Pos
	sev := p.Severity
	if e != nil {
		pos = e.Pos
		sev = rules.SeverityInfo
	}
	msg := "{{ flow.protocol }} {{ flow.client }}:{{ flow.client_port }} -> {{ flow.server }}:{{ flow.server_port }}"
	mk := func(suffix, state, blame string, sev rules.Severity) rules.Def {
		return rules.Def{
			ID: id + "--" + suffix, Title: title, Severity: sev, Tags: []string{"review", p.ID},
			On: rules.OnAccept | rules.OnReject, Specificity: spec, Verdict: rules.VerdictInfo,
			When:    cond + " && " + state,
			Blame:   rules.BlameDef{ENI: blame, Leg: `"request"`, Component: strconv.Quote(p.ID)},
			Message: msg, Pos: pos, WhenPos: pos,
		}
	}
	c.byRule[id+"--reached"] = ruleInfo{p: p, e: e}
	c.byRule[id+"--blocked"] = ruleInfo{p: p, e: e, blocked: true}
	defs := []rules.Def{
		mk("reached", condReached, blameReached, sev),
		mk("blocked", "!"+condReached+" && "+condBlocked, blameBlocked, rules.SeverityInfo),
	}
	if e == nil && len(p.From.ENIs) > 0 {
		// An ENI of the selector whose end the records do not show (the
		// default format, private ends, no topology): its traffic with a
		// prohibited address is reported as unplaced, a warning at most,
		// rather than passed over (QA 12, T18).
		c.byRule[id+"--unplaced"] = ruleInfo{p: p, unplaced: true}
		list := quoteList(p.From.ENIs)
		cond := "unknown.eni in " + list + " && !client.seen && !server.seen && (" + c.destExprAt(p.To, "flow.server") + " || " + c.destExprAt(p.To, "flow.client") + ")" +
			" && (unknown.request.seen || unknown.reply.seen)"
		if p.When != "" {
			cond += " && (" + p.When + ")"
		}
		defs = append(defs, rules.Def{
			ID: id + "--unplaced", Title: title, Severity: min(sev, rules.SeverityWarning), Tags: []string{"review", p.ID},
			On: rules.OnAccept | rules.OnReject, Specificity: spec - 10, Verdict: rules.VerdictInfo,
			When:    cond,
			Blame:   rules.BlameDef{ENI: "unknown.eni", Leg: `"request"`, Component: strconv.Quote(p.ID)},
			Message: msg, Pos: p.Pos, WhenPos: p.Pos,
		})
	}
	return defs
}

// sideOf names the Env side and address of the sources for a direction.
func sideOf(d Direction) (side, addr string) {
	if d == Inbound {
		return "server", "flow.server"
	}
	return "client", "flow.client"
}

// peerOf names the address of the destination for a direction.
func peerOf(d Direction) string {
	if d == Inbound {
		return "flow.client"
	}
	return "flow.server"
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// selectorExpr renders a source selector as a condition.
func (c *Compiled) selectorExpr(s Selector, d Direction, item string) (string, Errors) {
	if s.All {
		return "true", nil
	}
	side, addr := sideOf(d)
	var terms []string
	var errs Errors
	var enis []*topology.ENI
	if len(s.ENIs) > 0 {
		terms = append(terms, side+".eni in "+quoteList(s.ENIs))
		if c.topo != nil {
			for _, id := range s.ENIs {
				e, ok := c.topo.ENIByID(id)
				if !ok {
					errs = append(errs, &Error{Pos: s.idPos[id], Item: item, Field: "from.enis",
						Msg: fmt.Sprintf("ENI %s is not in the topology %s", id, c.topo.Source)})
					continue
				}
				enis = append(enis, e)
			}
		}
	}
	if len(s.SGs) > 0 {
		if c.topo == nil {
			errs = append(errs, &Error{Pos: s.Pos, Item: item, Field: "from.security_groups",
				Msg: "security group sources need a topology (--topology) to know which ENIs carry the groups"})
		} else {
			var ids []string
			for _, id := range s.SGs {
				if _, ok := c.topo.SecurityGroupByID(id); !ok {
					errs = append(errs, &Error{Pos: s.idPos[id], Item: item, Field: "from.security_groups",
						Msg: fmt.Sprintf("security group %s is not in the topology %s", id, c.topo.Source)})
				}
			}
			for _, e := range c.topo.ENIs() {
				if hasAny(e.SecurityGroupIDs, s.SGs) {
					ids = append(ids, e.ID)
					enis = append(enis, e)
				}
			}
			if len(ids) > 0 {
				terms = append(terms, side+".eni in "+quoteList(ids))
			}
		}
	}
	var addrs []string
	for _, e := range enis {
		for _, a := range e.Addresses {
			addrs = append(addrs, a.String())
		}
	}
	if len(addrs) > 0 {
		terms = append(terms, addr+" in "+quoteList(addrs))
	}
	if len(s.Subnets) > 0 {
		terms = append(terms, side+".subnet in "+quoteList(s.Subnets))
		if c.topo != nil {
			for _, id := range s.Subnets {
				sn, ok := c.topo.SubnetByID(id)
				if !ok {
					errs = append(errs, &Error{Pos: s.idPos[id], Item: item, Field: "from.subnets",
						Msg: fmt.Sprintf("subnet %s is not in the topology %s", id, c.topo.Source)})
					continue
				}
				for _, p := range sn.CIDRs {
					terms = append(terms, cidrTerm(addr, p))
				}
			}
		}
	}
	for _, p := range s.CIDRs {
		terms = append(terms, cidrTerm(addr, p))
	}
	if len(terms) == 0 {
		return "false", errs
	}
	return strings.Join(terms, " || "), errs
}

func cidrTerm(addr string, p netip.Prefix) string {
	return "in_cidr(" + addr + ", " + strconv.Quote(p.String()) + ")"
}

func hasAny(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}

// destExpr renders a union of destination sets as a condition on the peer
// address, the server port and the protocol.
func (c *Compiled) destExpr(sets []*DestSet, d Direction) string {
	return c.destExprAt(sets, peerOf(d))
}

// destExprAt is destExpr with the destination's address read from addr.
func (c *Compiled) destExprAt(sets []*DestSet, addr string) string {
	var alts []string
	for _, s := range sets {
		var parts []string
		if len(s.Include) > 0 {
			inc := make([]string, len(s.Include))
			for i, p := range s.Include {
				inc[i] = cidrTerm(addr, p)
			}
			parts = append(parts, addr+` != ""`, "("+strings.Join(inc, " || ")+")")
			for _, p := range c.excluded(s) {
				parts = append(parts, "!"+cidrTerm(addr, p))
			}
		}
		if len(s.Ports) > 0 {
			var ps []string
			for _, r := range s.Ports {
				if r.First == r.Last {
					ps = append(ps, "flow.server_port == "+strconv.Itoa(int(r.First)))
				} else {
					ps = append(ps, fmt.Sprintf("port_in(flow.server_port, %d, %d)", r.First, r.Last))
				}
			}
			parts = append(parts, "("+strings.Join(ps, " || ")+")")
		}
		if len(s.Protocols) > 0 {
			ns := make([]string, len(s.Protocols))
			for i, p := range s.Protocols {
				ns[i] = strconv.Itoa(int(p))
			}
			parts = append(parts, "flow.proto_num in ["+strings.Join(ns, ", ")+"]")
		}
		if len(parts) == 0 {
			parts = append(parts, "true")
		}
		alts = append(alts, "("+strings.Join(parts, " && ")+")")
	}
	if len(alts) == 0 {
		return "false"
	}
	return strings.Join(alts, " || ")
}

// excluded returns what s excludes, with the topology's VPC CIDRs for the
// internet set.
func (c *Compiled) excluded(s *DestSet) []netip.Prefix {
	out := s.Exclude
	if s.Internet && c.topo != nil {
		out = append([]netip.Prefix(nil), out...)
		for _, v := range c.topo.VPCs() {
			out = append(out, v.CIDRs...)
		}
	}
	return out
}

// Expired returns the exceptions that expired at the review time, in file
// order.
func (c *Compiled) Expired() []*Exception {
	var out []*Exception
	for _, e := range c.Policy.Exceptions {
		if e.Expired(c.Now) {
			out = append(out, e)
		}
	}
	return out
}
