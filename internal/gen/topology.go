package gen

import (
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/flowdiag/flowdiag/flowlog"
)

// Fixed identity of the generated account.
const (
	AccountID = "123456789012"
	Region    = "us-east-1"
)

var (
	azNames = [3]string{"us-east-1a", "us-east-1b", "us-east-1c"}
	azIDs   = [3]string{"use1-az1", "use1-az2", "use1-az4"}
)

// protoAll is the "all protocols" value (-1 in AWS) of a rule.
const protoAll = -1

// portRange is an inclusive port range; the zero value with hi 0 is unused
// for protocols without ports.
type portRange struct{ lo, hi uint16 }

func (p portRange) contains(port uint16) bool { return port >= p.lo && port <= p.hi }

var allPorts = portRange{0, 65535}

// tier is the role of a subnet.
type tier uint8

const (
	tierPublic tier = iota
	tierApp
	tierData
	tierOps
)

func (t tier) String() string {
	return [...]string{"public", "app", "data", "ops"}[t]
}

// role is what an ENI belongs to; it decides which conversations use it.
type role uint8

const (
	roleALB role = iota
	roleNAT
	roleBastion
	roleApp
	rolePostgres
	roleRedis
	roleKafka
	roleMonitoring
	roleCI
	numRoles
)

type vpc struct {
	id, name string
	cidr     netip.Prefix
}

type subnet struct {
	id, name string
	vpc      int
	cidr     netip.Prefix
	az       int
	tier     tier
	nacl     int
}

// sgRule is one security group rule. proto is an IANA number or protoAll;
// icmpType/icmpCode are -1 for "all".
type sgRule struct {
	proto              int
	ports              portRange
	icmpType, icmpCode int
	cidrs              []netip.Prefix
	groups             []int
	prefixLists        []int
	desc               string
}

type secGroup struct {
	id, name string
	vpc      int
	ingress  []sgRule
	egress   []sgRule
}

// naclEntry is one network ACL entry; num is the rule number.
type naclEntry struct {
	num                int
	proto              int
	ports              portRange
	icmpType, icmpCode int
	cidr               netip.Prefix
	allow              bool
}

type nacl struct {
	id, name  string
	vpc       int
	isDefault bool
	subnets   []int
	ingress   []naclEntry // sorted by num
	egress    []naclEntry
}

type eni struct {
	id         string
	subnet     int
	addr       netip.Addr // primary private IPv4
	public     netip.Addr // Elastic IP; invalid when none
	groups     []int
	owner      string // instance id or service
	instanceID string // "" for requester-managed ENIs
	typ        string
	desc       string
	role       role
	service    int // application service index for roleApp; -1 otherwise
}

type prefixList struct {
	id, name string
	entries  []netip.Prefix
}

// Incident names one deliberate misconfiguration of the generated topology.
type Incident struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Item        string `json:"item"` // the SG or NACL id at fault
}

// Topology is a generated VPC topology. It is immutable after Build and safe
// for concurrent reads.
type Topology struct {
	vpcs        []vpc
	subnets     []subnet
	sgs         []secGroup
	nacls       []nacl
	enis        []eni
	prefixLists []prefixList

	byAddr   map[netip.Addr]int32 // private and public address -> ENI index
	byRole   [numRoles][]int32
	bySvc    [][]int32 // app ENIs per service
	svcNames []string
	svcGroup []int   // service index -> SG index
	svcCalls [][]int // service -> services it calls on 8443

	scanners []netip.Addr // internet hosts that scan the public ENIs
	corp     []netip.Addr // corporate hosts (in the prefix list)

	// The deliberate misconfigurations.
	brokenCaller, brokenCallee int // services: callee's SG lacks the rule for caller
	shadowNACL                 int // NACL with the shadowing deny
	shadowRule                 int // its rule number
	ephemeralNACL              int // data NACL missing the ephemeral egress range
	incidents                  []Incident
}

var serviceNames = [...]string{
	"orders", "payments", "inventory", "checkout", "catalog", "search", "users",
	"auth", "cart", "shipping", "pricing", "reviews", "notify", "email", "media",
	"reports", "billing", "ledger", "fraud", "recommend", "sessions", "geo",
	"tax", "promo", "loyalty", "support", "audit", "export", "webhooks", "gateway",
}

// Build returns the topology for seed. The same seed always gives the same
// topology; the records stream of Generate uses a separate random source, so
// the topology does not depend on the number of records.
func Build(seed uint64) *Topology {
	r := rand.New(rand.NewPCG(seed, 0x70706f6c6f6779))
	t := &Topology{byAddr: make(map[netip.Addr]int32, 4096)}
	id := func(prefix string) string { return fmt.Sprintf("%s-0%016x", prefix, r.Uint64()) }

	t.vpcs = []vpc{
		{id: id("vpc"), name: "prod", cidr: netip.MustParsePrefix("10.0.0.0/16")},
		{id: id("vpc"), name: "ops", cidr: netip.MustParsePrefix("10.1.0.0/16")},
	}
	t.prefixLists = []prefixList{{id: id("pl"), name: "corp-offices", entries: []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	}}}

	// NACL indexes, fixed so subnets can refer to them.
	const (
		aclPublic = iota
		aclApp
		aclDataA
		aclDataB
		aclDataC
		aclProdDefault
		aclOps
		aclOpsDefault
	)
	// Subnets: public, app and data in each AZ of prod; ops in each AZ of ops.
	type snSpec struct {
		tier tier
		vpc  int
		cidr string
		nacl int
	}
	var specs []snSpec
	for az := range 3 {
		specs = append(specs,
			snSpec{tierPublic, 0, fmt.Sprintf("10.0.%d.0/22", az*4), aclPublic},
			snSpec{tierApp, 0, fmt.Sprintf("10.0.%d.0/20", 16+az*16), aclApp},
			snSpec{tierData, 0, fmt.Sprintf("10.0.%d.0/22", 64+az*4), aclDataA + az},
			snSpec{tierOps, 1, fmt.Sprintf("10.1.%d.0/22", az*4), aclOps},
		)
	}
	for i, s := range specs {
		az := i / 4
		t.subnets = append(t.subnets, subnet{
			id: id("subnet"), name: fmt.Sprintf("%s-%c", s.tier, 'a'+az), vpc: s.vpc,
			cidr: netip.MustParsePrefix(s.cidr), az: az, tier: s.tier, nacl: s.nacl,
		})
	}

	t.buildGroups(r, id)
	t.buildNACLs(id, aclPublic, aclApp, aclDataA, aclDataC, aclProdDefault, aclOps, aclOpsDefault)
	for i := range t.subnets {
		n := &t.nacls[t.subnets[i].nacl]
		n.subnets = append(n.subnets, i)
	}
	t.buildENIs(r, id)

	for range 24 {
		t.scanners = append(t.scanners, randomPublic(r))
	}
	for i := range 16 {
		pl := t.prefixLists[0].entries[i%2]
		t.corp = append(t.corp, nthAddr(pl, 10+r.IntN(200)))
	}

	t.incidents = []Incident{
		{
			Name: "sg-missing-ingress",
			Description: fmt.Sprintf("service %s calls %s on tcp/8443 but %s's security group has no inbound rule for %s's group: requests are rejected on the callee's ENI",
				t.svcNames[t.brokenCaller], t.svcNames[t.brokenCallee], t.svcNames[t.brokenCallee], t.svcNames[t.brokenCaller]),
			Item: t.sgs[t.svcGroup[t.brokenCallee]].id,
		},
		{
			Name:        "nacl-missing-ephemeral-egress",
			Description: "the data-c subnet's network ACL has no outbound allow for the clients' ephemeral ports: requests to data-c are accepted, replies are rejected on the data ENI",
			Item:        t.nacls[t.ephemeralNACL].id,
		},
		{
			Name: "nacl-deny-shadows-allow",
			Description: fmt.Sprintf("the app network ACL's inbound deny #%d for 10.1.8.0/22 (ops-c) comes before the allow for monitoring (tcp/9100, icmp) from 10.1.0.0/16: scrapes, pings and SSH from ops-c are rejected on the app ENIs",
				t.shadowRule),
			Item: t.nacls[t.shadowNACL].id,
		},
	}
	return t
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func pfxs(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, x := range s {
		out[i] = pfx(x)
	}
	return out
}

// nthAddr returns the n-th address of p (n from 0).
func nthAddr(p netip.Prefix, n int) netip.Addr {
	b := p.Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// randomPublic returns a random globally routable IPv4 address that is not
// one of the generated topology's own public addresses (203.0.113.0/24).
func randomPublic(r *rand.Rand) netip.Addr {
	for {
		v := r.Uint32()
		a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		if isPublic(a) {
			return a
		}
	}
}

var nonPublic = pfxs("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
	"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3")

func isPublic(a netip.Addr) bool {
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

func (t *Topology) addSG(id func(string) string, name string, vpcIdx int) int {
	t.sgs = append(t.sgs, secGroup{id: id("sg"), name: name, vpc: vpcIdx})
	return len(t.sgs) - 1
}

// Security group indexes of the fixed (non-service) groups, assigned in
// buildGroups.
type fixedGroups struct {
	lb, bastion, appCommon, pg, redis, kafka, mon, ci, defProd, defOps int
}

func (t *Topology) fixed() fixedGroups {
	// Fixed groups are created first, in this order.
	return fixedGroups{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
}

func (t *Topology) buildGroups(r *rand.Rand, id func(string) string) {
	egressAll := []sgRule{{proto: protoAll, cidrs: pfxs("0.0.0.0/0"), desc: "all outbound"}}
	for _, n := range []struct {
		name string
		vpc  int
	}{{"alb", 0}, {"bastion", 0}, {"app-common", 0}, {"postgres", 0}, {"redis", 0}, {"kafka", 0},
		{"monitoring", 1}, {"ci-runners", 1}, {"default", 0}, {"default", 1}} {
		t.addSG(id, n.name, n.vpc)
	}
	g := t.fixed()
	t.svcNames = serviceNames[:]
	for _, name := range t.svcNames {
		t.svcGroup = append(t.svcGroup, t.addSG(id, "svc-"+name, 0))
	}

	// Service call graph: each service calls two or three others on 8443.
	n := len(t.svcNames)
	t.svcCalls = make([][]int, n)
	for s := range n {
		k := 2 + r.IntN(2)
		for len(t.svcCalls[s]) < k {
			c := r.IntN(n)
			if c == s || contains(t.svcCalls[s], c) {
				continue
			}
			t.svcCalls[s] = append(t.svcCalls[s], c)
		}
	}
	t.brokenCaller = r.IntN(n)
	t.brokenCallee = t.svcCalls[t.brokenCaller][0]

	t.sgs[g.lb].ingress = []sgRule{
		{proto: 6, ports: portRange{443, 443}, cidrs: pfxs("0.0.0.0/0"), desc: "https from anywhere"},
		{proto: 6, ports: portRange{80, 80}, cidrs: pfxs("0.0.0.0/0"), desc: "http redirect"},
	}
	var svcGroups []int
	svcGroups = append(svcGroups, t.svcGroup...)
	t.sgs[g.lb].egress = []sgRule{{proto: 6, ports: portRange{8080, 8080}, groups: svcGroups, desc: "to targets"}}
	t.sgs[g.bastion].ingress = []sgRule{{proto: 6, ports: portRange{22, 22}, prefixLists: []int{0}, desc: "ssh from offices"}}
	t.sgs[g.bastion].egress = []sgRule{
		{proto: 6, ports: portRange{22, 22}, cidrs: pfxs("10.0.0.0/16"), desc: "ssh into the vpc"},
		{proto: 6, ports: portRange{443, 443}, cidrs: pfxs("0.0.0.0/0"), desc: "updates"},
	}
	t.sgs[g.appCommon].ingress = []sgRule{
		{proto: 6, ports: portRange{22, 22}, groups: []int{g.bastion}, desc: "ssh from bastion"},
		{proto: 6, ports: portRange{22, 22}, cidrs: pfxs("10.1.0.0/16"), desc: "deploys from ci runners"},
		{proto: 6, ports: portRange{9100, 9100}, cidrs: pfxs("10.1.0.0/16"), desc: "node exporter from ops vpc"},
		{proto: 1, icmpType: 8, icmpCode: -1, cidrs: pfxs("10.1.0.0/16"), desc: "ping from monitoring"},
	}
	t.sgs[g.appCommon].egress = egressAll
	for s, gi := range t.svcGroup {
		sg := &t.sgs[gi]
		sg.ingress = []sgRule{{proto: 6, ports: portRange{8080, 8080}, groups: []int{g.lb}, desc: "from load balancer"}}
		var callers []int
		for c := range n {
			if contains(t.svcCalls[c], s) && !(c == t.brokenCaller && s == t.brokenCallee) {
				callers = append(callers, t.svcGroup[c])
			}
		}
		if len(callers) > 0 {
			sg.ingress = append(sg.ingress, sgRule{proto: 6, ports: portRange{8443, 8443}, groups: callers, desc: "internal api"})
		}
		sg.egress = egressAll
	}
	data := func(gi, port int, desc string, self bool) {
		groups := []int{g.appCommon}
		if self {
			groups = append(groups, gi)
		}
		t.sgs[gi].ingress = []sgRule{
			{proto: 6, ports: portRange{uint16(port), uint16(port)}, groups: groups, desc: desc},
			{proto: 6, ports: portRange{9100, 9100}, cidrs: pfxs("10.1.0.0/16"), desc: "node exporter from ops vpc"},
		}
		t.sgs[gi].egress = []sgRule{{proto: 6, ports: portRange{uint16(port), uint16(port)}, groups: []int{gi}, desc: "replication"}}
	}
	data(g.pg, 5432, "postgres from app", true)
	data(g.redis, 6379, "redis from app", false)
	data(g.kafka, 9092, "kafka from app", true)
	t.sgs[g.mon].egress = egressAll
	t.sgs[g.ci].egress = []sgRule{
		{proto: 6, ports: portRange{443, 443}, cidrs: pfxs("0.0.0.0/0"), desc: "artifacts"},
		{proto: 6, ports: portRange{22, 22}, cidrs: pfxs("10.0.0.0/16"), desc: "deploy over ssh"},
	}
	for _, d := range []int{g.defProd, g.defOps} {
		t.sgs[d].ingress = []sgRule{{proto: protoAll, groups: []int{d}, desc: "default: members"}}
		t.sgs[d].egress = egressAll
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func tcp(num int, lo, hi uint16, cidr string, allow bool) naclEntry {
	return naclEntry{num: num, proto: 6, ports: portRange{lo, hi}, cidr: pfx(cidr), allow: allow}
}

func udp(num int, lo, hi uint16, cidr string) naclEntry {
	return naclEntry{num: num, proto: 17, ports: portRange{lo, hi}, cidr: pfx(cidr), allow: true}
}

func all(num int, cidr string, allow bool) naclEntry {
	return naclEntry{num: num, proto: protoAll, cidr: pfx(cidr), allow: allow}
}

func icmp(num int, cidr string) naclEntry {
	return naclEntry{num: num, proto: 1, icmpType: -1, icmpCode: -1, cidr: pfx(cidr), allow: true}
}

func (t *Topology) buildNACLs(id func(string) string, aclPublic, aclApp, aclDataA, aclDataC, aclProdDefault, aclOps, aclOpsDefault int) {
	t.nacls = make([]nacl, 8)
	set := func(i, vpcIdx int, name string, def bool, in, out []naclEntry) {
		t.nacls[i] = nacl{id: id("acl"), name: name, vpc: vpcIdx, isDefault: def, ingress: in, egress: out}
	}
	set(aclPublic, 0, "public", false,
		[]naclEntry{
			tcp(100, 443, 443, "0.0.0.0/0", true),
			tcp(110, 80, 80, "0.0.0.0/0", true),
			tcp(120, 22, 22, "192.0.2.0/24", true),
			tcp(121, 22, 22, "198.51.100.0/24", true),
			all(130, "10.0.0.0/16", true),
			tcp(140, 1024, 65535, "0.0.0.0/0", true),
			udp(150, 1024, 65535, "0.0.0.0/0"),
			icmp(160, "0.0.0.0/0"),
		},
		[]naclEntry{
			all(100, "10.0.0.0/16", true),
			tcp(110, 443, 443, "0.0.0.0/0", true),
			tcp(120, 80, 80, "0.0.0.0/0", true),
			udp(130, 53, 53, "0.0.0.0/0"),
			udp(131, 123, 123, "0.0.0.0/0"),
			tcp(140, 1024, 65535, "0.0.0.0/0", true),
			icmp(150, "0.0.0.0/0"),
		})
	t.shadowNACL, t.shadowRule = aclApp, 90
	set(aclApp, 0, "app", false,
		[]naclEntry{
			all(90, "10.1.8.0/22", false), // meant to fence the CI runners off; also hides rule 120-140 for ops-c
			all(100, "10.0.0.0/16", true),
			tcp(110, 1024, 65535, "0.0.0.0/0", true),
			udp(115, 1024, 65535, "0.0.0.0/0"),
			tcp(120, 9100, 9100, "10.1.0.0/16", true),
			icmp(130, "10.1.0.0/16"),
			tcp(140, 22, 22, "10.1.0.0/16", true),
		},
		[]naclEntry{
			all(100, "10.0.0.0/16", true),
			tcp(110, 443, 443, "0.0.0.0/0", true),
			tcp(120, 80, 80, "0.0.0.0/0", true),
			udp(130, 53, 53, "0.0.0.0/0"),
			udp(131, 123, 123, "0.0.0.0/0"),
			tcp(140, 1024, 65535, "10.1.0.0/16", true),
			icmp(150, "10.1.0.0/16"),
		})
	t.ephemeralNACL = aclDataC
	for az := range 3 {
		in := []naclEntry{
			tcp(100, 5432, 5432, "10.0.0.0/16", true),
			tcp(110, 6379, 6379, "10.0.0.0/16", true),
			tcp(120, 9092, 9092, "10.0.0.0/16", true),
			tcp(130, 22, 22, "10.0.0.0/20", true),
			tcp(140, 9100, 9100, "10.1.0.0/16", true),
			tcp(150, 1024, 65535, "10.0.64.0/20", true),
		}
		out := []naclEntry{
			tcp(100, 1024, 65535, "10.0.0.0/16", true),
			tcp(110, 5432, 5432, "10.0.64.0/20", true),
			tcp(120, 9092, 9092, "10.0.64.0/20", true),
			tcp(130, 1024, 65535, "10.1.0.0/16", true),
		}
		if aclDataA+az == aclDataC {
			// The misconfiguration: the ephemeral range back to the VPC is
			// missing, so replies to app clients fall to the implicit deny.
			out = out[1:]
		}
		set(aclDataA+az, 0, fmt.Sprintf("data-%c", 'a'+az), false, in, out)
	}
	allowAll := func() ([]naclEntry, []naclEntry) {
		return []naclEntry{all(100, "0.0.0.0/0", true)}, []naclEntry{all(100, "0.0.0.0/0", true)}
	}
	in, out := allowAll()
	set(aclProdDefault, 0, "prod-default", true, in, out)
	set(aclOps, 1, "ops", false,
		[]naclEntry{
			all(100, "10.1.0.0/16", true),
			tcp(110, 1024, 65535, "10.0.0.0/16", true),
			tcp(120, 1024, 65535, "0.0.0.0/0", true),
			icmp(130, "10.0.0.0/16"),
		},
		[]naclEntry{
			all(100, "10.1.0.0/16", true),
			tcp(110, 9100, 9100, "10.0.0.0/16", true),
			tcp(111, 22, 22, "10.0.0.0/16", true),
			icmp(120, "10.0.0.0/16"),
			tcp(130, 443, 443, "0.0.0.0/0", true),
		})
	in, out = allowAll()
	set(aclOpsDefault, 1, "ops-default", true, in, out)
}

// buildENIs creates the interfaces; every address is unique and inside its
// subnet.
func (t *Topology) buildENIs(r *rand.Rand, id func(string) string) {
	g := t.fixed()
	next := make([]int, len(t.subnets)) // next host number per subnet
	for i := range next {
		next[i] = 10
	}
	eip := 10 // next host in 203.0.113.0/24
	subnetOf := func(tr tier, az int) int {
		for i, s := range t.subnets {
			if s.tier == tr && s.az == az {
				return i
			}
		}
		panic("gen: no subnet for tier and az") // unreachable: Build creates every pair
	}
	add := func(rl role, sn int, groups []int, typ, owner, desc string, public bool, svc int) {
		e := eni{id: id("eni"), subnet: sn, addr: nthAddr(t.subnets[sn].cidr, next[sn]), groups: groups,
			typ: typ, owner: owner, desc: desc, role: rl, service: svc}
		next[sn]++
		if typ == "interface" {
			e.instanceID = owner
		}
		if public {
			e.public = nthAddr(pfx("203.0.113.0/24"), eip)
			eip++
		}
		idx := int32(len(t.enis))
		t.enis = append(t.enis, e)
		t.byAddr[e.addr] = idx
		if e.public.IsValid() {
			t.byAddr[e.public] = idx
		}
		t.byRole[rl] = append(t.byRole[rl], idx)
		if rl == roleApp {
			t.bySvc[svc] = append(t.bySvc[svc], idx)
		}
	}
	inst := func() string { return fmt.Sprintf("i-0%016x", r.Uint64()) }
	t.bySvc = make([][]int32, len(t.svcNames))
	for az := range 3 {
		pub := subnetOf(tierPublic, az)
		add(roleNAT, pub, nil, "nat_gateway", "nat-gateway", fmt.Sprintf("Interface for NAT Gateway nat-0%016x", r.Uint64()), true, -1)
		for lb := range 2 {
			add(roleALB, pub, []int{g.lb}, "load_balancer", "elb",
				fmt.Sprintf("ELB app/prod-web-%d/%016x", lb, r.Uint64()), true, -1)
		}
		if az == 0 {
			add(roleBastion, pub, []int{g.bastion}, "interface", inst(), "bastion", true, -1)
		}
	}
	for az := range 3 {
		app := subnetOf(tierApp, az)
		for i := range 600 {
			svc := (i + az*7) % len(t.svcNames)
			add(roleApp, app, []int{t.svcGroup[svc], g.appCommon}, "interface", inst(),
				fmt.Sprintf("%s-%c%d", t.svcNames[svc], 'a'+az, i/len(t.svcNames)), false, svc)
		}
		data := subnetOf(tierData, az)
		for i := range 8 {
			add(rolePostgres, data, []int{g.pg}, "interface", "amazon-rds", fmt.Sprintf("RDSNetworkInterface pg-%c%d", 'a'+az, i), false, -1)
		}
		for i := range 6 {
			add(roleRedis, data, []int{g.redis}, "interface", "amazon-elasticache", fmt.Sprintf("ElastiCache redis-%c%d", 'a'+az, i), false, -1)
		}
		for i := range 4 {
			add(roleKafka, data, []int{g.kafka}, "interface", inst(), fmt.Sprintf("kafka-%c%d", 'a'+az, i), false, -1)
		}
		ops := subnetOf(tierOps, az)
		for i := range 10 {
			add(roleMonitoring, ops, []int{g.mon, g.defOps}, "interface", inst(), fmt.Sprintf("prometheus-%c%d", 'a'+az, i), false, -1)
		}
		for i := range 30 {
			add(roleCI, ops, []int{g.ci}, "interface", inst(), fmt.Sprintf("ci-runner-%c%d", 'a'+az, i), false, -1)
		}
	}
	// Requester-managed ENIs carry no instance id in flow logs.
	for i := range t.enis {
		switch t.enis[i].role {
		case rolePostgres, roleRedis:
			t.enis[i].instanceID = ""
		}
	}
}

// Counts summarises the size of a topology.
type Counts struct {
	VPCs           int `json:"vpcs"`
	Subnets        int `json:"subnets"`
	ENIs           int `json:"enis"`
	SecurityGroups int `json:"security_groups"`
	NACLs          int `json:"network_acls"`
	PrefixLists    int `json:"prefix_lists"`
}

// Counts returns how many of each item the topology has.
func (t *Topology) Counts() Counts {
	return Counts{len(t.vpcs), len(t.subnets), len(t.enis), len(t.sgs), len(t.nacls), len(t.prefixLists)}
}

// Incidents returns the deliberate misconfigurations.
func (t *Topology) Incidents() []Incident { return append([]Incident(nil), t.incidents...) }

// protoName returns the YAML spelling of a rule protocol.
func protoName(p int) string {
	if p == protoAll {
		return "all"
	}
	return flowlog.Proto(p).String()
}
