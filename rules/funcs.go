package rules

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/flowdiag/flowdiag/flowlog"
)

// TCP flag bits as AWS reports them in tcp-flags.
const (
	flagFIN    = 1
	flagSYN    = 2
	flagRST    = 4
	flagACK    = 16
	flagSYNACK = flagSYN | flagACK
)

var flagNames = map[string]int{"fin": flagFIN, "syn": flagSYN, "rst": flagRST, "synack": flagSYNACK}

// helpers holds the per-load state of the helper functions: CIDR literals
// are parsed once at compile time into prefixes, so in_cidr(addr, "10.0.0.0/8")
// costs one map lookup and one address parse per evaluation. The map is
// written only while loading and read-only afterwards, so compiled programs
// can run on many goroutines.
type helpers struct {
	prefixes map[string]netip.Prefix
}

func newHelpers() *helpers { return &helpers{prefixes: map[string]netip.Prefix{}} }

func (h *helpers) prefix(s string) (netip.Prefix, error) {
	if p, ok := h.prefixes[s]; ok {
		return p, nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("in_cidr: %q is not a CIDR such as 10.0.0.0/8", s)
	}
	return p.Masked(), nil
}

func parseAddr(fn, s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// options returns the expr options shared by every expression of a load.
func (h *helpers) options() []expr.Option {
	return []expr.Option{
		expr.Env(Env{}),
		expr.MaxNodes(maxNodes),
		expr.Function("in_cidr", func(p ...any) (any, error) {
			pfx, err := h.prefix(p[1].(string))
			if err != nil {
				return nil, err
			}
			a, ok := parseAddr("in_cidr", p[0].(string))
			return ok && pfx.Contains(a), nil
		}, new(func(string, string) bool)),
		expr.Function("port_in", func(p ...any) (any, error) {
			port := p[0].(int)
			return port >= p[1].(int) && port <= p[2].(int), nil
		}, new(func(int, int, int) bool)),
		expr.Function("is_private", func(p ...any) (any, error) {
			a, ok := parseAddr("is_private", p[0].(string))
			return ok && (a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || cgnat.Contains(a)), nil
		}, new(func(string) bool)),
		expr.Function("ephemeral", func(p ...any) (any, error) {
			return p[0].(int) >= 1024, nil
		}, new(func(int) bool)),
		expr.Function("proto_name", func(p ...any) (any, error) {
			n := p[0].(int)
			if n < 0 || n > 255 {
				return strconv.Itoa(n), nil
			}
			return flowlog.Proto(n).String(), nil
		}, new(func(int) string)),
		expr.Function("has_flag", func(p ...any) (any, error) {
			f := p[0].(int)
			bit, ok := flagNames[p[1].(string)]
			if !ok {
				return nil, fmt.Errorf("has_flag: unknown flag %q: want syn, fin, rst or synack", p[1])
			}
			return f >= 0 && f&bit == bit, nil
		}, new(func(int, string) bool)),
		expr.Function("endpoint", func(p ...any) (any, error) {
			return endpoint(p[0].(string), p[1].(int), p[2].(string)), nil
		}, new(func(string, int, string) string)),
		expr.Function("request_traffic", func(p ...any) (any, error) {
			return requestTraffic(p[0].(string), p[1].(int)), nil
		}, new(func(string, int) string)),
		expr.Function("reply_traffic", func(p ...any) (any, error) {
			port := -1 // unknown: the ephemeral range
			if len(p) > 1 {
				port = p[1].(int)
			}
			return replyTraffic(p[0].(string), port), nil
		}, new(func(string) string), new(func(string, int) string)),
		expr.Function("any_cidr", func(p ...any) (any, error) {
			return anyCIDR(p[0].(string)), nil
		}, new(func(string) string)),
		expr.Function("host_cidr", func(p ...any) (any, error) {
			return hostCIDR(p[0].(string)), nil
		}, new(func(string) string)),
		expr.Function("nacl_place", func(p ...any) (any, error) {
			return naclPlace(p[0].(int), p[1].(int)), nil
		}, new(func(int, int) string)),
		expr.Function("teardown_only", func(p ...any) (any, error) {
			f := p[0].(int)
			return f >= 0 && f&flagSYN == 0, nil
		}, new(func(int) bool)),
	}
}

// cgnat is the shared address space of RFC 6598, private for is_private.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

const maxNodes = 1000

// literalChecker is an expr patch visitor that validates literal arguments of
// helper functions at compile time (and pre-parses CIDRs) so a typo in a
// constant is a load error with a position, not a run-time failure.
type literalChecker struct {
	h    *helpers
	errs []literalError
}

type literalError struct {
	from int // rune offset in the expression
	msg  string
}

func (v *literalChecker) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	switch id.Value {
	case "in_cidr":
		if len(call.Arguments) == 2 {
			if s, ok := call.Arguments[1].(*ast.StringNode); ok {
				p, err := netip.ParsePrefix(s.Value)
				if err != nil {
					v.errs = append(v.errs, literalError{s.Location().From, fmt.Sprintf("in_cidr: %q is not a CIDR such as 10.0.0.0/8", s.Value)})
					return
				}
				v.h.prefixes[s.Value] = p.Masked()
			}
		}
	case "has_flag":
		if len(call.Arguments) == 2 {
			if s, ok := call.Arguments[1].(*ast.StringNode); ok {
				if _, ok := flagNames[s.Value]; !ok {
					v.errs = append(v.errs, literalError{s.Location().From, fmt.Sprintf("has_flag: unknown flag %q: want syn, fin, rst or synack", s.Value)})
				}
			}
		}
	}
}

// hasPorts reports whether the protocol name (as in flow.protocol) carries
// ports: tcp and udp (and sctp); ICMP carries type and code instead.
func hasPorts(proto string) bool { return proto == "tcp" || proto == "udp" || proto == "sctp" }

// FlowHasPorts reports whether a flow of protocol (a name or number, as
// flow.protocol and engine.Flow hold it) has ports to print: TCP, UDP, DCCP
// (33), SCTP (132) and UDP-Lite (136). The flow log's port fields are 0 for
// every other protocol (ICMP, GRE, ESP, ...), and "10.0.1.5:0" would read
// as a flow to port 0, so those print the address alone. (Which protocols
// security group and network ACL port ranges apply to is another question:
// see hasPorts.)
func FlowHasPorts(protocol string) bool {
	p, err := flowlog.ParseProto(protocol)
	if err != nil {
		return false
	}
	switch p {
	case flowlog.ProtoTCP, flowlog.ProtoUDP, flowlog.ProtoSCTP, 33, 136:
		return true
	}
	return false
}

// endpoint renders an address and port as a person reads it:
// "10.0.1.5:443", "[2001:db8::5]:443", or the address alone for protocols
// without ports.
func endpoint(addr string, port int, proto string) string {
	if !FlowHasPorts(proto) {
		return addr
	}
	if a, err := netip.ParseAddr(addr); err == nil && a.Is6() {
		return "[" + addr + "]:" + strconv.Itoa(port)
	}
	return addr + ":" + strconv.Itoa(port)
}

// requestTraffic names the traffic a rule must allow for the request:
// "tcp port 443", "icmp echo requests (type 8)", "gre (protocol 47)". Flow
// logs carry no ICMP type, so echo is assumed, as the topology evaluation
// does.
func requestTraffic(proto string, port int) string {
	switch {
	case hasPorts(proto):
		return proto + " port " + strconv.Itoa(port)
	case proto == "icmp":
		return "icmp echo requests (type 8)"
	case proto == "icmpv6":
		return "icmpv6 echo requests (type 128)"
	}
	return protocolWords(proto)
}

// replyTraffic names the traffic a stateless network ACL must allow for the
// replies: for tcp and udp the client's port when it is a fixed one below
// 1024 (IKE 500, NTP 123, DNS between servers), which an ephemeral range
// would not match, else the ephemeral ports; echo replies for ICMP.
// clientPort < 0 means unknown.
func replyTraffic(proto string, clientPort int) string {
	switch {
	case proto == "tcp" && clientPort > 0 && clientPort < 1024:
		// A TCP client on a reserved port (NFS, rsh) binds another one
		// below 1024 for its next connection.
		return "tcp port " + strconv.Itoa(clientPort) + " (the client's reserved port: such clients pick another below 1024 each time, so allow the range they use)"
	case hasPorts(proto) && clientPort > 0 && clientPort < 1024:
		return proto + " port " + strconv.Itoa(clientPort)
	case hasPorts(proto):
		return proto + " ports 1024-65535"
	case proto == "icmp":
		return "icmp echo replies (type 0)"
	case proto == "icmpv6":
		return "icmpv6 echo replies (type 129)"
	}
	return protocolWords(proto)
}

// naclPlace says where a network ACL entry that must precede entry
// ruleNumber goes: below it, or, when no rule number below it is free
// (freeBelow 0, a deny at #1), after that entry is renumbered.
func naclPlace(ruleNumber, freeBelow int) string {
	if freeBelow > 0 || ruleNumber <= 0 {
		return "with a rule number below " + strconv.Itoa(ruleNumber)
	}
	return "before rule #" + strconv.Itoa(ruleNumber) + ": no rule number below it is free, so renumber that rule (or narrow or remove it) first"
}

// anyCIDR is the CIDR of every address of addr's family, "0.0.0.0/0" or
// "::/0": an IPv4 entry of a network ACL or security group never matches
// IPv6 traffic.
func anyCIDR(addr string) string {
	if a, err := netip.ParseAddr(addr); err == nil && a.Is6() && !a.Is4In6() {
		return "::/0"
	}
	return "0.0.0.0/0"
}

// hostCIDR is addr as a single-address CIDR, what a NACL entry for one
// host names; anything else is returned unchanged.
func hostCIDR(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	return netip.PrefixFrom(a, a.BitLen()).String()
}

func protocolWords(proto string) string {
	if n, err := strconv.Atoi(proto); err == nil {
		return "protocol " + strconv.Itoa(n)
	}
	if p, err := flowlog.ParseProto(proto); err == nil {
		return proto + " (protocol " + strconv.Itoa(int(p)) + ")"
	}
	return proto
}
