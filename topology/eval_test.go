package topology

import (
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/flowdiag/flowdiag/flowlog"
)

func loadThreeTier(t testing.TB) *Topology {
	t.Helper()
	topo, err := Load("../testdata/topology/three-tier.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return topo
}

// pkt builds a packet from "tcp 10.0.1.10:51000 -> 10.0.2.20:8080" or
// "icmp 10.0.2.20 -> 10.0.1.10 8/0".
func pkt(t testing.TB, s string) Packet {
	t.Helper()
	f := strings.Fields(s)
	proto, err := flowlog.ParseProto(f[0])
	if err != nil {
		t.Fatal(err)
	}
	p := Packet{Proto: proto, ICMPType: -1, ICMPCode: -1}
	end := func(s string) (netip.Addr, uint16) {
		if ap, err := netip.ParseAddrPort(s); err == nil {
			return ap.Addr(), ap.Port()
		}
		return netip.MustParseAddr(s), 0
	}
	p.Src, p.SrcPort = end(f[1])
	p.Dst, p.DstPort = end(f[3])
	if len(f) > 4 {
		typ, code, _ := strings.Cut(f[4], "/")
		p.ICMPType, p.ICMPCode = int16(atoi(typ)), int16(atoi(code))
	}
	return p
}

func atoi(s string) int {
	n, neg := 0, strings.HasPrefix(s, "-")
	for _, c := range strings.TrimPrefix(s, "-") {
		n = n*10 + int(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

// verdict summarises one check: "-" (not evaluated), or "allow"/"deny" and
// the deciding rule's text.
func verdict(c Check) string {
	if !c.Applies {
		return "-"
	}
	v := "deny"
	if c.Decision.Allowed {
		v = "allow"
	}
	return v + " " + c.Decision.By.Text
}

func TestEvaluate(t *testing.T) {
	topo := loadThreeTier(t)
	tests := []struct {
		name, pkt string
		// want holds the six checks in order; "" means do not compare.
		want           [6]string
		request, reply bool
	}{
		{
			name: "web to app: request passes, reply blocked by app NACL that forgets ephemeral ports",
			pkt:  "tcp 10.0.1.10:51000 -> 10.0.2.20:8080",
			want: [6]string{
				"allow sg-0web egress[0] allow all to 0.0.0.0/0, ::/0",
				"allow acl-0web egress #100 allow tcp 1024-65535 to 0.0.0.0/0",
				"allow acl-0app ingress #100 allow tcp 8080 from 10.0.1.0/24",
				"allow sg-0app ingress[0] allow tcp 8080 from group sg-0web (from web tier)",
				"deny acl-0app egress * (rule 32767) deny all to 0.0.0.0/0: no entry matched",
				"allow acl-0web ingress #110 allow tcp 1024-65535 from 10.0.0.0/16",
			},
			request: true, reply: false,
		},
		{
			name: "lower-numbered deny shadows a higher allow",
			pkt:  "tcp 10.0.1.200:40000 -> 10.0.2.20:8080",
			want: [6]string{2: "deny acl-0app ingress #90 deny tcp 8080 from 10.0.1.128/25"},
		},
		{
			name:    "referenced group matches a secondary private address too",
			pkt:     "tcp 10.0.1.10:51000 -> 10.0.2.21:8080",
			want:    [6]string{3: "allow sg-0app ingress[0] allow tcp 8080 from group sg-0web (from web tier)"},
			request: true,
		},
		{
			name: "referenced group does not match an address outside the group",
			pkt:  "tcp 10.0.9.5:51000 -> 10.0.2.20:8080",
			want: [6]string{3: "deny sg-0app ingress: no rule allows it (security groups allow only what a rule permits)"},
		},
		{
			name: "internet to public IP: translated to the private address, reply on ephemeral ports",
			pkt:  "tcp 198.51.100.7:50000 -> 203.0.113.10:443",
			want: [6]string{
				"-", "-",
				"allow acl-0web ingress #100 allow tcp 443 from 0.0.0.0/0",
				"allow sg-0web ingress[0] allow tcp 443 from 0.0.0.0/0, ::/0 (https)",
				"allow acl-0web egress #100 allow tcp 1024-65535 to 0.0.0.0/0",
				"-",
			},
			request: true, reply: true,
		},
		{
			name: "prefix list expands in a security group rule",
			pkt:  "tcp 192.0.2.5:50000 -> 10.0.2.20:22",
			want: [6]string{
				2: "allow acl-0app ingress #130 allow tcp 22 from 192.0.2.0/24",
				3: "allow sg-0app ingress[1] allow tcp 22 from prefix list pl-0corp (ssh from corp)",
				4: "deny acl-0app egress * (rule 32767) deny all to 0.0.0.0/0: no entry matched",
			},
			request: true,
		},
		{
			name: "address outside the prefix list entries",
			pkt:  "tcp 198.51.100.200:50000 -> 10.0.2.20:22",
			want: [6]string{3: "deny sg-0app ingress: no rule allows it (security groups allow only what a rule permits)"},
		},
		{
			name: "same subnet: the deny-all NACL is not evaluated, the self-referencing group allows",
			pkt:  "tcp 10.0.3.30:40000 -> 10.0.3.31:5432",
			want: [6]string{
				"allow sg-0db egress[0] allow tcp 5432-5433 to 10.0.0.0/16", "-", "-",
				"allow sg-0db ingress[1] allow all from group sg-0db (replication)",
				"-", "-",
			},
			request: true, reply: true,
		},
		{
			name: "other subnet: the deny-all NACL blocks",
			pkt:  "tcp 10.0.2.20:40000 -> 10.0.3.30:5432",
			want: [6]string{
				1: "allow acl-0app egress #100 allow tcp 5432 to 10.0.3.0/24",
				2: "deny acl-0db ingress #100 deny all from 0.0.0.0/0",
				3: "allow sg-0db ingress[0] allow tcp 5432 from group sg-0app",
			},
		},
		{
			name: "ICMP echo request 8/0 matches type 8 code -1; the reply is echo reply 0/0",
			pkt:  "icmp 10.0.2.20 -> 10.0.1.10 8/0",
			want: [6]string{
				"allow sg-0app egress[0] allow all to 0.0.0.0/0",
				"allow acl-0app egress #110 allow icmp type 8 to 10.0.0.0/16",
				"allow acl-0web ingress #120 allow icmp all types from 10.0.0.0/8",
				"allow sg-0web ingress[1] allow icmp type 8 from 10.0.0.0/8 (ping from inside)",
				"allow acl-0web egress #120 allow icmp type 0 code 0 to 10.0.0.0/8",
				"allow acl-0app ingress #120 allow icmp type 0 from 10.0.0.0/16",
			},
			request: true, reply: true,
		},
		{
			name: "ICMP of another type is not allowed by a type 8 rule",
			pkt:  "icmp 10.0.2.20 -> 10.0.1.10 13/0",
			want: [6]string{3: "deny sg-0web ingress: no rule allows it (security groups allow only what a rule permits)"},
		},
		{
			name: "ICMP of unknown type matches only all-type rules",
			pkt:  "icmp 10.0.2.20 -> 10.0.1.10 -1/-1",
			want: [6]string{
				1: "deny acl-0app egress * (rule 32767) deny all to 0.0.0.0/0: no entry matched",
				2: "allow acl-0web ingress #120 allow icmp all types from 10.0.0.0/8",
				3: "deny sg-0web ingress: no rule allows it (security groups allow only what a rule permits)",
			},
		},
		{
			name: "an IPv6-only rule does not match IPv4",
			pkt:  "tcp 198.51.100.7:50000 -> 203.0.113.10:8443",
			want: [6]string{2: "deny acl-0web ingress * (rule 32767) deny all from 0.0.0.0/0: no entry matched",
				3: "deny sg-0web ingress: no rule allows it (security groups allow only what a rule permits)"},
		},
		{
			name: "the same rule matches IPv6; the IPv4-only ephemeral entry does not let the reply out",
			pkt:  "tcp [2001:db8:ffff::1]:50000 -> [2001:db8:0:1::10]:8443",
			want: [6]string{
				2: "allow acl-0web ingress #102 allow tcp 8443 from ::/0",
				3: "allow sg-0web ingress[2] allow tcp 8443 from ::/0 (admin over IPv6 only)",
				4: "deny acl-0web egress * (rule 32768) deny all to ::/0: no entry matched",
			},
			request: true,
		},
		{
			name:    "a subnet without an explicit association uses the default ACL",
			pkt:     "tcp 10.0.9.5:40000 -> 8.8.8.8:53",
			want:    [6]string{1: "allow acl-0default egress #100 allow all to 0.0.0.0/0", 5: "allow acl-0default ingress #100 allow all from 0.0.0.0/0"},
			request: true, reply: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := pkt(t, tc.pkt)
			path := topo.Evaluate(p)
			for i, nc := range path.Checks() {
				if tc.want[i] == "" {
					continue
				}
				if got := verdict(*nc.Check); got != tc.want[i] {
					t.Errorf("Evaluate(%s) %s = %q; want %q", tc.pkt, nc.Name, got, tc.want[i])
				}
			}
			if strings.Contains(tc.name, "blocks") || tc.request || tc.reply {
				if got := path.RequestAllowed(); got != tc.request {
					t.Errorf("Evaluate(%s).RequestAllowed() = %v; want %v", tc.pkt, got, tc.request)
				}
			}
			if tc.request {
				if got := path.ReplyAllowed(); got != tc.reply {
					t.Errorf("Evaluate(%s).ReplyAllowed() = %v; want %v", tc.pkt, got, tc.reply)
				}
			}
		})
	}
}

func TestRuleRefFields(t *testing.T) {
	topo := loadThreeTier(t)
	path := topo.Evaluate(pkt(t, "tcp 10.0.1.10:51000 -> 10.0.2.20:8080"))
	got := path.ReplyDstNACLEgress.Decision.By
	want := RuleRef{Kind: KindNACL, ID: "acl-0app", Egress: true, RuleNumber: 32767, Index: -1, Implicit: true, FreeBelow: 32766,
		Text: "acl-0app egress * (rule 32767) deny all to 0.0.0.0/0: no entry matched", Pos: got.Pos}
	if got != want {
		t.Errorf("reply NACL RuleRef = %+v; want %+v", got, want)
	}
	if got.Pos.Line == 0 || !strings.HasSuffix(got.Pos.File, "three-tier.yaml") {
		t.Errorf("implicit deny Pos = %v; want the ACL's position", got.Pos)
	}
	sg := path.DstSGIngress.Decision.By
	if sg.Kind != KindSG || sg.ID != "sg-0app" || sg.Index != 0 || sg.Egress || sg.Implicit || sg.Pos.Line != 51 || sg.Pos.Col != 9 {
		t.Errorf("SG RuleRef = %+v; want sg-0app ingress[0] at line 51 col 9", sg)
	}
	name, c, ok := path.FirstBlock()
	if !ok || c != &path.ReplyDstNACLEgress || name != "reply: destination subnet network ACL (outbound)" {
		t.Errorf("FirstBlock() = %q, %p, %v; want the reply's destination NACL", name, c, ok)
	}
	implicit := topo.Evaluate(pkt(t, "tcp 10.0.9.5:1 -> 10.0.2.20:8080")).DstSGIngress.Decision.By
	if !implicit.Implicit || implicit.ID != "sg-0app" || implicit.Index != -1 {
		t.Errorf("implicit SG RuleRef = %+v", implicit)
	}
}

func TestEndpoints(t *testing.T) {
	topo := loadThreeTier(t)
	tests := []struct {
		addr    string
		loc     Location
		eni     string
		subnet  string
		private string
	}{
		{"10.0.1.10", LocVPC, "eni-0web1", "subnet-0web", "10.0.1.10"},
		{"203.0.113.10", LocVPC, "eni-0web1", "subnet-0web", "10.0.1.10"},
		{"2001:db8:0:1::10", LocVPC, "eni-0web1", "subnet-0web", "2001:db8:0:1::10"},
		{"::ffff:10.0.2.21", LocVPC, "eni-0app1", "subnet-0app", "10.0.2.21"},
		{"10.0.2.99", LocVPCUnknownENI, "", "subnet-0app", "10.0.2.99"},
		{"10.0.200.1", LocVPCUnknownENI, "", "", "10.0.200.1"},
		{"172.16.4.4", LocPrivateExternal, "", "", "172.16.4.4"},
		{"100.64.1.1", LocPrivateExternal, "", "", "100.64.1.1"},
		{"fd00::1", LocPrivateExternal, "", "", "fd00::1"},
		{"8.8.8.8", LocInternet, "", "", "8.8.8.8"},
	}
	for _, tc := range tests {
		ep := topo.endpoint(netip.MustParseAddr(tc.addr))
		var eni, sub string
		if ep.ENI != nil {
			eni = ep.ENI.ID
		}
		if ep.Subnet != nil {
			sub = ep.Subnet.ID
		}
		if ep.Location != tc.loc || eni != tc.eni || sub != tc.subnet || ep.Private.String() != tc.private {
			t.Errorf("endpoint(%s) = %v %q %q %v; want %v %q %q %v", tc.addr, ep.Location, eni, sub, ep.Private, tc.loc, tc.eni, tc.subnet, tc.private)
		}
	}
	if e, ok := topo.ENIByAddr(netip.MustParseAddr("203.0.113.10")); !ok || e.ID != "eni-0web1" {
		t.Errorf("ENIByAddr(public) = %v, %v", e, ok)
	}
	if _, ok := topo.ENIByID("eni-0db2"); !ok {
		t.Errorf("ENIByID(eni-0db2) not found")
	}
	g, _ := topo.SecurityGroupByID("sg-0db")
	if got := addrStrings(g.Members()); strings.Join(got, ",") != "10.0.3.30,10.0.3.31" {
		t.Errorf("sg-0db Members() = %v", got)
	}
}

func TestServerHint(t *testing.T) {
	topo := loadThreeTier(t)
	ap := netip.MustParseAddrPort
	tests := []struct {
		proto  flowlog.Proto
		a, b   string
		server int
		ok     bool
	}{
		{flowlog.ProtoTCP, "10.0.2.20:8080", "10.0.1.10:51000", 0, true},
		{flowlog.ProtoTCP, "10.0.1.10:51000", "10.0.2.20:8080", 1, true},
		{flowlog.ProtoTCP, "198.51.100.7:50000", "10.0.1.10:443", 1, true},
		{flowlog.ProtoTCP, "10.0.3.30:5432", "10.0.3.31:5432", 0, false}, // both allow (self group)
		{flowlog.ProtoUDP, "8.8.8.8:53", "9.9.9.9:53", 0, false},         // no ENI
	}
	for _, tc := range tests {
		s, ok := topo.ServerHint(tc.proto, ap(tc.a), ap(tc.b))
		if s != tc.server || ok != tc.ok {
			t.Errorf("ServerHint(%v, %s, %s) = %d, %v; want %d, %v", tc.proto, tc.a, tc.b, s, ok, tc.server, tc.ok)
		}
	}
}

func TestEvaluateNoAllocs(t *testing.T) {
	topo := loadThreeTier(t)
	pkts := []Packet{
		pkt(t, "tcp 10.0.1.10:51000 -> 10.0.2.20:8080"),
		pkt(t, "tcp 198.51.100.7:50000 -> 203.0.113.10:443"),
		pkt(t, "icmp 10.0.2.20 -> 10.0.1.10 8/0"),
		pkt(t, "tcp [2001:db8:ffff::1]:50000 -> [2001:db8:0:1::10]:8443"),
	}
	var sink Path
	allocs := testing.AllocsPerRun(200, func() {
		for _, p := range pkts {
			sink = topo.Evaluate(p)
		}
	})
	if allocs != 0 {
		t.Errorf("Evaluate allocates %.1f times per 4 calls; want 0", allocs)
	}
	_ = sink
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load("testdata/does-not-exist.yaml"); err == nil || !os.IsNotExist(errorsUnwrapAll(err)) {
		t.Errorf("Load(missing) = %v; want a not-exist error", err)
	}
}

func errorsUnwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

// TestAWSManagedAndUnfiltered: an ENI without security groups (a NAT
// gateway) is not filtered by security groups, and traffic to the AWS
// services that neither security groups nor network ACLs filter (DNS at the
// VPC base + 2 and 169.254.169.253, instance metadata, Time Sync, ECS task
// metadata, DHCP) passes no check at all.
func TestAWSManagedAndUnfiltered(t *testing.T) {
	topo, err := ParseYAML("nat.yaml", []byte(`
vpcs: [{id: vpc-1, cidrs: [10.0.0.0/16]}]
subnets:
  - {id: subnet-pub, vpc: vpc-1, cidrs: [10.0.0.0/24], nacl: acl-pub}
  - {id: subnet-app, vpc: vpc-1, cidrs: [10.0.1.0/24], nacl: acl-pub}
security_groups:
  - {id: sg-app, vpc: vpc-1, egress: [{proto: tcp, ports: 443, cidrs: [0.0.0.0/0]}]}
network_acls:
  - id: acl-pub
    vpc: vpc-1
    ingress: [{rule: 100, proto: tcp, ports: 443, cidr: 0.0.0.0/0, action: allow}]
    egress: [{rule: 100, proto: tcp, ports: 443, cidr: 0.0.0.0/0, action: allow}]
enis:
  - {id: eni-nat, subnet: subnet-pub, addresses: [10.0.0.220], type: nat_gateway}
  - {id: eni-app, subnet: subnet-app, addresses: [10.0.1.10], security_groups: [sg-app]}
`))
	if err != nil {
		t.Fatal(err)
	}
	// The NAT gateway's egress to the internet: no SG check; its reply is
	// stopped by the NACL missing the ephemeral range.
	p := topo.Evaluate(pkt(t, "tcp 10.0.0.220:5000 -> 203.0.113.5:443"))
	if p.SrcSGEgress.Applies {
		t.Errorf("SG check applied to an ENI without security groups: %+v", p.SrcSGEgress)
	}
	if name, c, ok := p.FirstBlock(); !ok || c.Decision.By.ID != "acl-pub" || c.Decision.By.RuleNumber != 32767 {
		t.Errorf("FirstBlock = %q %+v %v; want acl-pub ingress #32767 on the reply", name, c, ok)
	}
	for _, tc := range []struct{ pkt, want string }{
		{"udp 10.0.1.10:40000 -> 10.0.0.2:53", "the Amazon DNS resolver at the VPC base + 2 (10.0.0.2)"},
		{"udp 10.0.1.10:40000 -> 169.254.169.253:53", "the Amazon DNS resolver (169.254.169.253)"},
		{"tcp 10.0.1.10:40000 -> 169.254.169.254:80", "the instance metadata service (169.254.169.254)"},
		{"udp 10.0.1.10:40000 -> 169.254.169.123:123", "Amazon Time Sync (169.254.169.123)"},
		{"tcp 10.0.1.10:40000 -> 169.254.170.2:80", "the ECS task metadata endpoint (169.254.170.2)"},
		{"udp 10.0.1.10:68 -> 10.0.1.1:67", "DHCP"},
	} {
		p := topo.Evaluate(pkt(t, tc.pkt))
		if p.Unfiltered != tc.want {
			t.Errorf("%s: Unfiltered = %q; want %q", tc.pkt, p.Unfiltered, tc.want)
		}
		if _, c, ok := p.FirstBlock(); ok {
			t.Errorf("%s: blocked by %+v although AWS does not filter it", tc.pkt, c)
		}
		for _, nc := range p.Checks() {
			if nc.Check.Applies {
				t.Errorf("%s: %s applies", tc.pkt, nc.Name)
			}
		}
	}
	// A neighbour of VPC+2 is filtered as usual.
	if p := topo.Evaluate(pkt(t, "udp 10.0.1.10:40000 -> 10.0.0.3:53")); p.Unfiltered != "" || !p.SrcSGEgress.Applies {
		t.Errorf("10.0.0.3 treated as unfiltered: %+v", p)
	}
	// DHCP is the VPC's service (broadcast, the subnet router), not any
	// host using ports 67 and 68 (QA 10, R10).
	for _, tc := range []struct {
		pkt        string
		unfiltered bool
	}{
		{"udp 10.0.1.10:68 -> 255.255.255.255:67", true},
		{"udp 10.0.1.1:67 -> 10.0.1.10:68", true},
		{"udp 198.51.100.9:67 -> 10.0.2.20:68", false},
		{"udp 10.0.1.10:68 -> 8.8.8.8:67", false},
		{"udp 10.0.1.10:68 -> 10.0.2.20:67", false},
		{"udp 10.0.1.10:67 -> 10.0.1.1:67", false},
		// another subnet's router is not this instance's DHCP server (QA 12, T17)
		{"udp 10.0.1.10:68 -> 10.0.2.1:67", false},
	} {
		if p := topo.Evaluate(pkt(t, tc.pkt)); (p.Unfiltered == "DHCP") != tc.unfiltered {
			t.Errorf("%s: Unfiltered = %q, want DHCP %v", tc.pkt, p.Unfiltered, tc.unfiltered)
		}
	}
}

// endpoint skips the subnet scan for addresses outside every VPC when all
// subnets lie inside their VPCs; the answer is the same as with the scan,
// for every kind of address of the bundled topologies.
func TestEndpointOutsideVPCsSkipsSubnets(t *testing.T) {
	for _, path := range []string{"../testdata/incidents/shop-topology.yaml", "../testdata/topology/three-tier.yaml"} {
		topo, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if !topo.subnetsInVPCs {
			t.Fatalf("%s: subnets not found inside their VPCs", path)
		}
		var addrs []netip.Addr
		for _, s := range topo.Subnets() {
			for _, p := range s.CIDRs {
				addrs = append(addrs, p.Addr(), p.Addr().Next(), lastAddr(p), lastAddr(p).Next())
			}
		}
		for _, v := range topo.VPCs() {
			for _, p := range v.CIDRs {
				addrs = append(addrs, p.Addr().Prev(), p.Addr(), lastAddr(p), lastAddr(p).Next())
			}
		}
		for _, e := range topo.ENIs() {
			for _, a := range append(e.Addresses, e.Public...) {
				addrs = append(addrs, a, a.Next())
			}
		}
		for _, s := range []string{"8.8.8.8", "192.168.7.7", "172.31.0.9", "100.64.1.1", "2001:db8::1", "fd00::5", "169.254.169.254"} {
			addrs = append(addrs, netip.MustParseAddr(s))
		}
		for _, a := range addrs {
			if !a.IsValid() {
				continue
			}
			fast := topo.endpoint(a)
			topo.subnetsInVPCs = false
			slow := topo.endpoint(a)
			topo.subnetsInVPCs = true
			if fast != slow {
				t.Errorf("%s: %s: %+v with the shortcut, %+v without", path, a, fast, slow)
			}
		}
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(a)*8; i++ {
		a[i/8] |= 0x80 >> (i % 8)
	}
	b, _ := netip.AddrFromSlice(a)
	return b
}

// A subnet outside its VPC's CIDRs (AWS never allows it, a hand-written
// topology may) turns the shortcut off.
func TestSubnetOutsideVPCDisablesShortcut(t *testing.T) {
	vpc := &VPC{ID: "vpc-1", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}}
	in := &Subnet{ID: "subnet-in", VPC: vpc, CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}}
	out := &Subnet{ID: "subnet-out", VPC: vpc, CIDRs: []netip.Prefix{netip.MustParsePrefix("10.9.1.0/24")}}
	wide := &Subnet{ID: "subnet-wide", VPC: vpc, CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	if !subnetsInsideVPCs([]*Subnet{in}) {
		t.Error("a subnet inside its VPC counted as outside")
	}
	for _, s := range []*Subnet{out, wide, {ID: "subnet-novpc"}} {
		if subnetsInsideVPCs([]*Subnet{in, s}) {
			t.Errorf("%s counted as inside its VPC", s.ID)
		}
	}
}

// TestShadowedAllow: an explicit deny names the first later entry that would
// have allowed the packet; an allow, the implicit deny, or a deny with no
// such entry after it names none. Targeted marks explicit denies narrower
// than all traffic from anywhere.
func TestShadowedAllow(t *testing.T) {
	topo := loadThreeTier(t)
	// acl-0app ingress #90 denies tcp 8080 from 10.0.1.128/25 ahead of #100,
	// which allows tcp 8080 from 10.0.1.0/24.
	c := topo.Evaluate(pkt(t, "tcp 10.0.1.200:40000 -> 10.0.2.20:8080")).DstNACLIngress
	if c.Decision.Allowed || c.Decision.By.RuleNumber != 90 || !c.Decision.By.Targeted {
		t.Fatalf("decision %+v; want targeted deny #90", c.Decision)
	}
	if c.Shadowed == nil || c.Shadowed.RuleNumber != 100 || c.Shadowed.Text != "acl-0app ingress #100 allow tcp 8080 from 10.0.1.0/24" {
		t.Errorf("shadowed = %+v; want #100", c.Shadowed)
	}
	for _, tc := range []struct {
		pkt   string
		check func(*Path) *Check
	}{
		{"tcp 10.0.1.10:40000 -> 10.0.2.20:8080", func(p *Path) *Check { return &p.DstNACLIngress }},     // allowed by #100
		{"tcp 10.0.1.10:51000 -> 10.0.2.20:8080", func(p *Path) *Check { return &p.ReplyDstNACLEgress }}, // implicit deny
		{"tcp 10.0.2.20:40000 -> 10.0.3.30:5432", func(p *Path) *Check { return &p.DstNACLIngress }},     // acl-0db #100 deny all, nothing after
	} {
		p := topo.Evaluate(pkt(t, tc.pkt))
		if c := tc.check(&p); c.Shadowed != nil {
			t.Errorf("%s: shadowed = %+v; want none", tc.pkt, c.Shadowed)
		}
	}
	if by := topo.Evaluate(pkt(t, "tcp 10.0.2.20:40000 -> 10.0.3.30:5432")).DstNACLIngress.Decision.By; by.Targeted || by.RuleNumber != 100 {
		t.Errorf("deny all from 0.0.0.0/0: %+v; want #100, not targeted", by)
	}
}

// A packet to another ENI's public IP hairpins through the internet
// gateway, which translates its source too: the destination's checks see
// the sender's public IP (or its VPC's NAT gateway's), so a rule naming the
// sender's group or private address does not admit it (QA 8 Q9, QA 10 R3).
func TestEvaluateHairpinSeesTheTranslatedSource(t *testing.T) {
	const yaml = `
vpcs:
  - {id: vpc-1, cidrs: [10.0.0.0/16]}
subnets:
  - {id: subnet-a, vpc: vpc-1, cidrs: [10.0.1.0/24], nacl: acl-a}
  - {id: subnet-b, vpc: vpc-1, cidrs: [10.0.2.0/24], nacl: acl-b}
security_groups:
  - id: sg-a
    vpc: vpc-1
    egress:
      - {proto: all, cidrs: [0.0.0.0/0]}
  - id: sg-b
    vpc: vpc-1
    ingress:
      - {proto: tcp, ports: 443, groups: [sg-a]}
      - {proto: tcp, ports: 443, cidrs: [10.0.1.0/24]}
      - {proto: tcp, ports: 8443, cidrs: [3.3.3.3/32]}
network_acls:
  - id: acl-a
    vpc: vpc-1
    subnets: [subnet-a]
    ingress: [{rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow}]
    egress: [{rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow}]
  - id: acl-b
    vpc: vpc-1
    subnets: [subnet-b]
    ingress:
      - {rule: 90, proto: tcp, ports: 443, cidr: 10.0.1.5/32, action: deny}
      - {rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow}
    egress: [{rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow}]
enis:
  - {id: eni-a, subnet: subnet-a, addresses: [10.0.1.5, 10.0.1.6], public: [3.3.3.3], security_groups: [sg-a]}
  - {id: eni-b, subnet: subnet-b, addresses: [10.0.2.5], public: [4.4.4.4], security_groups: [sg-b]}
  - {id: eni-nat, subnet: subnet-b, addresses: [10.0.2.9], public: [5.5.5.5], owner: nat_gateway}
  - {id: eni-c, subnet: subnet-a, addresses: [10.0.1.7], public: [6.6.6.6], security_groups: [sg-a]}
`
	topo, err := ParseYAML("hairpin.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, src, dst string
		port           uint16
		seen           string
		nat            string
		nacl, sg       string // destination NACL ingress and SG ingress
	}{
		{"by private address: the group reference admits it", "10.0.1.5", "10.0.2.5", 443, "", "",
			"deny acl-b ingress #90 deny tcp 443 from 10.0.1.5/32", "allow sg-b ingress[0] allow tcp 443 from group sg-a"},
		{"by public IP: seen from eni-a's public IP, neither the group nor the private CIDR matches", "10.0.1.5", "4.4.4.4", 443, "3.3.3.3", "",
			"allow acl-b ingress #100 allow all from 0.0.0.0/0", "deny sg-b ingress: no rule allows it (security groups allow only what a rule permits)"},
		{"a rule for the public IP admits it", "10.0.1.5", "4.4.4.4", 8443, "3.3.3.3", "",
			"allow acl-b ingress #100 allow all from 0.0.0.0/0", "allow sg-b ingress[2] allow tcp 8443 from 3.3.3.3/32"},
		{"a secondary address has no public IP: the NAT gateway's", "10.0.1.6", "4.4.4.4", 8443, "5.5.5.5", "eni-nat",
			"allow acl-b ingress #100 allow all from 0.0.0.0/0", "deny sg-b ingress: no rule allows it (security groups allow only what a rule permits)"},
	} {
		var path Path
		topo.EvaluateInto(Packet{Proto: flowlog.ProtoTCP, Src: netip.MustParseAddr(tc.src), Dst: netip.MustParseAddr(tc.dst),
			SrcPort: 40000, DstPort: tc.port, ICMPType: -1, ICMPCode: -1}, &path)
		seen := ""
		if path.SeenFrom.IsValid() {
			seen = path.SeenFrom.String()
		}
		if seen != tc.seen || path.SeenFromNAT != tc.nat || path.SeenFromUnknown {
			t.Errorf("%s: seen from %q (NAT %q, unknown %v), want %q (%q)", tc.name, seen, path.SeenFromNAT, path.SeenFromUnknown, tc.seen, tc.nat)
		}
		if got := verdict(path.DstNACLIngress); got != tc.nacl {
			t.Errorf("%s: NACL %q\n want %q", tc.name, got, tc.nacl)
		}
		if got := verdict(path.DstSGIngress); got != tc.sg {
			t.Errorf("%s: SG %q\n want %q", tc.name, got, tc.sg)
		}
		if tc.seen != "" && !path.DstSGIngress.Decision.Allowed {
			if fix := path.Fix(3); !strings.Contains(fix, "from "+tc.seen+"/32") {
				t.Errorf("%s: fix %q does not name %s", tc.name, fix, tc.seen)
			}
		}
	}
	// Within one subnet too the packet leaves through the internet gateway
	// and comes back: the subnet's network ACL applies (QA 12, T1).
	var same Path
	topo.EvaluateInto(Packet{Proto: flowlog.ProtoTCP, Src: netip.MustParseAddr("10.0.1.5"), Dst: netip.MustParseAddr("6.6.6.6"),
		SrcPort: 40000, DstPort: 443, ICMPType: -1, ICMPCode: -1}, &same)
	if same.SameSubnet || !same.SrcNACLEgress.Applies || !same.DstNACLIngress.Applies || same.SeenFrom.String() != "3.3.3.3" {
		t.Errorf("hairpin within subnet-a: same subnet %v, ACL egress %v, ingress %v, seen from %v", same.SameSubnet, same.SrcNACLEgress.Applies, same.DstNACLIngress.Applies, same.SeenFrom)
	}
	// The NAT gateway's own subnet routes the internet to the internet
	// gateway: its instances' traffic is not translated by it (QA 12, T15).
	ownSubnet, err := ParseYAML("hairpin.yaml", []byte(strings.Replace(yaml, "{id: eni-nat, subnet: subnet-b, addresses: [10.0.2.9]", "{id: eni-nat, subnet: subnet-a, addresses: [10.0.1.9]", 1)))
	if err != nil {
		t.Fatal(err)
	}
	var own Path
	ownSubnet.EvaluateInto(Packet{Proto: flowlog.ProtoTCP, Src: netip.MustParseAddr("10.0.1.6"), Dst: netip.MustParseAddr("4.4.4.4"),
		SrcPort: 40000, DstPort: 443, ICMPType: -1, ICMPCode: -1}, &own)
	if !own.SeenFromUnknown {
		t.Errorf("secondary address in the NAT gateway's own subnet: seen from %v (NAT %q)", own.SeenFrom, own.SeenFromNAT)
	}
	// Without the NAT gateway the secondary address arrives from a public
	// address nobody knows: only rules open to every address admit it, and
	// the fix is to use the private address.
	noNAT, err := ParseYAML("hairpin.yaml", []byte(strings.Replace(yaml, "  - {id: eni-nat,", "  # - {id: eni-nat,", 1)))
	if err != nil {
		t.Fatal(err)
	}
	var path Path
	noNAT.EvaluateInto(Packet{Proto: flowlog.ProtoTCP, Src: netip.MustParseAddr("10.0.1.6"), Dst: netip.MustParseAddr("4.4.4.4"),
		SrcPort: 40000, DstPort: 443, ICMPType: -1, ICMPCode: -1}, &path)
	if !path.SeenFromUnknown || verdict(path.DstNACLIngress) != "allow acl-b ingress #100 allow all from 0.0.0.0/0" || path.DstSGIngress.Decision.Allowed {
		t.Errorf("unknown source: %+v", path)
	}
	if fix := path.Fix(3); !strings.HasPrefix(fix, "connect to eni-b's private address 10.0.2.5") {
		t.Errorf("unknown source fix %q", fix)
	}
}

// A reply allow for the ephemeral range goes below the first earlier deny
// of this peer's replies to ports clients use (QA 10, R12), not below a
// deny for other addresses of the allowed subnet or for low ports no client
// uses, which stay in force above it (QA 12, T2).
func TestReplyFixPlacement(t *testing.T) {
	const base = `
vpcs: [{id: vpc-1, cidrs: [10.0.0.0/16]}]
subnets:
  - {id: subnet-client, vpc: vpc-1, cidrs: [10.0.1.0/24], nacl: acl-client}
  - {id: subnet-server, vpc: vpc-1, cidrs: [10.0.2.0/24], nacl: acl-server}
security_groups:
  - {id: sg-all, ingress: [{proto: all, cidrs: [10.0.0.0/16]}], egress: [{proto: all, cidrs: [0.0.0.0/0]}]}
network_acls:
  - id: acl-client
    vpc: vpc-1
    ingress:
EXTRA      - {rule: 50, proto: tcp, ports: 50000-65535, cidr: 0.0.0.0/0, action: deny}
    egress: [{rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow}]
  - id: acl-server
    vpc: vpc-1
    ingress: [{rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow}]
    egress: [{rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow}]
enis:
  - {id: eni-c, subnet: subnet-client, addresses: [10.0.1.5], security_groups: [sg-all]}
  - {id: eni-s, subnet: subnet-server, addresses: [10.0.2.5], security_groups: [sg-all]}
`
	for _, tc := range []struct {
		name, extra string
		port        uint16
		want        string
	}{
		{"a deny of high ports from anywhere", "", 40000, "below 50 (acl-client ingress #50 deny tcp 50000-65535 from 0.0.0.0/0 denies part of the ports clients use)"},
		{"the same, asked from a port it denies", "", 55000, "below 50 (the deny that matched)"},
		{"a deny for other hosts of the server's subnet", "      - {rule: 10, proto: tcp, ports: 1024-65535, cidr: 10.0.2.128/25, action: deny}\n", 40000, "below 50 (acl-client ingress #50"},
		{"a deny of low ports no client uses", "      - {rule: 49, proto: tcp, ports: 1024-2000, cidr: 0.0.0.0/0, action: deny}\n", 40000, "below 50 (acl-client ingress #50"},
		{"a fixed client port below 1024", "", 123, "below 32767: allow tcp 123 from 10.0.2.0/24"},
	} {
		topo, err := ParseYAML("r.yaml", []byte(strings.Replace(base, "EXTRA", tc.extra, 1)))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		p := topo.Evaluate(Packet{Proto: flowlog.ProtoTCP, Src: netip.MustParseAddr("10.0.1.5"), Dst: netip.MustParseAddr("10.0.2.5"),
			SrcPort: tc.port, DstPort: 443, ICMPType: -1, ICMPCode: -1})
		if fix := p.Fix(5); !strings.Contains(fix, tc.want) {
			t.Errorf("%s: fix %q, want it to contain %q", tc.name, fix, tc.want)
		}
	}
}
