package rules

// Env is everything a rule expression can see about one conversation. It is
// the rule language's API: field names are the expr tags, every field is a
// value (never a nil-able pointer), and "not observed" is always a false
// seen/present/applies flag rather than a missing value.
//
// The engine fills one Env per conversation; rules never modify it.
type Env struct {
	Flow Flow `expr:"flow"`
	// Client is what the client's ENI logged; client.seen is false when the
	// client is not monitored or is outside the VPC.
	Client Side `expr:"client"`
	// Server is what the server's ENI logged.
	Server Side `expr:"server"`
	// Transit is a middle ENI (NAT gateway, Transit Gateway attachment) if
	// one logged the conversation.
	Transit Side `expr:"transit"`
	// Unknown is an ENI that logged the conversation but whose own address
	// its records do not show (default format, both ends private, no
	// flow-direction, no topology), so it may be the client's or the
	// server's. Verdicts that hold either way (a rejected reply is a network
	// ACL's doing on whichever side) can still be drawn from it.
	Unknown Side `expr:"unknown"`
	Path    Path `expr:"path"`
	// Topo is the topology evaluation; topo.present is false when no
	// topology was given.
	Topo Topo `expr:"topo"`
	Gaps Gaps `expr:"gaps"`
}

// Flow describes the conversation as a whole, oriented client -> server.
type Flow struct {
	// Protocol is "tcp", "udp", "icmp", "icmpv6" or the IANA number as a
	// decimal string.
	Protocol   string `expr:"protocol"`
	ProtoNum   int    `expr:"proto_num"`
	Client     string `expr:"client"` // client address
	ClientPort int    `expr:"client_port"`
	Server     string `expr:"server"` // server address
	ServerPort int    `expr:"server_port"`
	// Basis is how the client was chosen: tcp-flags, flow-direction,
	// topology, port or first-seen.
	Basis string `expr:"basis"`
	// Confidence in the client/server orientation: high, medium or low.
	Confidence string `expr:"confidence"`
	First      int64  `expr:"first"` // unix seconds of the first record
	Last       int64  `expr:"last"`  // unix seconds of the last record
	ENIs       int    `expr:"enis"`  // number of ENIs that logged the conversation
	// CutEarly: the conversation was completed before its horizon because
	// too many were open (--max-open); what it lacks may have come later.
	CutEarly bool `expr:"cut_early"`
	// ClientRejectedPorts and ClientRejectedHosts count the distinct
	// destination ports and hosts that the client's address sent rejected
	// traffic to while active (within the horizon of this conversation),
	// up to 16: a port scan's probes are each a conversation of their own,
	// and these tell one apart from a client that one rule stops.
	ClientRejectedPorts int `expr:"client_rejected_ports"`
	ClientRejectedHosts int `expr:"client_rejected_hosts"`
	// ClientSource is what those counts are kept for: the client's
	// address, or for IPv6 its /64 (a scanner may probe from a new address
	// of it each time). "" when the counts are 0.
	ClientSource string `expr:"client_source"`
	// SessionWithServer: the two addresses exchanged an accepted session
	// (a record of 5 or more packets) within the horizon; only known when
	// the client's rejection counts are not 0. A client holding a session
	// with the server is no scanner of its high ports (passive FTP).
	SessionWithServer bool `expr:"session_with_server"`
}

// Side is what one ENI logged about the conversation.
type Side struct {
	Seen   bool   `expr:"seen"` // the ENI logged at least one record of the conversation
	ENI    string `expr:"eni"`
	Subnet string `expr:"subnet"`
	VPC    string `expr:"vpc"`
	// Groups are the security group ids of the ENI, comma-joined, when the
	// topology knows the ENI; "" otherwise.
	Groups string `expr:"groups"`
	// SubnetCIDRs are the CIDRs of the ENI's subnet in the flow's address
	// family, comma-joined, when the topology knows the subnet and the flow
	// carries the end's private address; "" otherwise (a flow to an
	// instance's public IP is seen by NACLs from that public IP).
	SubnetCIDRs string `expr:"subnet_cidrs"`
	Request     Leg    `expr:"request"` // client->server records on this ENI
	Reply       Leg    `expr:"reply"`   // server->client records on this ENI
	// NoData: the ENI of this end logged NODATA overlapping the
	// conversation: it was monitored and had no traffic then, so what the
	// other end logged sending did not reach it. SkipData: it logged
	// SKIPDATA then (records were dropped: its evidence is incomplete).
	NoData   bool `expr:"nodata"`
	SkipData bool `expr:"skipdata"`
}

// Leg aggregates the records of one direction of the conversation on one ENI.
type Leg struct {
	Seen          bool `expr:"seen"`
	Accepted      bool `expr:"accepted"` // at least one ACCEPT record
	Rejected      bool `expr:"rejected"` // at least one REJECT record
	Records       int  `expr:"records"`
	Packets       int  `expr:"packets"`
	Bytes         int  `expr:"bytes"`
	AcceptPackets int  `expr:"accept_packets"`
	RejectPackets int  `expr:"reject_packets"`
	// Flags is tcp-flags OR-ed over all records; -1 when the log format has
	// no tcp-flags field.
	Flags int `expr:"flags"`
	// RejectFlags is tcp-flags OR-ed over REJECT records only; -1 unknown.
	RejectFlags  int    `expr:"reject_flags"`
	RejectReason string `expr:"reject_reason"` // "BPA" or ""
	First        int64  `expr:"first"`         // unix seconds
	Last         int64  `expr:"last"`          // unix seconds
}

// Path holds facts about where the two ends are.
type Path struct {
	// Known is true when the subnets of both ends are known (from the
	// topology or subnet-id fields).
	Known      bool `expr:"known"`
	SameSubnet bool `expr:"same_subnet"`
	// SameVPC is true when both ends are in subnets of one VPC: a security
	// group rule can name the other end's group only then (a peered VPC's
	// groups only over a peering connection in the same Region).
	SameVPC bool `expr:"same_vpc"`
	// ClientLocation and ServerLocation are one of vpc, vpc-unknown-eni,
	// internet, private-external or unknown.
	ClientLocation string `expr:"client_location"`
	ServerLocation string `expr:"server_location"`
	// ClientSeenAs is, when the request goes to another ENI's public IP
	// (a hairpin through the internet gateway, which translates the source
	// too), the address the server's checks see the client as: its public
	// IP, its VPC's NAT gateway's, or a phrase saying it is unknown. ""
	// when the source is not translated.
	ClientSeenAs string `expr:"client_seen_as"`
}

// Topo is the evaluation of every security group and network ACL check on
// the conversation's request and reply, in the order AWS applies them.
type Topo struct {
	Present bool `expr:"present"`
	// Request path.
	ClientSGEgress    Check `expr:"client_sg_egress"`
	ClientNACLEgress  Check `expr:"client_nacl_egress"`
	ServerNACLIngress Check `expr:"server_nacl_ingress"`
	ServerSGIngress   Check `expr:"server_sg_ingress"`
	// Reply path: security groups pass replies by connection tracking, so
	// only network ACLs are evaluated.
	ServerNACLEgress  Check `expr:"server_nacl_egress"`
	ClientNACLIngress Check `expr:"client_nacl_ingress"`
	RequestAllowed    bool  `expr:"request_allowed"`
	ReplyAllowed      bool  `expr:"reply_allowed"`
	// FirstBlock is the first applying check that denies and that the logs
	// do not show passed; applies is false when none does.
	FirstBlock Check `expr:"first_block"`
	// StaleBlock is the first applying check that denies although the logs
	// show the traffic got past it (an ENI beyond it logged the leg, or the
	// leg accepted where the check applies): the topology is stale there.
	// Applies is false when the logs contradict no deny.
	StaleBlock Check `expr:"stale_block"`
	// AlsoFix is empty unless checks after first_block deny too: then it is
	// a sentence, starting with a space, naming the fix of each (fixing the
	// first block alone would leave the traffic blocked).
	AlsoFix string `expr:"also_fix"`
	// OtherICMPBlock: flow logs record no ICMP type, so an ICMP conversation
	// is evaluated as ping (echo request 8, ICMPv6 128). When ping passes
	// every check, this is the first check that blocks ICMP of any other
	// type (unreachable, fragmentation needed, time exceeded, ...), which
	// only rules for all types allow, when it is at an ENI that logged a
	// rejection; applies is false otherwise.
	OtherICMPBlock Check `expr:"other_icmp_block"`
	// Checks at the transit ENI (one that logged the conversation but owns
	// neither end: a NAT gateway before translation, a Transit Gateway
	// attachment, an appliance), when the topology knows it.
	// TransitSGIngress applies only when the ENI has security groups.
	// TransitNACLRequest and TransitNACLReply are its subnet's network ACL
	// on the request and the reply; their direction says which way: on the
	// client's side of the path the request comes in (ingress) and the
	// reply goes out, on the server's side (a Transit Gateway attachment in
	// the server's VPC) the request goes out (egress) toward the server
	// and the reply comes in. They apply only when that end is outside the
	// transit ENI's subnet.
	TransitSGIngress   Check `expr:"transit_sg_ingress"`
	TransitNACLRequest Check `expr:"transit_nacl_request"`
	TransitNACLReply   Check `expr:"transit_nacl_reply"`
	// Unfiltered names the AWS service at one end when security groups and
	// network ACLs never filter traffic to or from it (the Amazon DNS
	// resolver, instance metadata, Time Sync, the VPC's DHCP): no check
	// applies then. "" otherwise.
	Unfiltered string `expr:"unfiltered"`
	// TransitKnown is set when the topology knows the transit ENI, so
	// transit checks that do not apply were found not to apply.
	TransitKnown bool `expr:"transit_known"`
}

// Check is one security group or network ACL evaluation.
type Check struct {
	// Applies is true when the check was evaluated: the ENI is known and,
	// for a NACL, the traffic crosses a subnet boundary.
	Applies bool   `expr:"applies"`
	Allowed bool   `expr:"allowed"`
	Kind    string `expr:"kind"` // "sg" or "nacl"
	// Component is the acl-… id; for a security group the sg-… that allowed
	// the traffic, or all the ENI's group ids joined by "," when none did.
	Component string `expr:"component"`
	Direction string `expr:"direction"` // ingress or egress
	Leg       string `expr:"leg"`       // request or reply
	// RuleNumber is the deciding NACL entry number (32767 and 32768 are the
	// implicit deny entries); 0 for a security group.
	RuleNumber int `expr:"rule_number"`
	// FreeBelow is, for a NACL, the highest rule number below RuleNumber
	// that no entry of the direction uses, or 0 when none is free (a deny
	// at #1): then no entry can be added before it.
	FreeBelow int  `expr:"free_below"`
	Implicit  bool `expr:"implicit"` // decided by the default deny / no rule allowed
	// Targeted is set when an explicit NACL deny narrower than "all
	// traffic from anywhere" decided: a deliberate exclusion, which a fix
	// should undo for the blocked flow's own address only.
	Targeted bool `expr:"targeted"`
	// Shadows is, when an explicit NACL deny decided, the number of the
	// first later entry that would have allowed the packet (0 if none),
	// and ShadowsRule its text: the deny shadows it.
	Shadows     int    `expr:"shadows"`
	ShadowsRule string `expr:"shadows_rule"`
	// PlaceBelow and PlaceFreeBelow say where an allow fixing the check
	// must go: below rule_number, or, for a reply's port range, below the
	// first earlier deny of this peer's replies to ports clients use
	// (32768-65535, or the client's fixed port), which PlaceNote names
	// (" (acl-x ingress #50 deny tcp 50000-65535 from 0.0.0.0/0 denies part
	// of the ports clients use)", else ""). For nacl_place(place_below,
	// place_free_below).
	PlaceBelow     int    `expr:"place_below"`
	PlaceFreeBelow int    `expr:"place_free_below"`
	PlaceNote      string `expr:"place_note"`
	Rule           string `expr:"rule"` // human text of the deciding rule
	ENI            string `expr:"eni"`
	Subnet         string `expr:"subnet"`
	Where          string `expr:"where"` // client or server
}

// Gaps describes NODATA and SKIPDATA records overlapping the conversation on
// the ENIs involved.
type Gaps struct {
	Any      bool   `expr:"any"`
	NoData   bool   `expr:"nodata"`
	SkipData bool   `expr:"skipdata"`
	Count    int    `expr:"count"`
	ENIs     string `expr:"enis"` // comma-joined ENI ids
}

// MaskOf classifies a conversation for the rules' on: prefilter. A
// conversation with any REJECT record is OnReject; one with ACCEPT records and
// no REJECT is OnAccept (the two are exclusive); OnGap is added when evidence
// gaps overlap it.
func MaskOf(env *Env) OnMask {
	var m OnMask
	if env.Client.rejected() || env.Server.rejected() || env.Transit.rejected() || env.Unknown.rejected() {
		m |= OnReject
	} else if env.Client.accepted() || env.Server.accepted() || env.Transit.accepted() || env.Unknown.accepted() {
		m |= OnAccept
	}
	if env.Gaps.Any {
		m |= OnGap
	}
	return m
}

func (s *Side) rejected() bool { return s.Request.Rejected || s.Reply.Rejected }
func (s *Side) accepted() bool { return s.Request.Accepted || s.Reply.Accepted }
