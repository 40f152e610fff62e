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
func (c *finisher) decide(cv *conv) (clientLo bool, b Basis, conf Confidence) {
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
	if c.hints != nil {
		if s, ok := c.hints.ServerHint(cv.key.proto, lo, hi); ok && (s == 0 || s == 1) {
			return s == 1, BasisTopology, Medium
		}
	}

	if cv.key.proto.HasPorts() {
		// A service port (well-known, or one that common servers listen
		// on) on exactly one end marks the server.
		switch ls, hs := servicePort(lo.Port()), servicePort(hi.Port()); {
		case ls && !hs:
			return false, BasisPort, Medium
		case hs && !ls:
			return true, BasisPort, Medium
		}
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

// servicePorts are ports of 1024 and above that common servers listen on:
// databases, caches, queues, web and admin consoles, cluster services. None
// lies in the ephemeral ranges clients pick from (32768 and above).
var servicePorts = map[uint16]bool{
	1080: true, 1194: true, 1433: true, 1521: true, 1883: true, 2049: true, 2181: true, 2375: true, 2376: true,
	2379: true, 2380: true, 3000: true, 3128: true, 3306: true, 3389: true, 4369: true, 5000: true, 5044: true,
	5432: true, 5439: true, 5601: true, 5672: true, 5900: true, 5984: true, 6379: true, 6443: true, 7000: true,
	7001: true, 7199: true, 7474: true, 8000: true, 8008: true, 8080: true, 8081: true, 8088: true, 8086: true,
	8200: true, 8443: true, 8500: true, 8883: true, 8888: true, 9000: true, 9042: true, 9090: true, 9092: true,
	9093: true, 9094: true, 9100: true, 9200: true, 9300: true, 9418: true, 10250: true, 11211: true,
	15672: true, 27017: true,
}

// servicePort reports a well-known port (below 1024) or a common server
// port above it.
func servicePort(p uint16) bool { return p < 1024 || servicePorts[p] }

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
