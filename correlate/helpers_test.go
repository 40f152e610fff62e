package correlate

import (
	"bufio"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/flowdiag/flowdiag/flowlog"
)

// parseRec builds a record from a compact test notation:
//
//	eni-a 10.0.1.5:51234 -> 10.0.2.9:443 tcp ACCEPT t=100-160 flags=2 dir=egress pk=3 by=180
//	eni-a 10.0.0.220 -> 203.0.113.5 - pkt=10.0.1.5->203.0.113.5        (no ports, no protocol, no action)
//	eni-a NODATA t=100-160
//
// Optional keys: t=start-end, flags=N, dir=ingress|egress, pkt=SRC->DST,
// pk=packets, by=bytes, reason=R, subnet=S, vpc=V, acct=A, kind=tgw.
// Fields not given are absent (zero, not in Present).
func parseRec(line string, pos flowlog.Pos) (*flowlog.Record, error) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return nil, fmt.Errorf("want at least an ENI and a status or tuple, got %q", line)
	}
	r := &flowlog.Record{Pos: pos, Version: 2, InterfaceID: f[0], LogStatus: flowlog.LogStatusOK, Packets: 1, Bytes: 60}
	r.Present.Add(flowlog.FieldInterfaceID)
	r.Present.Add(flowlog.FieldLogStatus)
	rest := f[1:]
	switch rest[0] {
	case "NODATA", "SKIPDATA":
		r.LogStatus, _ = flowlog.ParseLogStatus(rest[0])
		r.Packets, r.Bytes = 0, 0
		rest = rest[1:]
	default:
		if len(rest) < 4 || rest[1] != "->" {
			return nil, fmt.Errorf("want SRC -> DST PROTO ACTION in %q", line)
		}
		var err error
		if r.SrcAddr, r.SrcPort, err = addrPort(rest[0]); err != nil {
			return nil, err
		}
		if r.DstAddr, r.DstPort, err = addrPort(rest[2]); err != nil {
			return nil, err
		}
		r.Present.Add(flowlog.FieldSrcAddr)
		r.Present.Add(flowlog.FieldDstAddr)
		rest = rest[3:]
		if rest[0] != "-" {
			if r.Protocol, err = flowlog.ParseProto(rest[0]); err != nil {
				return nil, err
			}
			r.Present.Add(flowlog.FieldProtocol)
		}
		rest = rest[1:]
		if len(rest) > 0 && !strings.Contains(rest[0], "=") {
			if r.Action, err = flowlog.ParseAction(rest[0]); err != nil {
				return nil, err
			}
			if r.Action != flowlog.ActionNone {
				r.Present.Add(flowlog.FieldAction)
			}
			rest = rest[1:]
		}
	}
	for _, kv := range rest {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("want key=value, got %q in %q", kv, line)
		}
		var err error
		switch k {
		case "t":
			s, e, _ := strings.Cut(v, "-")
			if r.Start, err = strconv.ParseInt(s, 10, 64); err == nil {
				r.End, err = strconv.ParseInt(e, 10, 64)
			}
		case "flags":
			var n uint64
			n, err = strconv.ParseUint(v, 10, 8)
			r.TCPFlags = uint8(n)
			r.Present.Add(flowlog.FieldTCPFlags)
		case "dir":
			r.FlowDirection, err = flowlog.ParseDirection(v)
			r.Present.Add(flowlog.FieldFlowDirection)
		case "pkt":
			s, d, _ := strings.Cut(v, "->")
			if r.PktSrcAddr, err = netip.ParseAddr(s); err == nil {
				r.PktDstAddr, err = netip.ParseAddr(d)
			}
		case "pk":
			r.Packets, err = strconv.ParseInt(v, 10, 64)
		case "by":
			r.Bytes, err = strconv.ParseInt(v, 10, 64)
		case "reason":
			r.RejectReason = v
		case "subnet":
			r.SubnetID = v
		case "vpc":
			r.VPCID = v
		case "acct":
			r.AccountID = v
		case "kind":
			if v == "tgw" {
				r.Kind = flowlog.KindTransitGateway
			}
		default:
			return nil, fmt.Errorf("unknown key %q in %q", k, line)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v in %q", k, err, line)
		}
	}
	return r, nil
}

func addrPort(s string) (netip.Addr, uint16, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr(), ap.Port(), nil
	}
	a, err := netip.ParseAddr(s)
	return a, 0, err
}

// recs parses one record per non-blank, non-# line; positions are
// source:line of the text.
func recs(t testing.TB, source, text string) []*flowlog.Record {
	t.Helper()
	var out []*flowlog.Record
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := int64(1); sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, err := parseRec(line, flowlog.Pos{Source: source, Line: n})
		if err != nil {
			t.Fatalf("%s:%d: %v", source, n, err)
		}
		out = append(out, r)
	}
	return out
}

// run correlates records and returns every emitted conversation, in
// emission order, after Flush.
func run(t testing.TB, opts Options, rs ...[]*flowlog.Record) ([]*Conversation, *Correlator) {
	t.Helper()
	var out []*Conversation
	c := New(opts, func(cv *Conversation) { out = append(out, cv) })
	for _, list := range rs {
		for _, r := range list {
			c.Add(r)
		}
	}
	c.Flush()
	if c.Open() != 0 {
		t.Fatalf("Open() = %d after Flush; want 0", c.Open())
	}
	return out, c
}

func one(t testing.TB, cs []*Conversation) *Conversation {
	t.Helper()
	if len(cs) != 1 {
		var b strings.Builder
		for _, c := range cs {
			b.WriteString(c.String() + "\n")
		}
		t.Fatalf("got %d conversations; want 1:\n%s", len(cs), b.String())
	}
	return cs[0]
}

// legSummary renders a leg as "ACCEPT" / "REJECT" / "ACCEPT+REJECT" / "-".
func legSummary(l *Leg) string {
	var parts []string
	if l.Accept.Records > 0 {
		parts = append(parts, "ACCEPT")
	}
	if l.Reject.Records > 0 {
		parts = append(parts, "REJECT")
	}
	if l.NoAction.Records > 0 {
		parts = append(parts, "NOACTION")
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "+")
}
