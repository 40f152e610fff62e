package topology

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/flowdiag/flowdiag/flowlog"
)

// genTopology writes a YAML topology of nENI ENIs spread over 8 subnets (one
// NACL of ~20 entries per direction each) and 40 security groups whose rules
// mix CIDRs, references to other groups and prefix lists.
func genTopology(nENI int) string {
	var b strings.Builder
	b.WriteString("vpcs:\n  - {id: vpc-1, cidrs: [10.0.0.0/16, \"2001:db8::/56\"]}\n")
	b.WriteString("prefix_lists:\n")
	for i := 0; i < 4; i++ {
		fmt.Fprintf(&b, "  - {id: pl-%d, entries: [192.0.%d.0/24, 198.51.%d.0/24, 10.0.%d.0/23]}\n", i, i, i, 2*i)
	}
	b.WriteString("subnets:\n")
	for s := 0; s < 8; s++ {
		fmt.Fprintf(&b, "  - {id: subnet-%d, vpc: vpc-1, cidrs: [10.0.%d.0/23, \"2001:db8:0:%d::/64\"], nacl: acl-%d}\n", s, 2*s, s, s)
	}
	b.WriteString("network_acls:\n")
	for n := 0; n < 8; n++ {
		fmt.Fprintf(&b, "  - id: acl-%d\n    vpc: vpc-1\n", n)
		for _, dir := range []string{"ingress", "egress"} {
			fmt.Fprintf(&b, "    %s:\n", dir)
			for k := 0; k < 8; k++ { // low-numbered denies on scattered ports
				fmt.Fprintf(&b, "      - {rule: %d, proto: tcp, ports: %d, cidr: 10.0.%d.0/24, action: deny}\n", 10+k, 3000+100*n+k, 2*k)
			}
			for k := 0; k < 8; k++ {
				fmt.Fprintf(&b, "      - {rule: %d, proto: tcp, ports: %d-%d, cidr: 10.0.0.0/16, action: allow}\n", 100+k, 8000+10*k, 8009+10*k)
			}
			fmt.Fprintf(&b, "      - {rule: 200, proto: icmp, icmp_type: 8, icmp_code: -1, cidr: 10.0.0.0/16, action: allow}\n")
			fmt.Fprintf(&b, "      - {rule: 210, proto: udp, ports: 53, cidr: 0.0.0.0/0, action: allow}\n")
			fmt.Fprintf(&b, "      - {rule: 300, proto: tcp, ports: 1024-65535, cidr: 10.0.0.0/17, action: allow}\n")
			fmt.Fprintf(&b, "      - {rule: 310, proto: tcp, ports: 1024-65535, cidr: \"2001:db8::/56\", action: allow}\n")
		}
	}
	b.WriteString("security_groups:\n")
	for g := 0; g < 40; g++ {
		fmt.Fprintf(&b, "  - id: sg-%d\n    vpc: vpc-1\n    ingress:\n", g)
		fmt.Fprintf(&b, "      - {proto: tcp, ports: %d, cidrs: [172.16.0.0/12]}\n", 8000+g)
		fmt.Fprintf(&b, "      - {proto: tcp, ports: %d-%d, groups: [sg-%d, sg-%d]}\n", 8000+(g%8)*10, 8009+(g%8)*10, (g+1)%40, (g+7)%40)
		fmt.Fprintf(&b, "      - {proto: tcp, ports: 22, prefix_lists: [pl-%d]}\n", g%4)
		fmt.Fprintf(&b, "      - {proto: icmp, icmp_type: 8, icmp_code: -1, cidrs: [10.0.0.0/16]}\n")
		fmt.Fprintf(&b, "      - {proto: udp, ports: 53, cidrs: [10.0.0.0/16, \"2001:db8::/56\"]}\n")
		fmt.Fprintf(&b, "      - {proto: tcp, ports: 8443, cidrs: [\"::/0\"]}\n")
		b.WriteString("    egress:\n")
		fmt.Fprintf(&b, "      - {proto: tcp, ports: 443, cidrs: [0.0.0.0/0]}\n")
		fmt.Fprintf(&b, "      - {proto: tcp, ports: 8000-8099, groups: [sg-%d]}\n", (g+3)%40)
		fmt.Fprintf(&b, "      - {proto: all, cidrs: [10.0.0.0/17]}\n")
	}
	b.WriteString("enis:\n")
	for i := 0; i < nENI; i++ {
		s := i % 8
		host := 10 + i/8 // up to 260 per subnet fits in a /23
		fmt.Fprintf(&b, "  - {id: eni-%05d, subnet: subnet-%d, addresses: [10.0.%d.%d, \"2001:db8:0:%d::%x\"], security_groups: [sg-%d, sg-%d]}\n",
			i, s, 2*s+host/256, host%256, s, host, i%40, (i*7+3)%40)
	}
	return b.String()
}

func benchPackets(t testing.TB, topo *Topology, n int) []Packet {
	r := rand.New(rand.NewPCG(1, 2))
	enis := topo.ENIs()
	ports := []uint16{22, 53, 443, 3001, 8005, 8015, 8044, 8443, 9000}
	out := make([]Packet, n)
	for i := range out {
		a, b := enis[r.IntN(len(enis))], enis[r.IntN(len(enis))]
		p := Packet{Proto: flowlog.ProtoTCP, Src: a.Addresses[0], Dst: b.Addresses[0],
			SrcPort: uint16(32768 + r.IntN(28000)), DstPort: ports[r.IntN(len(ports))], ICMPType: -1, ICMPCode: -1}
		switch i % 10 {
		case 7:
			p.Proto, p.SrcPort, p.DstPort, p.ICMPType, p.ICMPCode = flowlog.ProtoICMP, 0, 0, 8, 0
		case 8:
			p.Src, p.Dst = a.Addresses[1], b.Addresses[1]
		case 9:
			p.Src = netip.AddrFrom4([4]byte{198, 51, byte(r.IntN(4)), byte(r.IntN(256))})
		}
		out[i] = p
	}
	return out
}

func loadGenerated(t testing.TB) *Topology {
	t.Helper()
	topo, err := ParseYAML("generated.yaml", []byte(genTopology(2000)))
	if err != nil {
		t.Fatalf("generated topology: %v", err)
	}
	if len(topo.ENIs()) != 2000 || len(topo.SecurityGroups()) != 40 || len(topo.NACLs()) != 8 {
		t.Fatalf("generated %d ENIs, %d SGs, %d NACLs", len(topo.ENIs()), len(topo.SecurityGroups()), len(topo.NACLs()))
	}
	return topo
}

// TestGeneratedTopology checks the benchmark's fixture before it is timed:
// the packets reach every kind of decision.
func TestGeneratedTopology(t *testing.T) {
	topo := loadGenerated(t)
	pkts := benchPackets(t, topo, 4096)
	var allowed, nacl, sg, reply int
	for _, p := range pkts {
		path := topo.Evaluate(p)
		_, c, blocked := path.FirstBlock()
		switch {
		case !blocked:
			allowed++
		case c.Decision.By.Kind == KindNACL && c == &path.ReplyDstNACLEgress || c == &path.ReplySrcNACLIngress:
			reply++
		case c.Decision.By.Kind == KindNACL:
			nacl++
		case c.Decision.By.Kind == KindSG:
			sg++
		}
	}
	t.Logf("allowed %d, NACL %d, SG %d, reply %d", allowed, nacl, sg, reply)
	if allowed == 0 || nacl == 0 || sg == 0 {
		t.Errorf("fixture does not exercise every outcome: allowed %d, NACL %d, SG %d, reply %d", allowed, nacl, sg, reply)
	}
	allocs := testing.AllocsPerRun(10, func() {
		for _, p := range pkts[:256] {
			_ = topo.Evaluate(p)
		}
	})
	if allocs != 0 {
		t.Errorf("Evaluate on the generated topology allocates %.1f per 256 calls; want 0", allocs)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	topo := loadGenerated(b)
	pkts := benchPackets(b, topo, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	var blocked int
	for i := 0; b.Loop(); i++ {
		path := topo.Evaluate(pkts[i&4095])
		if !path.RequestAllowed() {
			blocked++
		}
	}
	_ = blocked
}

func BenchmarkLoadGenerated(b *testing.B) {
	src := []byte(genTopology(2000))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseYAML("generated.yaml", src); err != nil {
			b.Fatal(err)
		}
	}
}
