package review

import "github.com/flowdiag/flowdiag/rules"

// Collector merges traffic findings that differ only in the client port and
// time: the conversations of one source (ENI and address) with one
// destination address, port and protocol, under one prohibition, kind and
// exception. Its memory grows with the number of such pairs, not with the
// number of conversations, which keeps text, Markdown and SARIF reports of a
// large incident readable and bounded.
type Collector struct {
	// MaxEvidence is how many evidence records a merged finding lists;
	// the rest are counted in MoreEvidence. 0 means 8.
	MaxEvidence int

	index map[collectKey]int
	out   []Finding
}

type collectKey struct {
	kind                       Kind
	prohibition, exception     string
	eni, proto, client, server string
	port                       uint16
}

// Add merges f into the finding of its pair, or starts one. Findings that
// are not about traffic are kept as they are.
func (c *Collector) Add(f Finding) {
	max := c.MaxEvidence
	if max <= 0 {
		max = 8
	}
	if !f.IsTraffic() {
		c.out = append(c.out, f)
		return
	}
	if f.Conversations == 0 {
		f.Conversations = 1
	}
	k := collectKey{kind: f.Kind, prohibition: f.Prohibition, eni: f.ENI, proto: f.Flow.Protocol,
		client: f.Flow.Client, server: f.Flow.Server, port: f.Flow.ServerPort}
	if f.Suppressed != nil {
		k.exception = f.Suppressed.Exception
	}
	if c.index == nil {
		c.index = map[collectKey]int{}
	}
	i, ok := c.index[k]
	if !ok {
		if len(f.Evidence) > max {
			f.MoreEvidence += len(f.Evidence) - max
			f.Evidence = f.Evidence[:max:max]
		} else {
			f.Evidence = append([]string(nil), f.Evidence...)
		}
		c.index[k] = len(c.out)
		c.out = append(c.out, f)
		return
	}
	g := &c.out[i]
	g.Conversations += f.Conversations
	g.Packets += f.Packets
	g.Bytes += f.Bytes
	if f.First < g.First {
		g.First = f.First
		g.Flow.ClientPort = f.Flow.ClientPort // the earliest conversation names the flow
	}
	g.Last = max64(g.Last, f.Last)
	for _, e := range f.Evidence {
		if len(g.Evidence) < max {
			g.Evidence = append(g.Evidence, e)
		} else {
			g.MoreEvidence++
		}
	}
	g.MoreEvidence += f.MoreEvidence
	if g.Conversations > 1 {
		g.Message = mergedMessage(g)
	}
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// Findings returns the merged findings, sorted with Sort.
func (c *Collector) Findings() []Finding {
	Sort(c.out)
	return c.out
}

// mergedMessage restates a traffic finding for several conversations.
func mergedMessage(f *Finding) string {
	who := f.Flow.Client
	dst := f.Flow.Server
	if rules.FlowHasPorts(f.Flow.Protocol) {
		dst = hostPort(f.Flow.Server, f.Flow.ServerPort)
	}
	if f.ENI != "" {
		dst += " (logged on " + f.ENI + ")" // the ENI that proves it, either end's
	}
	n := itoa(f.Conversations)
	if f.Kind == KindBlocked {
		return n + " " + f.Flow.Protocol + " conversations from " + who + " to " + dst + " were REJECTed: attempts to reach a destination prohibited by " + f.Prohibition + ", stopped by a security group or network ACL."
	}
	return n + " " + f.Flow.Protocol + " conversations from " + who + " to " + dst + " were ACCEPTed: they reached a destination prohibited by " + f.Prohibition + "."
}
