package correlate

// votes counts evidence for "the lo end is the client" and "the hi end is
// the client"; it decides only when all evidence agrees.
type votes struct{ lo, hi int }

func (v *votes) add(clientLo bool) {
	if clientLo {
		v.lo++
	} else {
		v.hi++
	}
}

func (v votes) decided() (clientLo, ok bool) {
	switch {
	case v.lo > 0 && v.hi == 0:
		return true, true
	case v.hi > 0 && v.lo == 0:
		return false, true
	}
	return false, false
}

// decide picks the client end of cv with the strongest evidence available.
// Direction 0 is lo->hi, 1 is hi->lo.
func (c *Correlator) decide(cv *conv) (clientLo bool, b Basis, conf Confidence) {
	// tcp-flags: a bare SYN comes from the client, a SYN-ACK from the server.
	var f votes
	for d := range 2 {
		if cv.synBare[d] {
			f.add(d == 0)
		}
		if cv.synAck[d] {
			f.add(d == 1)
		}
	}
	if lo, ok := f.decided(); ok {
		return lo, BasisTCPFlags, High
	}

	// On one endpoint ENI: accepted one way, only rejected the other way.
	var a votes
	for i := range cv.views {
		vs := &cv.views[i]
		if vs.translated {
			continue // a NAT or TGW ENI forwards; its actions are not an endpoint's
		}
		fwd, rev := &vs.view.Request, &vs.view.Reply
		if onlyRejected(rev) && fwd.Accept.Records > 0 {
			a.add(true)
		}
		if onlyRejected(fwd) && rev.Accept.Records > 0 {
			a.add(false)
		}
	}
	if lo, ok := a.decided(); ok {
		return lo, BasisFlowDirection, Medium
	}

	lo, hi := cv.key.Lo(), cv.key.Hi()
	if c.opts.Hints != nil {
		if s, ok := c.opts.Hints.ServerHint(cv.key.proto, lo, hi); ok && (s == 0 || s == 1) {
			return s == 1, BasisTopology, Medium
		}
	}

	if cv.key.proto.HasPorts() {
		tl, th := portTier(lo.Port()), portTier(hi.Port())
		switch {
		case tl != th:
			conf := Low
			if min(tl, th) == 0 {
				conf = Medium
			}
			return tl > th, BasisPort, conf
		case tl == 0 && lo.Port() != hi.Port():
			// Both privileged (e.g. rsh 1023 -> 514): the lower port serves.
			return lo.Port() > hi.Port(), BasisPort, Low
		}
	}

	switch {
	case cv.seen[0] && cv.seen[1]:
		return cv.firstStart[0] <= cv.firstStart[1], BasisFirstSeen, Low
	case cv.seen[1]:
		return false, BasisFirstSeen, Low
	}
	return true, BasisFirstSeen, Low
}

func onlyRejected(l *Leg) bool {
	return l.Reject.Records > 0 && l.Accept.Records == 0 && l.NoAction.Records == 0
}

// portTier ranks a port by how likely it is to be a listening port: 0 for
// well-known ports, 1 for 1024-32767 (registered, below the Linux ephemeral
// range), 2 for 32768-49151 (Linux ephemeral), 3 for 49152-65535 (IANA and
// Windows ephemeral, also used by Linux).
func portTier(p uint16) int {
	switch {
	case p < 1024:
		return 0
	case p < 32768:
		return 1
	case p < 49152:
		return 2
	}
	return 3
}
