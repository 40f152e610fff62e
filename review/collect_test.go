package review

import (
	"testing"

	"github.com/flowdiag/flowdiag/engine"
	"github.com/flowdiag/flowdiag/rules"
)

func TestCollector(t *testing.T) {
	conv := func(port uint16, first int64, ev ...string) Finding {
		return Finding{Kind: KindBlocked, Prohibition: "p", Severity: rules.SeverityInfo, ENI: "eni-1",
			Flow:  engine.Flow{Protocol: "tcp", Client: "10.0.0.5", ClientPort: port, Server: "203.0.113.9", ServerPort: 80},
			First: first, Last: first + 59, Packets: 3, Bytes: 180, Evidence: ev, Conversations: 1}
	}
	c := Collector{MaxEvidence: 2}
	c.Add(conv(50001, 1000, "f.log:1"))
	c.Add(conv(50002, 900, "f.log:2", "f.log:3"))
	c.Add(conv(50003, 1100, "f.log:4"))
	other := conv(50004, 1000, "f.log:5")
	other.Flow.ServerPort = 443
	c.Add(other)
	c.Add(Finding{Kind: KindRulePermits, Prohibition: "p", Rule: "sg-1 egress[0]"})
	fs := c.Findings()
	if len(fs) != 3 {
		t.Fatalf("%d findings; want 3 (two pairs and the rule)", len(fs))
	}
	var m *Finding
	for i := range fs {
		if fs[i].Flow.ServerPort == 80 {
			m = &fs[i]
		}
	}
	if m == nil || m.Conversations != 3 || m.Packets != 9 || m.Bytes != 540 || m.First != 900 || m.Last != 1159 ||
		m.Flow.ClientPort != 50002 || len(m.Evidence) != 2 || m.MoreEvidence != 2 {
		t.Fatalf("merged = %+v", m)
	}
	if want := "3 tcp conversations from 10.0.0.5 to 203.0.113.9:80 (logged on eni-1) were REJECTed: attempts to reach a destination prohibited by p, stopped by a security group or network ACL."; m.Message != want {
		t.Errorf("message = %q; want %q", m.Message, want)
	}
}
