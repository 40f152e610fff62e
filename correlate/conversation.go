package correlate

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/flowdiag/flowdiag/flowlog"
)

// Basis names the evidence that decided which end of a conversation is the
// client. See the package documentation for the order of strength.
type Basis uint8

// Bases, strongest first.
const (
	BasisTCPFlags      Basis = iota // SYN / SYN-ACK in tcp-flags
	BasisFlowDirection              // accepted direction vs rejected reply on one ENI
	BasisTopology                   // Options.Hints
	BasisPort                       // well-known or lower port range serves
	BasisFirstSeen                  // earliest record start
)

func (b Basis) String() string {
	switch b {
	case BasisTCPFlags:
		return "tcp-flags"
	case BasisFlowDirection:
		return "flow-direction"
	case BasisTopology:
		return "topology"
	case BasisPort:
		return "port"
	case BasisFirstSeen:
		return "first-seen"
	}
	return fmt.Sprintf("basis(%d)", uint8(b))
}

// MarshalText implements encoding.TextMarshaler.
func (b Basis) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// Confidence says how sure the client/server decision is.
type Confidence uint8

// Confidences. The zero value is High.
const (
	High Confidence = iota
	Medium
	Low
)

func (c Confidence) String() string {
	switch c {
	case High:
		return "high"
	case Medium:
		return "medium"
	case Low:
		return "low"
	}
	return fmt.Sprintf("confidence(%d)", uint8(c))
}

// MarshalText implements encoding.TextMarshaler.
func (c Confidence) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Role is the part an ENI plays in a conversation.
type Role uint8

// Roles. RoleUnknown means the records did not show which address is the
// ENI's own: default-format records between two private addresses, with no
// flow-direction field, and no other record of that ENI telling its address.
const (
	RoleUnknown Role = iota
	RoleClient       // the ENI owns the client address
	RoleServer       // the ENI owns the server address
	RoleTransit      // neither: NAT gateway, TGW attachment, appliance
)

func (r Role) String() string {
	switch r {
	case RoleClient:
		return "client"
	case RoleServer:
		return "server"
	case RoleTransit:
		return "transit"
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Tally aggregates records of one action on one leg. First and Last are the
// earliest start and latest end (Unix seconds) of those records; all zero
// when Records is 0.
type Tally struct {
	Records int
	Packets int64
	Bytes   int64
	First   int64
	Last    int64
	Flags   uint8 // tcp-flags OR-ed over the records
}

func (t *Tally) add(r *Rec) {
	if t.Records == 0 || r.Start < t.First {
		t.First = r.Start
	}
	if t.Records == 0 || r.End > t.Last {
		t.Last = r.End
	}
	t.Records++
	t.Packets += r.Packets
	t.Bytes += r.Bytes
	t.Flags |= r.TCPFlags
}

// Leg is one direction of a conversation as logged on one ENI.
type Leg struct {
	Seen         bool
	Accept       Tally             // ACCEPT records
	Reject       Tally             // REJECT records
	NoAction     Tally             // records of a format without the action field
	RejectReason string            // e.g. "BPA" when any REJECT carried one
	Direction    flowlog.Direction // from flow-direction when present
	Evidence     []flowlog.Pos     // earliest MaxEvidence records, in log-time order
	MoreEvidence int               // records not kept in Evidence
}

// Records returns the number of records on the leg.
func (l *Leg) Records() int { return l.Accept.Records + l.Reject.Records + l.NoAction.Records }

// Packets returns the packets of all records on the leg.
func (l *Leg) Packets() int64 { return l.Accept.Packets + l.Reject.Packets + l.NoAction.Packets }

// Bytes returns the bytes of all records on the leg.
func (l *Leg) Bytes() int64 { return l.Accept.Bytes + l.Reject.Bytes + l.NoAction.Bytes }

// Flags returns the tcp-flags OR-ed over all records on the leg.
func (l *Leg) Flags() uint8 { return l.Accept.Flags | l.Reject.Flags | l.NoAction.Flags }

// First returns the earliest start of the leg's records, 0 when unseen.
func (l *Leg) First() int64 {
	first, any := int64(0), false
	for _, t := range [3]*Tally{&l.Accept, &l.Reject, &l.NoAction} {
		if t.Records > 0 && (!any || t.First < first) {
			first, any = t.First, true
		}
	}
	return first
}

// Last returns the latest end of the leg's records, 0 when unseen.
func (l *Leg) Last() int64 {
	last, any := int64(0), false
	for _, t := range [3]*Tally{&l.Accept, &l.Reject, &l.NoAction} {
		if t.Records > 0 && (!any || t.Last > last) {
			last, any = t.Last, true
		}
	}
	return last
}

// View is what one ENI logged of a conversation.
type View struct {
	ENI, Subnet, VPC, Account string // Subnet and VPC when the log format has them
	Role                      Role
	// FlagsKnown is set when this ENI's records carry tcp-flags, so a
	// Flags value of 0 means "ACK/PSH only" rather than "not logged".
	FlagsKnown bool
	Request    Leg // client -> server records on this ENI
	Reply      Leg // server -> client records on this ENI
}

// Gap is a NODATA or SKIPDATA record: the ENI's evidence for [Start, End] is
// missing (NODATA: no traffic at all; SKIPDATA: records were dropped).
type Gap struct {
	ENI    string
	Status flowlog.LogStatus
	Start  int64
	End    int64
	Pos    flowlog.Pos
	// Of is the conversation's end the ENI owns when the gap was attached
	// for that reason (the ENI logged none of the conversation's records,
	// but other records, or the topology, show the address is its own);
	// the zero Addr for a gap of an ENI that logged the conversation.
	Of netip.Addr
}

// Conversation is one exchange between a client and a server over one
// protocol, as logged by every ENI that saw it.
type Conversation struct {
	Proto          flowlog.Proto
	Client, Server netip.AddrPort // initiator and responder (ICMP: ports 0)
	Basis          Basis          // evidence that decided Client
	Confidence     Confidence
	First, Last    int64  // Unix seconds over all records
	Views          []View // one per ENI that logged it, sorted by ENI id
	// ClientFanOut and ServerFanOut are the distinct destination ports and
	// hosts each end's address was rejected on as a source, in the records
	// read up to the conversation's emission (see FanOut): a scanner's
	// probes are each a conversation of their own, and this is how one
	// shows it is one of many.
	ClientFanOut, ServerFanOut FanOut
	// Gaps are the NODATA/SKIPDATA records overlapping [First, Last] of
	// the ENIs in Views and of ENIs known to own Client or Server, sorted
	// by ENI, Start and position.
	Gaps []Gap
	// Continued is set when records of this 5-tuple and time range had
	// already been emitted in an earlier Conversation: they arrived after
	// the horizon (see Stats.LateRecords).
	Continued bool
	// CutEarly is set when the conversation was emitted before its horizon
	// because more than Options.MaxOpen conversations were open: a later
	// record of it, if any, started a new one (marked Continued), so what
	// it lacks may only have come later.
	CutEarly bool
}

// View returns the view of the named ENI.
func (c *Conversation) View(eni string) (*View, bool) {
	for i := range c.Views {
		if c.Views[i].ENI == eni {
			return &c.Views[i], true
		}
	}
	return nil, false
}

func (c *Conversation) viewWithRole(r Role) (*View, bool) {
	for i := range c.Views {
		if c.Views[i].Role == r {
			return &c.Views[i], true
		}
	}
	return nil, false
}

// ClientView returns the view of the ENI that owns the client address.
func (c *Conversation) ClientView() (*View, bool) { return c.viewWithRole(RoleClient) }

// ServerView returns the view of the ENI that owns the server address.
func (c *Conversation) ServerView() (*View, bool) { return c.viewWithRole(RoleServer) }

// TransitView returns the first (by ENI id) view of an ENI that is neither
// end: a NAT gateway, a TGW attachment or an appliance.
func (c *Conversation) TransitView() (*View, bool) { return c.viewWithRole(RoleTransit) }

// String renders the conversation on several lines, for tests and debugging:
//
//	tcp 10.0.1.5:51234 -> 10.0.2.9:443 [tcp-flags high] 100-160
//	  eni-a client: request ACCEPT 1 rec 3 pkt 180 B flags=2 | reply ACCEPT 1 rec ...
func (c *Conversation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s -> %s [%s %s] %d-%d", c.Proto, c.Client, c.Server, c.Basis, c.Confidence, c.First, c.Last)
	if c.Continued {
		b.WriteString(" continued")
	}
	if c.CutEarly {
		b.WriteString(" cut-early")
	}
	for i := range c.Views {
		v := &c.Views[i]
		fmt.Fprintf(&b, "\n  %s %s:", v.ENI, v.Role)
		if v.Subnet != "" || v.VPC != "" {
			fmt.Fprintf(&b, " (%s %s)", v.Subnet, v.VPC)
		}
		b.WriteString(" request")
		writeLeg(&b, &v.Request)
		b.WriteString(" | reply")
		writeLeg(&b, &v.Reply)
	}
	for _, g := range c.Gaps {
		fmt.Fprintf(&b, "\n  gap %s %s %d-%d at %s:%d", g.ENI, g.Status, g.Start, g.End, g.Pos.Source, g.Pos.Line)
	}
	return b.String()
}

func writeLeg(b *strings.Builder, l *Leg) {
	if !l.Seen {
		b.WriteString(" -")
		return
	}
	if l.Direction != flowlog.DirUnknown {
		fmt.Fprintf(b, " %s", l.Direction)
	}
	for _, t := range []struct {
		name string
		t    *Tally
	}{{"ACCEPT", &l.Accept}, {"REJECT", &l.Reject}, {"-", &l.NoAction}} {
		if t.t.Records == 0 {
			continue
		}
		fmt.Fprintf(b, " %s %d rec %d pkt %d B %d-%d flags=%d", t.name, t.t.Records, t.t.Packets, t.t.Bytes, t.t.First, t.t.Last, t.t.Flags)
	}
	if l.RejectReason != "" {
		fmt.Fprintf(b, " reason=%s", l.RejectReason)
	}
	b.WriteString(" at")
	for i, p := range l.Evidence {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, " %s:%d", p.Source, p.Line)
	}
	if l.MoreEvidence > 0 {
		fmt.Fprintf(b, " +%d more", l.MoreEvidence)
	}
}
