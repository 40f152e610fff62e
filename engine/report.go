package engine

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/flowdiag/flowdiag/rules"
)

// GroupBy names a key a report groups diagnoses by, beyond the rule and the
// blamed component that always separate groups.
type GroupBy string

// The keys a user can group by.
const (
	ByENI      GroupBy = "eni"
	BySubnet   GroupBy = "subnet"
	ByVPC      GroupBy = "vpc"
	ByPort     GroupBy = "port" // the server (destination) port
	ByProtocol GroupBy = "protocol"
	ByClient   GroupBy = "client"
	ByServer   GroupBy = "server"
)

// GroupByKeys lists the valid --group-by keys.
func GroupByKeys() []GroupBy {
	return []GroupBy{ByENI, BySubnet, ByVPC, ByPort, ByProtocol, ByClient, ByServer}
}

// ParseGroupBy accepts one key name.
func ParseGroupBy(s string) (GroupBy, error) {
	for _, k := range GroupByKeys() {
		if string(k) == strings.ToLower(strings.TrimSpace(s)) {
			return k, nil
		}
	}
	names := make([]string, 0, 8)
	for _, k := range GroupByKeys() {
		names = append(names, string(k))
	}
	return "", fmt.Errorf("%q is not a grouping key: want one of %s", s, strings.Join(names, ", "))
}

func (k GroupBy) value(d *Diagnosis) string {
	switch k {
	case ByENI:
		return d.ENI
	case BySubnet:
		return d.Subnet
	case ByVPC:
		return d.VPC
	case ByPort:
		return strconv.Itoa(int(d.Flow.ServerPort))
	case ByProtocol:
		return d.Flow.Protocol
	case ByClient:
		return d.Flow.Client
	case ByServer:
		return d.Flow.Server
	}
	return ""
}

type groupKey struct {
	rule, component, direction, leg string
	naclRule                        int
	eni                             string // when the component is unknown
	extra                           string
}

// Group is a set of conversations that one rule diagnosed with the same
// blamed component (and the same values of the report's group-by keys).
type Group struct {
	Rule, Title string
	Severity    rules.Severity
	Verdict     rules.Verdict
	Component   string
	NACLRule    int
	Direction   string
	Leg         string
	Keys        []KeyValue // the group-by keys and their values

	Conversations int
	// CutEarly counts the conversations completed before their horizon
	// under the bound on open conversations (Diagnosis.CutEarly).
	CutEarly    int
	Packets     int64
	Bytes       int64
	First, Last int64
	ENIs        []string // distinct ENIs, sorted (at most maxDistinct kept)
	MoreENIs    int
	// Examples are the earliest conversations of the group (by first seen,
	// then flow), whatever order they were diagnosed in.
	Examples []Diagnosis

	// clients counts conversations per client address while the group has
	// at most maxClients of them; manyClients is set beyond. ports holds
	// the distinct services (protocol and server port), at most maxPorts;
	// fixes the distinct remediations, at most maxFixes. All are
	// independent of the order diagnoses arrive in, so reports stay
	// deterministic.
	clients     map[string]int
	manyClients bool
	ports       map[service]int // conversations per service, while at most maxPorts
	manyPorts   bool            // more than maxPorts distinct services
	fixes       map[string]int  // conversations per remediation, while at most maxFixes
	manyFixes   bool            // more than maxFixes distinct remediations
}

// service is a protocol and server port; protocols without ports have
// port 0.
type service struct {
	proto string
	port  uint16
}

func (v service) hasPorts() bool { return v.proto == "tcp" || v.proto == "udp" || v.proto == "sctp" }

func (v service) String() string {
	if v.hasPorts() {
		return v.proto + "/" + strconv.Itoa(int(v.port))
	}
	return v.proto
}

const (
	maxClients = 64
	maxPorts   = 1024
	maxFixes   = 8
)

// FixCount is a remediation and how many of a group's conversations it is
// the fix for.
type FixCount struct {
	Fix           string
	Conversations int
}

// Fixes returns the group's distinct remediations, most conversations
// first, and false when there are more than 8 (then each is only in the
// diagnoses). A group gathers one rule and blamed component, but the fix
// names ports and peers, which may differ from one conversation to the
// next: showing the first example's alone would fix only some of them.
func (g *Group) Fixes() ([]FixCount, bool) {
	if g.manyFixes {
		return nil, false
	}
	out := make([]FixCount, 0, len(g.fixes))
	for _, kc := range mostFirst(g.fixes) {
		out = append(out, FixCount{kc.key, kc.n})
	}
	return out, true
}

// keyCount is one entry of a count map.
type keyCount struct {
	key string
	n   int
}

// mostFirst returns the entries of a count map, highest count first, ties
// by key, so reports are deterministic.
func mostFirst(m map[string]int) []keyCount {
	out := make([]keyCount, 0, len(m))
	for k, n := range m {
		out = append(out, keyCount{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].n != out[j].n {
			return out[i].n > out[j].n
		}
		return out[i].key < out[j].key
	})
	return out
}

// ClientCount is a client address and how many of a group's conversations
// it started.
type ClientCount struct {
	Client        string
	Conversations int
}

// TopClients returns the group's n busiest clients, most conversations
// first, and false when the group has more than 64 clients (too many to
// count exactly in bounded memory).
func (g *Group) TopClients(n int) ([]ClientCount, bool) {
	if g.manyClients {
		return nil, false
	}
	out := make([]ClientCount, 0, len(g.clients))
	for _, kc := range mostFirst(g.clients) {
		out = append(out, ClientCount{kc.key, kc.n})
	}
	if len(out) > n {
		out = out[:n]
	}
	return out, true
}

// ServerPorts is the number of distinct services in the group: server
// ports, told apart by protocol, a protocol without ports (ICMP) counting
// once. At most 1024 (more is reported as 1024).
func (g *Group) ServerPorts() int {
	if g.manyPorts {
		return maxPorts
	}
	return len(g.ports)
}

// Services returns the group's distinct services ("tcp/8443", "icmp"),
// sorted, when there are at most n of them.
func (g *Group) Services(n int) ([]string, bool) {
	if g.manyPorts || len(g.ports) > n {
		return nil, false
	}
	out := make([]string, 0, len(g.ports))
	for v := range g.ports {
		out = append(out, v.String())
	}
	sort.Strings(out)
	return out, true
}

// LooksLikeScan reports probing of many ports: more than 1024 distinct
// server ports; or 100 or more, or 20 or more when one or two sources make
// at least half of the conversations, provided no single port makes half
// of them (a real outage concerns one or a few ports, even when a scan of
// the same security group is mixed in).
func (g *Group) LooksLikeScan() bool {
	if g.manyPorts {
		return true
	}
	if len(g.ports) < 20 {
		return false
	}
	busiest := 0
	for _, n := range g.ports {
		busiest = max(busiest, n)
	}
	if 2*busiest >= g.Conversations {
		return false
	}
	if len(g.ports) >= 100 {
		return true
	}
	top, ok := g.TopClients(2)
	if !ok {
		return false
	}
	n := 0
	for _, c := range top {
		n += c.Conversations
	}
	return 2*n >= g.Conversations
}

func (g *Group) addSource(d *Diagnosis) {
	if !g.manyClients {
		if g.clients == nil {
			g.clients = map[string]int{}
		}
		if _, ok := g.clients[d.Flow.Client]; ok || len(g.clients) < maxClients {
			g.clients[d.Flow.Client]++
		} else {
			g.manyClients, g.clients = true, nil
		}
	}
	if !g.manyFixes && d.Remediation != "" {
		if g.fixes == nil {
			g.fixes = map[string]int{}
		}
		if _, ok := g.fixes[d.Remediation]; ok || len(g.fixes) < maxFixes {
			g.fixes[d.Remediation]++
		} else {
			g.manyFixes, g.fixes = true, nil
		}
	}
	if g.manyPorts {
		return
	}
	if g.ports == nil {
		g.ports = map[service]int{}
	}
	v := service{d.Flow.Protocol, d.Flow.ServerPort}
	if !v.hasPorts() {
		v.port = 0
	}
	if _, ok := g.ports[v]; ok || len(g.ports) < maxPorts {
		g.ports[v]++
	} else {
		g.manyPorts, g.ports = true, nil
	}
}

// KeyValue is one group-by key and its value in a group.
type KeyValue struct{ Key, Value string }

// Report aggregates diagnoses for the text and Markdown outputs. It keeps at
// most MaxExamples diagnoses per group and counts the rest, so its memory is
// bounded by the number of groups, not of diagnosed conversations. Groups
// are bounded too: the rule, component and leg that always separate them
// are few, but group-by values (clients, ports of a scan) are not, so once
// MaxGroups groups exist a diagnosis whose group-by values would open
// another is counted in the "(other)" group of its rule and component.
// Which groups keep their own entry then depends on the order diagnoses
// arrive in; the engine delivers them in the same order whatever the
// number of workers, so reports stay deterministic.
type Report struct {
	GroupBy     []GroupBy
	MaxExamples int
	MaxGroups   int

	groups    map[groupKey]*Group
	folded    int // diagnoses counted in an (other) group
	total     int
	bySev     map[rules.Severity]int
	gapConvs  int
	first     int64
	last      int64
	hasWindow bool
}

const maxDistinct = 20

// NewReport returns an empty report.
func NewReport(groupBy []GroupBy, maxExamples int) *Report {
	if maxExamples <= 0 {
		maxExamples = 3
	}
	return &Report{GroupBy: groupBy, MaxExamples: maxExamples, MaxGroups: DefaultMaxGroups,
		groups: map[groupKey]*Group{}, bySev: map[rules.Severity]int{}}
}

// DefaultMaxGroups is a report's bound on groups: more than anyone reads,
// few enough to stay small when --group-by client meets a scan.
const DefaultMaxGroups = 1000

// OtherValue is the group-by value of the groups that collect what the
// MaxGroups bound folded.
const OtherValue = "(other)"

// Folded is the number of diagnoses counted in an "(other)" group because
// their own group would have exceeded MaxGroups.
func (r *Report) Folded() int { return r.folded }

// Add counts d into its group.
func (r *Report) Add(d Diagnosis) {
	k := groupKey{rule: d.Rule, component: d.Component, direction: d.Direction, leg: d.Leg, naclRule: d.NACLRule}
	if d.Component == "" {
		// Without a named component, the ENI is the most specific place
		// the logs blame: keep different ENIs apart.
		k.eni = d.ENI
	}
	var kv []KeyValue
	if len(r.GroupBy) > 0 {
		parts := make([]string, len(r.GroupBy))
		kv = make([]KeyValue, len(r.GroupBy))
		for i, g := range r.GroupBy {
			parts[i] = g.value(&d)
			kv[i] = KeyValue{string(g), parts[i]}
		}
		k.extra = strings.Join(parts, "\x00")
	}
	g := r.groups[k]
	if g == nil && len(r.GroupBy) > 0 && len(r.groups) >= r.MaxGroups {
		k.extra = "\x00" + OtherValue
		for i := range kv {
			kv[i].Value = OtherValue
		}
		g = r.groups[k]
		r.folded++
	}
	if g == nil {
		g = &Group{
			Rule: d.Rule, Title: d.Title, Severity: d.Severity, Verdict: d.Verdict,
			Component: d.Component, NACLRule: d.NACLRule, Direction: d.Direction, Leg: d.Leg,
			Keys: kv, First: d.First, Last: d.Last,
		}
		r.groups[k] = g
	}
	g.Conversations++
	if d.CutEarly {
		g.CutEarly++
	}
	g.Packets += d.Packets
	g.Bytes += d.Bytes
	g.First = min(g.First, d.First)
	g.Last = max(g.Last, d.Last)
	if d.ENI != "" {
		g.addENI(d.ENI)
	}
	g.addExample(d, r.MaxExamples)
	g.addSource(&d)

	r.total++
	r.bySev[d.Severity]++
	if len(d.Gaps) > 0 {
		r.gapConvs++
	}
	if !r.hasWindow {
		r.first, r.last, r.hasWindow = d.First, d.Last, true
	} else {
		r.first = min(r.first, d.First)
		r.last = max(r.last, d.Last)
	}
}

func (g *Group) addENI(eni string) {
	i := sort.SearchStrings(g.ENIs, eni)
	if i < len(g.ENIs) && g.ENIs[i] == eni {
		return
	}
	if len(g.ENIs) >= maxDistinct {
		g.MoreENIs++ // approximate once the list is full: counts further sightings
		return
	}
	g.ENIs = append(g.ENIs, "")
	copy(g.ENIs[i+1:], g.ENIs[i:])
	g.ENIs[i] = eni
}

func exampleLess(a, b *Diagnosis) bool {
	if a.First != b.First {
		return a.First < b.First
	}
	if a.Flow.Client != b.Flow.Client {
		return a.Flow.Client < b.Flow.Client
	}
	if a.Flow.ClientPort != b.Flow.ClientPort {
		return a.Flow.ClientPort < b.Flow.ClientPort
	}
	if a.Flow.Server != b.Flow.Server {
		return a.Flow.Server < b.Flow.Server
	}
	if a.Flow.ServerPort != b.Flow.ServerPort {
		return a.Flow.ServerPort < b.Flow.ServerPort
	}
	return a.ENI < b.ENI
}

func (g *Group) addExample(d Diagnosis, limit int) {
	i := sort.Search(len(g.Examples), func(i int) bool { return exampleLess(&d, &g.Examples[i]) })
	if i >= limit {
		return
	}
	if len(g.Examples) < limit {
		g.Examples = append(g.Examples, Diagnosis{})
	}
	copy(g.Examples[i+1:], g.Examples[i:len(g.Examples)-1])
	g.Examples[i] = d
}

// Total is the number of diagnosed conversations.
func (r *Report) Total() int { return r.total }

// BySeverity counts diagnosed conversations per severity.
func (r *Report) BySeverity(s rules.Severity) int { return r.bySev[s] }

// WithGaps counts diagnosed conversations whose evidence has gaps.
func (r *Report) WithGaps() int { return r.gapConvs }

// Window returns the first and last log time among diagnosed conversations.
func (r *Report) Window() (first, last int64, ok bool) { return r.first, r.last, r.hasWindow }

// Groups returns the groups worst first: severity, then conversations, then
// every field of the group's key (rule, component, rule number, leg,
// direction, group-by values, ENI), so the order never depends on input
// order or scheduling.
func (r *Report) Groups() []*Group {
	out := make([]*Group, 0, len(r.groups))
	for _, g := range r.groups {
		out = append(out, g)
	}
	keys := make(map[*Group]string, len(out)) // keyString once per group, not per comparison
	for _, g := range out {
		keys[g] = keyString(g.Keys)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Conversations != b.Conversations {
			return a.Conversations > b.Conversations
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.Component != b.Component {
			return a.Component < b.Component
		}
		if a.NACLRule != b.NACLRule {
			return a.NACLRule < b.NACLRule
		}
		if a.Leg != b.Leg {
			return a.Leg < b.Leg
		}
		if a.Direction != b.Direction {
			return a.Direction < b.Direction
		}
		if ka, kb := keys[a], keys[b]; ka != kb {
			return ka < kb
		}
		return strings.Join(a.ENIs, ",") < strings.Join(b.ENIs, ",")
	})
	return out
}

func keyString(kv []KeyValue) string {
	var b strings.Builder
	for _, k := range kv {
		b.WriteString(k.Key)
		b.WriteByte('=')
		b.WriteString(k.Value)
		b.WriteByte(' ')
	}
	return b.String()
}
