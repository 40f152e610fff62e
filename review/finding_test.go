package review

import (
	"testing"

	"github.com/flowdiag/flowdiag/engine"
	"github.com/flowdiag/flowdiag/rules"
)

// TestFlowText: protocols without ports print the addresses alone, as ICMP
// does; the flow log's 0 ports of GRE or ESP are no port 0.
func TestFlowText(t *testing.T) {
	for _, tc := range []struct {
		flow engine.Flow
		want string
	}{
		{engine.Flow{Protocol: "tcp", Client: "10.20.10.31", ClientPort: 43822, Server: "198.51.100.10", ServerPort: 443}, "tcp 10.20.10.31:43822 -> 198.51.100.10:443"},
		{engine.Flow{Protocol: "udp", Client: "2001:db8::5", ClientPort: 43823, Server: "2001:db8::53", ServerPort: 53}, "udp [2001:db8::5]:43823 -> [2001:db8::53]:53"},
		{engine.Flow{Protocol: "sctp", Client: "10.20.10.31", ClientPort: 2905, Server: "198.51.100.14", ServerPort: 2905}, "sctp 10.20.10.31:2905 -> 198.51.100.14:2905"},
		{engine.Flow{Protocol: "33", Client: "10.20.10.31", ClientPort: 5004, Server: "198.51.100.15", ServerPort: 5004}, "33 10.20.10.31:5004 -> 198.51.100.15:5004"},   // DCCP
		{engine.Flow{Protocol: "136", Client: "10.20.10.31", ClientPort: 5005, Server: "198.51.100.16", ServerPort: 5005}, "136 10.20.10.31:5005 -> 198.51.100.16:5005"}, // UDP-Lite
		{engine.Flow{Protocol: "icmp", Client: "10.20.10.31", Server: "198.51.100.12"}, "icmp 10.20.10.31 -> 198.51.100.12"},
		{engine.Flow{Protocol: "icmpv6", Client: "2001:db8::5", Server: "2001:db8::12"}, "icmpv6 2001:db8::5 -> 2001:db8::12"},
		{engine.Flow{Protocol: "gre", Client: "10.20.10.31", Server: "198.51.100.13"}, "gre 10.20.10.31 -> 198.51.100.13"},
		{engine.Flow{Protocol: "esp", Client: "10.20.10.31", Server: "198.51.100.13"}, "esp 10.20.10.31 -> 198.51.100.13"},
		{engine.Flow{Protocol: "253", Client: "10.20.10.31", Server: "198.51.100.13"}, "253 10.20.10.31 -> 198.51.100.13"},
	} {
		if got := flowText(tc.flow); got != tc.want {
			t.Errorf("flowText(%+v) = %q; want %q", tc.flow, got, tc.want)
		}
	}
}

// TestMergedMessageWithoutPorts: GRE conversations merged into one finding
// name the destination without ":0".
func TestMergedMessageWithoutPorts(t *testing.T) {
	conv := func(first int64) Finding {
		return Finding{Kind: KindReached, Prohibition: "no-exfil-hosts", Severity: rules.SeverityError, ENI: "eni-0app1",
			Flow:  engine.Flow{Protocol: "gre", Client: "10.20.10.31", Server: "198.51.100.13"},
			First: first, Last: first + 59, Packets: 3, Bytes: 180, Conversations: 1}
	}
	var c Collector
	c.Add(conv(1000))
	c.Add(conv(2000))
	fs := c.Findings()
	if len(fs) != 1 {
		t.Fatalf("%d findings; want 1", len(fs))
	}
	if want := "2 gre conversations from 10.20.10.31 to 198.51.100.13 (logged on eni-0app1) were ACCEPTed: they reached a destination prohibited by no-exfil-hosts."; fs[0].Message != want {
		t.Errorf("message = %q; want %q", fs[0].Message, want)
	}
}
