package correlate

// inferRoles settles the roles of two ENIs that logged the same conversation
// when their records do not show their own addresses (default format, both
// ends private, no flow-direction) and nothing else told. It reasons from the
// order in which a packet meets the two ENIs: a request leaves the client's
// ENI before it reaches the server's, a reply the other way round. So:
//
//   - one ENI knows its role: the other one has the opposite role;
//   - the request was accepted on one ENI and rejected on the other: the
//     rejecting ENI is the server's (the request got past the client's);
//   - the reply was logged on only one ENI: that is the server's (a reply
//     starts at the server; when it dies on the way it never reaches the
//     client's ENI, and when it passes both ENIs log it);
//   - the reply was accepted on one ENI and rejected on the other: the
//     accepting ENI is the server's.
//
// Anything else stays RoleUnknown: the logs cannot tell. Two ENIs whose
// records both claim the same end are told apart the same way: the one that
// does not own it forwards the packets (RoleTransit).
//
// More than two ENIs (both ends and the attachments of a Transit Gateway,
// say) are ordered only where a rejection ends the path: see inferEnds.
func inferRoles(views []View) {
	if len(views) > 2 {
		inferEnds(views)
		return
	}
	if len(views) != 2 {
		return
	}
	a, b := &views[0], &views[1]
	if a.Role == RoleTransit || b.Role == RoleTransit {
		return
	}
	acceptedOnly := func(l *Leg) bool { return l.Accept.Records > 0 && l.Reject.Records == 0 }
	rejectedOnly := func(l *Leg) bool { return l.Reject.Records > 0 && l.Accept.Records == 0 }
	if a.Role == b.Role && (a.Role == RoleClient || a.Role == RoleServer) {
		// Two ENIs cannot own one address: the records' guess (the one
		// private address, or the address every record shares) is wrong
		// for one of them, which forwards the packets (a NAT gateway
		// before translation, an appliance). The request leaves the
		// client's ENI first and reaches the server's last: when one ENI
		// accepted it and the other rejected it, that tells which.
		switch {
		case acceptedOnly(&a.Request) && rejectedOnly(&b.Request):
			transitOf(a, b).Role = RoleTransit
		case acceptedOnly(&b.Request) && rejectedOnly(&a.Request):
			transitOf(b, a).Role = RoleTransit
		}
		return
	}
	switch {
	case a.Role == RoleUnknown && b.Role == RoleUnknown:
	case a.Role == RoleUnknown:
		a.Role = opposite(b.Role)
		return
	case b.Role == RoleUnknown:
		b.Role = opposite(a.Role)
		return
	default:
		return
	}
	server := func(s, c *View) { s.Role, c.Role = RoleServer, RoleClient }
	switch {
	case acceptedOnly(&a.Request) && rejectedOnly(&b.Request):
		server(b, a)
	case acceptedOnly(&b.Request) && rejectedOnly(&a.Request):
		server(a, b)
	case a.Reply.Seen && !b.Reply.Seen:
		server(a, b)
	case b.Reply.Seen && !a.Reply.Seen:
		server(b, a)
	case acceptedOnly(&a.Reply) && rejectedOnly(&b.Reply):
		server(a, b)
	case acceptedOnly(&b.Reply) && rejectedOnly(&a.Reply):
		server(b, a)
	}
}

// inferEnds settles what a rejection tells about three or more ENIs none of
// which knows its role: a rejected packet goes no further, so when exactly
// one ENI rejected the request and every other accepted it, the rejecting
// ENI is the last the request reached: the server's (the others are the
// client's and the forwarding ENIs', in an order the logs do not show). The
// same for the reply: rejected on one and accepted on the others, the
// rejecting ENI is the client's.
func inferEnds(views []View) {
	for i := range views {
		if views[i].Role != RoleUnknown {
			return
		}
	}
	last := func(leg func(*View) *Leg) int {
		rej := -1
		for i := range views {
			l := leg(&views[i])
			switch {
			case l.Reject.Records > 0 && l.Accept.Records == 0 && rej < 0:
				rej = i
			case l.Accept.Records > 0 && l.Reject.Records == 0:
			default:
				return -1
			}
		}
		return rej
	}
	if i := last(func(v *View) *Leg { return &v.Request }); i >= 0 {
		views[i].Role = RoleServer
		return
	}
	if i := last(func(v *View) *Leg { return &v.Reply }); i >= 0 {
		views[i].Role = RoleClient
	}
}

// transitOf returns which of two views claiming the same end forwards the
// request: acc accepted it and rej rejected it after. Both claiming the
// client, the client's ENI sent it first, so rej forwards; both claiming
// the server, the server's ENI got it last, so acc forwarded it to rej.
func transitOf(acc, rej *View) *View {
	if acc.Role == RoleClient {
		return rej
	}
	return acc
}

func opposite(r Role) Role {
	switch r {
	case RoleClient:
		return RoleServer
	case RoleServer:
		return RoleClient
	}
	return r
}
