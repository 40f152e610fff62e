package rules

import "testing"

func TestMessageHelpers(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{endpoint("10.0.1.5", 443, "tcp"), "10.0.1.5:443"},
		{endpoint("2001:db8::5", 443, "tcp"), "[2001:db8::5]:443"},
		{endpoint("2001:db8::5", 0, "icmpv6"), "2001:db8::5"},
		{endpoint("203.0.113.12", 0, "icmp"), "203.0.113.12"},
		{endpoint("10.0.0.9", 0, "47"), "10.0.0.9"},
		{endpoint("10.0.0.9", 0, "gre"), "10.0.0.9"},
		{endpoint("10.0.0.9", 2905, "sctp"), "10.0.0.9:2905"},
		{endpoint("10.0.0.9", 5004, "33"), "10.0.0.9:5004"},  // DCCP
		{endpoint("10.0.0.9", 5005, "136"), "10.0.0.9:5005"}, // UDP-Lite
		{requestTraffic("udp", 53), "udp port 53"},
		{requestTraffic("icmp", 0), "icmp echo requests (type 8)"},
		{requestTraffic("icmpv6", 0), "icmpv6 echo requests (type 128)"},
		{requestTraffic("gre", 0), "gre (protocol 47)"},
		{requestTraffic("99", 0), "protocol 99"},
		{replyTraffic("tcp", -1), "tcp ports 1024-65535"},
		{replyTraffic("icmp", -1), "icmp echo replies (type 0)"},
		{replyTraffic("icmpv6", -1), "icmpv6 echo replies (type 129)"},
		{replyTraffic("esp", -1), "esp (protocol 50)"},
		{replyTraffic("tcp", 51234), "tcp ports 1024-65535"},
		{replyTraffic("udp", 500), "udp port 500"}, // IKE: the client's port is fixed
		{replyTraffic("udp", 123), "udp port 123"}, // NTP
		{replyTraffic("tcp", 0), "tcp ports 1024-65535"},
		{replyTraffic("icmp", 500), "icmp echo replies (type 0)"},
		{anyCIDR("203.0.113.7"), "0.0.0.0/0"},
		{anyCIDR("2606:4700::1111"), "::/0"},
		{anyCIDR("::ffff:10.0.0.1"), "0.0.0.0/0"},
		{hostCIDR("203.0.113.7"), "203.0.113.7/32"},
		{hostCIDR("2606:4700::1111"), "2606:4700::1111/128"},
		{hostCIDR("not an address"), "not an address"},
		{anyCIDR(""), "0.0.0.0/0"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
