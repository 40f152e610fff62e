package review

import (
	"net/netip"
	"strconv"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/rules"
	"github.com/flowdiag/flowdiag/topology"
)

// staticWhen applies a prohibition's when: condition to the traffic a
// security group rule or network ACL entry lets through, where the
// condition reads only what a rule fixes for all its traffic: the protocol
// and the server port (flow.protocol, flow.proto_num, flow.server_port).
type staticWhen struct {
	ev        *rules.Evaluator
	decidable bool
}

// whenOf compiles p's condition for the topology analysis; nil when p has
// none.
func (c *Compiled) whenOf(p *Prohibition) *staticWhen {
	if p.When == "" {
		return nil
	}
	if w, ok := c.whens[p]; ok {
		return w
	}
	w := &staticWhen{decidable: staticFields(p.When)}
	if w.decidable {
		set, err := rules.Build([]rules.Def{{ID: "when", Title: "when", Verdict: rules.VerdictInfo, When: p.When, Message: "-"}})
		if err != nil {
			w.decidable = false // checked at load; cannot happen
		} else {
			w.ev = set.NewEvaluator()
		}
	}
	if c.whens == nil {
		c.whens = map[*Prohibition]*staticWhen{}
	}
	c.whens[p] = w
	return w
}

// staticFields reports whether src reads no fact but the flow's protocol
// and server port.
func staticFields(src string) bool {
	tree, err := parser.Parse(src)
	if err != nil {
		return false
	}
	v := &fieldVisitor{ok: true}
	ast.Walk(&tree.Node, v)
	return v.ok
}

type fieldVisitor struct{ ok bool }

func (v *fieldVisitor) Visit(n *ast.Node) {
	switch n := (*n).(type) {
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok {
			return // a deeper member: its root is visited on its own
		}
		prop, ok := n.Property.(*ast.StringNode)
		if id.Value != "flow" || !ok {
			v.ok = false
			return
		}
		switch prop.Value {
		case "protocol", "proto_num", "server_port":
		default:
			// Addresses too: a rule covers whole prefixes and groups of
			// ENIs, and a condition on an address cannot be decided by
			// trying one of them.
			v.ok = false
		}
	case *ast.IdentifierNode:
		switch n.Value {
		case "flow", "in_cidr", "port_in", "is_private", "ephemeral", "proto_name", "endpoint", "request_traffic", "reply_traffic", "any_cidr":
		default:
			v.ok = false // another fact (client, topo, ...) or a variable
		}
	}
}

// exempts reports whether the condition is false for every packet of the
// boxes a rule lets through, from (outbound) or to (inbound) the ENIs:
// then the rule permits only traffic the prohibition exempts.
// unchecked is true when the condition could not be applied (it reads
// other facts, or a box spans every protocol).
func (w *staticWhen) exempts(hit []box, enis []*topology.ENI, inbound bool) (exempt, unchecked bool) {
	if !w.decidable {
		return false, true
	}
	var env rules.Env
	for _, b := range hit {
		if b.proto < 0 {
			return false, true // any or an unnamed protocol
		}
		proto := flowlog.Proto(b.proto)
		env.Flow = rules.Flow{Protocol: proto.String(), ProtoNum: int(b.proto), Client: localAddr(enis, b.pfx.Addr()).String(), Server: b.pfx.Addr().String()}
		if inbound {
			env.Flow.Client, env.Flow.Server = env.Flow.Server, env.Flow.Client
		}
		from, to := 0, 0
		if proto.HasPorts() {
			// Every port: the first one the condition holds for ends
			// the search, so only a condition false almost everywhere
			// costs the whole range (65,536 guard checks at most).
			from, to = int(b.ports.First), int(b.ports.Last)
		}
		for port := from; port <= to; port++ {
			env.Flow.ServerPort = port
			matched, err := w.ev.Match(&env, rules.OnAny, nil)
			if err != nil || len(matched) > 0 {
				return false, false
			}
		}
	}
	return true, false
}

// localAddr is an address of one of enis in peer's family (the first
// address when none is).
func localAddr(enis []*topology.ENI, peer netip.Addr) netip.Addr {
	var first netip.Addr
	for _, e := range enis {
		for _, a := range e.Addresses {
			if a.Is4() == peer.Is4() {
				return a
			}
			if !first.IsValid() {
				first = a
			}
		}
	}
	return first
}

// whenNote is appended to a finding whose rule the condition was not
// applied to.
func whenNote(p *Prohibition) string {
	return "; the prohibition's when: (" + strconv.Quote(p.When) + ") reads more than the protocol and server port, or the rule covers every protocol, so it was not applied here: the rule may permit only exempt traffic"
}

// restrict narrows the prohibited region to the protocols and server ports
// the condition holds for, when those are few (a condition such as
// flow.server_port == 22, or flow.protocol == "udp"): the prohibition then
// reads as the set form would (ssh-internet: tcp 22), with the same
// findings and fixes. ok is false when the condition is not decidable or
// holds for too many pieces to list; reg is then returned unchanged and
// each rule's hits are checked as before.
func (w *staticWhen) restrict(reg region) (region, bool) {
	if !w.decidable {
		return reg, false
	}
	type piece struct {
		proto int16
		ports topology.PortRange
	}
	var pieces []piece
	var env rules.Env
	holds := func(proto int16, port int) bool {
		env.Flow = rules.Flow{Protocol: flowlog.Proto(proto).String(), ProtoNum: int(proto), ServerPort: port}
		m, err := w.ev.Match(&env, rules.OnAny, nil)
		return err == nil && len(m) > 0
	}
	const maxPieces = 8
	for p := 0; p < 256; p++ {
		proto := int16(p)
		if !hasPorts(proto) {
			if holds(proto, 0) {
				pieces = append(pieces, piece{proto, topology.AllPorts})
			}
		} else {
			start := -1
			for port := 0; port <= 65536; port++ {
				in := port <= 65535 && holds(proto, port)
				switch {
				case in && start < 0:
					start = port
				case !in && start >= 0:
					pieces = append(pieces, piece{proto, topology.PortRange{First: uint16(start), Last: uint16(port - 1)}})
					start = -1
				}
			}
		}
		if len(pieces) > maxPieces {
			return reg, false
		}
	}
	out := reg
	out.boxes = nil
	for _, b := range reg.boxes {
		for _, pc := range pieces {
			if b.proto != protoAny && b.proto != pc.proto {
				continue
			}
			x := box{pfx: b.pfx, proto: pc.proto, ports: pc.ports}
			if hasPorts(pc.proto) {
				lo, hi := max(b.ports.First, pc.ports.First), min(b.ports.Last, pc.ports.Last)
				if lo > hi {
					continue
				}
				x.ports = topology.PortRange{First: lo, Last: hi}
			} else if b.ports != topology.AllPorts {
				continue // the set wants ports: only TCP and UDP have them
			}
			out.boxes = append(out.boxes, x)
		}
	}
	out.restricted = true
	return out, true
}
