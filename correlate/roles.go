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
// Anything else stays RoleUnknown: the logs cannot tell.
func inferRoles(views []View) {
	if len(views) != 2 {
		return
	}
	a, b := &views[0], &views[1]
	if a.Role == RoleTransit || b.Role == RoleTransit {
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
	acceptedOnly := func(l *Leg) bool { return l.Accept.Records > 0 && l.Reject.Records == 0 }
	rejectedOnly := func(l *Leg) bool { return l.Reject.Records > 0 && l.Accept.Records == 0 }
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

func opposite(r Role) Role {
	switch r {
	case RoleClient:
		return RoleServer
	case RoleServer:
		return RoleClient
	}
	return r
}
