package gen

import (
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowdiag/flowdiag/flowlog"
)

// Format is the flow log record format written.
type Format uint8

// Formats.
const (
	// FormatV2 is the default format: the 14 version-2 fields.
	FormatV2 Format = iota
	// FormatV5 is a custom version-5 format: the v2 fields followed by
	// vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr
	// region az-id sublocation-type sublocation-id pkt-src-aws-service
	// pkt-dst-aws-service flow-direction traffic-path. It is always written
	// with a header line, as S3 delivers it.
	FormatV5
)

const (
	headerV2 = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
	headerV5 = headerV2 + " vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"
)

func (f Format) String() string {
	if f == FormatV5 {
		return "v5"
	}
	return "v2"
}

// Header returns the format's header line (field names), without newline.
func (f Format) Header() string {
	if f == FormatV5 {
		return headerV5
	}
	return headerV2
}

// ParseFormat accepts "v2" or "v5" (also "2" and "5").
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "v2", "2":
		return FormatV2, nil
	case "v5", "5":
		return FormatV5, nil
	}
	return 0, fmt.Errorf("format %q: want v2 or v5", s)
}

// DefaultStart is the start time of generated records unless Options.Start
// is set: 2025-03-14 09:00:00 UTC.
var DefaultStart = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// DefaultRate is the number of records per second of log time.
const DefaultRate = 3000

// Options say what to generate. The zero value of each optional field picks
// the documented default.
type Options struct {
	Seed    uint64
	Records int64  // exact number of record lines to write (headers not counted)
	Format  Format // FormatV2 or FormatV5
	Gzip    bool   // write .log.gz files
	Header  bool   // write a header line in each file (always true for FormatV5)
	Files   int    // 0 or 1: DIR/flows.log; N > 1: N files in an S3-like tree under DIR/AWSLogs
	Start   time.Time
	Rate    int // records per second of log time; 0 means DefaultRate
	// ScanShare, when above 0, makes port scans this share (0 to 1) of the
	// records, in bursts of 1,000 to 2,000 probes: a VPC being scanned
	// hard, whose millions of one-record conversations a correlator must
	// hold within its horizon.
	ScanShare float64
}

func (o *Options) validate() error {
	var errs []error
	if o.Records < 0 {
		errs = append(errs, fmt.Errorf("records: %d is negative; want 0 or more", o.Records))
	}
	if o.Format != FormatV2 && o.Format != FormatV5 {
		errs = append(errs, fmt.Errorf("format: %d is not v2 or v5", o.Format))
	}
	if o.Files < 0 {
		errs = append(errs, fmt.Errorf("files: %d is negative; want 1 or more", o.Files))
	}
	if o.Rate < 0 {
		errs = append(errs, fmt.Errorf("rate: %d is negative; want records per second > 0", o.Rate))
	}
	if o.ScanShare < 0 || o.ScanShare >= 1 {
		errs = append(errs, fmt.Errorf("scan share: %g is not a share; want 0 or more and below 1", o.ScanShare))
	}
	return errors.Join(errs...)
}

// Manifest records what Generate wrote: sizes, counts per scenario and per
// outcome, and the rules that dropped traffic, to check diagnoses against.
type Manifest struct {
	Seed      uint64            `json:"seed"`
	Format    string            `json:"format"`
	Gzip      bool              `json:"gzip"`
	Header    bool              `json:"header"`
	Start     string            `json:"start"`
	End       string            `json:"end"` // latest record end
	Records   int64             `json:"records"`
	Files     []FileInfo        `json:"files"`
	Topology  Counts            `json:"topology"`
	Incidents []IncidentCount   `json:"incidents"`
	Actions   map[string]int64  `json:"actions"`    // ACCEPT, REJECT, "-" (gap records)
	Statuses  map[string]int64  `json:"log_status"` // OK, NODATA, SKIPDATA
	Scenarios []ScenarioCount   `json:"scenarios"`
	Drops     []DropCount       `json:"drops"` // rejected conversations by deciding rule, most first
	Extra     map[string]string `json:"notes,omitempty"`
}

// IncidentCount is a deliberate misconfiguration and the number of
// conversations it rejected.
type IncidentCount struct {
	Incident
	Conversations int64 `json:"conversations"`
	Records       int64 `json:"reject_records"`
}

// ScenarioCount counts one kind of traffic.
type ScenarioCount struct {
	Name          string `json:"name"`
	Conversations int64  `json:"conversations"`
	Rejected      int64  `json:"rejected_conversations"`
	Records       int64  `json:"records"`
}

// DropCount counts rejected conversations by the control that dropped them.
type DropCount struct {
	Rule          string `json:"rule"`
	Incident      string `json:"incident,omitempty"`
	Conversations int64  `json:"conversations"`
}

// Generate builds the topology for o.Seed and writes dir/topology.yaml, the
// flow log file(s) and dir/MANIFEST.json. Records are written as they are
// generated; memory stays flat whatever o.Records is.
func Generate(dir string, o Options) (*Manifest, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.Format == FormatV5 {
		o.Header = true
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.Files == 0 {
		o.Files = 1
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	t := Build(o.Seed)
	if err := writeFile(filepath.Join(dir, "topology.yaml"), t.WriteYAML); err != nil {
		return nil, err
	}
	header := ""
	if o.Header {
		header = o.Format.Header()
	}
	out := newOutput(dir, &o, header, o.Seed)
	g := newGenerator(t, &o, out)
	g.run()
	if err := out.close(o.Start.Unix()); err != nil {
		return nil, fmt.Errorf("writing flow logs in %s: %w", dir, err)
	}
	m := g.manifest(out.files)
	err := writeFile(filepath.Join(dir, "MANIFEST.json"), func(w io.Writer) error {
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(m)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// scenario is a kind of conversation.
type scenario uint8

const (
	scenWeb         scenario = iota // internet client -> load balancer :443
	scenLBTarget                    // load balancer -> app :8080
	scenServiceAPI                  // app -> app :8443 along the service call graph
	scenPostgres                    // app -> postgres :5432 (pooled, long)
	scenRedis                       // app -> redis :6379
	scenKafka                       // app -> kafka :9092 (long)
	scenReplication                 // postgres -> postgres :5432 across AZs (long)
	scenNATHTTPS                    // app -> internet :443 through the AZ's NAT gateway
	scenNATDNS                      // app -> public resolver udp/53 through NAT
	scenScan                        // internet scanner -> public ENI, many ports
	scenPing                        // ICMP echo: monitoring -> app, internet -> load balancer
	scenScrape                      // monitoring (ops VPC, peering) -> app/data :9100 (long)
	scenSSH                         // office -> bastion :22 and bastion -> app :22 (long)
	scenDeploy                      // CI runner (ops VPC) -> app :22
	scenStraggler                   // lone FIN/RST after the connection closed
	scenReuse                       // a 5-tuple reused long after its conversation ended
	scenGap                         // NODATA / SKIPDATA records
	numScenarios
)

var scenarioNames = [numScenarios]string{
	"web-ingress", "lb-to-target", "service-api", "postgres", "redis", "kafka", "db-replication",
	"nat-https", "nat-dns", "port-scan", "icmp-echo", "monitoring-scrape", "ssh", "ci-deploy",
	"straggler", "reused-tuple", "gap",
}

// Relative weights of new conversations per scenario.
var scenarioWeights = [numScenarios]int{
	scenWeb: 20, scenLBTarget: 20, scenServiceAPI: 14, scenPostgres: 8, scenRedis: 6, scenKafka: 2,
	scenReplication: 1, scenNATHTTPS: 8, scenNATDNS: 3, scenScan: 1, scenPing: 3, scenScrape: 4,
	scenSSH: 1, scenDeploy: 1, scenStraggler: 2, scenReuse: 2, scenGap: 1,
}

// end is one side of a conversation: an ENI of the topology, or an address
// outside it (eni -1).
type end struct {
	eni  int32
	addr netip.Addr
	port uint16
}

// conv is one conversation (a 5-tuple and its reply), possibly spanning
// several aggregation windows. It is a small value; pending long
// conversations are kept in a bounded heap.
type conv struct {
	scen     scenario
	proto    uint8
	cli, srv end
	nat      int32  // NAT gateway ENI for NAT scenarios, else -1
	natPort  uint16 // translated source port
	windows  int    // total windows
	done     int    // windows already written
	due      int64  // log time (µs) of the next window
	reqPkts  int    // packets per window, request direction
	respPkts int    // packets per window, reply direction
	reqSize  int    // bytes per packet
	respSize int
	drop     int // index of the dropping step, -1 if none
	why      ref
	flags    uint8 // forced tcp-flags (stragglers, scans); 0 = by window
	forced   bool
}

const (
	maxPending  = 40000         // long conversations kept open at once
	windowUS    = 60 * 1000000  // aggregation window, µs
	reuseMinAge = 600 * 1000000 // a reused 5-tuple is at least 10 min old
	reuseSample = 128           // one finished conversation in reuseSample is kept for reuse
)

type convHeap []conv

func (h convHeap) Len() int { return len(h) }
func (h convHeap) Less(i, j int) bool {
	if h[i].due != h[j].due {
		return h[i].due < h[j].due
	}
	return h[i].cli.port < h[j].cli.port
}
func (h convHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *convHeap) Push(x any)   { *h = append(*h, x.(conv)) }
func (h *convHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

type generator struct {
	t       *Topology
	o       *Options
	out     *output
	r       *rand.Rand
	left    int64 // records still to write
	clock   int64 // log time, µs since the epoch
	usPer   int64 // clock advance per record, µs
	pending convHeap
	ring    [2048]conv // finished conversations, for reuse
	ringEnd [2048]int64
	ringN   int
	line    []byte
	steps   [6]step
	maxEnd  int64
	cumW    [numScenarios]int
	totalW  int

	// counters for the manifest
	scenConvs, scenRejected, scenRecords [numScenarios]int64
	actions                              [3]int64
	statuses                             [4]int64
	drops                                map[dropKey]int64
	dropExample                          map[dropKey]int32
	incConvs, incRecords                 []int64
}

func newGenerator(t *Topology, o *Options, out *output) *generator {
	g := &generator{
		t: t, o: o, out: out,
		r:           rand.New(rand.NewPCG(o.Seed, 0x7265636f726473)),
		left:        o.Records,
		clock:       o.Start.Unix() * 1000000,
		usPer:       1000000 / int64(o.Rate),
		line:        make([]byte, 0, 512),
		drops:       make(map[dropKey]int64),
		dropExample: make(map[dropKey]int32),
		incConvs:    make([]int64, len(t.incidents)),
		incRecords:  make([]int64, len(t.incidents)),
	}
	if g.usPer == 0 {
		g.usPer = 1
	}
	weights := scenarioWeights
	if o.ScanShare > 0 {
		// Weights count new conversations: about 4 records for the
		// others (100 weights), 1,500 probes per scan burst. Scale so the
		// bursts make ScanShare of the records.
		others := 0
		for i, w := range weights {
			if scenario(i) != scenScan {
				others += w
			}
		}
		weights[scenScan] = max(1, int(o.ScanShare*float64(others)*4*100/((1-o.ScanShare)*floodBurst)))
		for i := range weights {
			if scenario(i) != scenScan {
				weights[i] *= 100
			}
		}
	}
	for i, w := range weights {
		g.totalW += w
		g.cumW[i] = g.totalW
	}
	return g
}

// floodBurst is the mean size of a scan burst with Options.ScanShare.
const floodBurst = 1500

func (g *generator) run() {
	for g.left > 0 && g.out.err == nil {
		if len(g.pending) > 0 && g.pending[0].due <= g.clock {
			c := heap.Pop(&g.pending).(conv)
			g.window(&c)
			continue
		}
		g.start()
	}
}

// pick returns a scenario by weight.
func (g *generator) pick() scenario {
	x := g.r.IntN(g.totalW)
	for i, c := range g.cumW {
		if x < c {
			return scenario(i)
		}
	}
	return scenGap
}

func (g *generator) pickENI(rl role) int32 {
	l := g.t.byRole[rl]
	return l[g.r.IntN(len(l))]
}

// ephemeral returns a client port in the Linux default range.
func (g *generator) ephemeral() uint16 { return uint16(32768 + g.r.IntN(61000-32768)) }

// internetPort returns a client port of an internet host (any OS).
func (g *generator) internetPort() uint16 { return uint16(1024 + g.r.IntN(65536-1024)) }

var (
	s3Range   = pfx("52.216.0.0/15")
	resolvers = []netip.Addr{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("9.9.9.9")}
)

// start creates a new conversation (or a burst of scan probes, or a gap
// record) and writes its first window.
func (g *generator) start() {
	t := g.t
	c := conv{nat: -1, windows: 1, drop: -1, reqSize: 80, respSize: 200}
	s := g.pick()
	c.scen = s
	eniEnd := func(e int32, port uint16) end { return end{eni: e, addr: t.enis[e].addr, port: port} }
	ext := func(a netip.Addr, port uint16) end { return end{eni: -1, addr: a, port: port} }
	long := func(lo, hi int) {
		if len(g.pending) < maxPending {
			c.windows = lo + g.r.IntN(hi-lo+1)
		}
	}
	c.proto = 6
	switch s {
	case scenWeb:
		c.cli = ext(randomPublic(g.r), g.internetPort())
		c.srv = eniEnd(g.pickENI(roleALB), 443)
		c.reqPkts, c.respPkts, c.reqSize, c.respSize = 6+g.r.IntN(30), 5+g.r.IntN(40), 90, 900
		if g.r.IntN(4) == 0 {
			long(2, 6)
		}
	case scenLBTarget:
		lb := g.pickENI(roleALB)
		app := g.pickENI(roleApp)
		c.cli = eniEnd(lb, g.internetPort())
		c.srv = eniEnd(app, 8080)
		c.reqPkts, c.respPkts, c.reqSize, c.respSize = 4+g.r.IntN(20), 4+g.r.IntN(30), 300, 1100
		if g.r.IntN(3) == 0 {
			long(2, 10)
		}
	case scenServiceAPI, scenReuse:
		if s == scenReuse && g.reuse(&c) {
			break
		}
		c.scen = scenServiceAPI
		a := g.pickENI(roleApp)
		svc := t.enis[a].service
		// One call in twenty is from the misconfigured caller, so the
		// incident shows up at every size.
		if g.r.IntN(20) == 0 {
			l := t.bySvc[t.brokenCaller]
			a, svc = l[g.r.IntN(len(l))], t.brokenCaller
		}
		calls := t.svcCalls[svc]
		callee := calls[g.r.IntN(len(calls))]
		l := t.bySvc[callee]
		c.cli = eniEnd(a, g.ephemeral())
		c.srv = eniEnd(l[g.r.IntN(len(l))], 8443)
		c.reqPkts, c.respPkts, c.reqSize, c.respSize = 3+g.r.IntN(12), 3+g.r.IntN(15), 250, 700
		if g.r.IntN(5) == 0 {
			long(2, 8)
		}
	case scenPostgres, scenRedis, scenKafka:
		rl, port := rolePostgres, uint16(5432)
		if s == scenRedis {
			rl, port = roleRedis, 6379
		} else if s == scenKafka {
			rl, port = roleKafka, 9092
		}
		c.cli = eniEnd(g.pickENI(roleApp), g.ephemeral())
		c.srv = eniEnd(g.pickENI(rl), port)
		c.reqPkts, c.respPkts, c.reqSize, c.respSize = 10+g.r.IntN(200), 10+g.r.IntN(300), 180, 600
		if s != scenRedis || g.r.IntN(2) == 0 {
			long(3, 30)
		}
	case scenReplication:
		pg := t.byRole[rolePostgres]
		a := g.r.IntN(len(pg))
		b := (a + 8 + g.r.IntN(len(pg)-8)) % len(pg) // another AZ (8 per AZ)
		c.cli = eniEnd(pg[a], g.ephemeral())
		c.srv = eniEnd(pg[b], 5432)
		c.reqPkts, c.respPkts, c.reqSize, c.respSize = 50+g.r.IntN(500), 50+g.r.IntN(400), 1200, 120
		long(5, 40)
	case scenNATHTTPS, scenNATDNS:
		app := g.pickENI(roleApp)
		az := t.subnets[t.enis[app].subnet].az
		c.nat = t.byRole[roleNAT][az]
		c.natPort = uint16(1024 + g.r.IntN(65536-1024))
		c.cli = eniEnd(app, g.ephemeral())
		if s == scenNATDNS {
			c.proto = 17
			c.srv = ext(resolvers[g.r.IntN(len(resolvers))], 53)
			c.reqPkts, c.respPkts, c.reqSize, c.respSize = 1+g.r.IntN(2), 1+g.r.IntN(2), 70, 150
		} else {
			dst := randomPublic(g.r)
			if g.r.IntN(5) == 0 {
				dst = nthAddr(s3Range, g.r.IntN(1<<17))
			}
			c.srv = ext(dst, 443)
			c.reqPkts, c.respPkts, c.reqSize, c.respSize = 5+g.r.IntN(40), 5+g.r.IntN(80), 200, 1300
			if g.r.IntN(4) == 0 {
				long(2, 5)
			}
		}
	case scenScan:
		g.scan()
		return
	case scenPing:
		c.proto = 1
		if g.r.IntN(2) == 0 {
			c.cli = eniEnd(g.pickENI(roleMonitoring), 0)
			c.srv = eniEnd(g.pickENI(roleApp), 0)
		} else {
			c.cli = ext(randomPublic(g.r), 0)
			c.srv = eniEnd(g.pickENI(roleALB), 0)
		}
		n := 1 + g.r.IntN(10)
		c.reqPkts, c.respPkts, c.reqSize, c.respSize = n, n, 84, 84
	case scenScrape:
		c.cli = eniEnd(g.pickENI(roleMonitoring), g.ephemeral())
		target := roleApp
		if g.r.IntN(5) == 0 {
			target = [...]role{rolePostgres, roleRedis, roleKafka}[g.r.IntN(3)]
		}
		c.srv = eniEnd(g.pickENI(target), 9100)
		c.reqPkts, c.respPkts, c.reqSize, c.respSize = 8+g.r.IntN(8), 8+g.r.IntN(8), 120, 1400
		long(4, 30)
	case scenSSH:
		bastion := g.pickENI(roleBastion)
		if g.r.IntN(2) == 0 {
			c.cli = ext(t.corp[g.r.IntN(len(t.corp))], g.internetPort())
			c.srv = eniEnd(bastion, 22)
		} else {
			c.cli = eniEnd(bastion, g.ephemeral())
			c.srv = eniEnd(g.pickENI(roleApp), 22)
		}
		c.reqPkts, c.respPkts, c.reqSize, c.respSize = 20+g.r.IntN(200), 20+g.r.IntN(300), 90, 200
		long(5, 60)
	case scenDeploy:
		c.cli = eniEnd(g.pickENI(roleCI), g.ephemeral())
		c.srv = eniEnd(g.pickENI(roleApp), 22)
		c.reqPkts, c.respPkts, c.reqSize, c.respSize = 50+g.r.IntN(500), 30+g.r.IntN(200), 1300, 100
		long(1, 3)
	case scenStraggler:
		g.straggler(&c)
	case scenGap:
		g.gap()
		return
	}
	c.due = g.clock
	g.decide(&c)
	g.count(&c, 1)
	g.window(&c)
}

// dropKey aggregates drops for the manifest: security group drops by the
// ENI's group set rather than by ENI, and apart when they are an incident.
type dropKey struct {
	r   ref
	inc int
}

// count adds delta to the counters of conversation c.
func (g *generator) count(c *conv, delta int64) {
	g.scenConvs[c.scen] += delta
	if c.drop < 0 {
		return
	}
	g.scenRejected[c.scen] += delta
	k := dropKey{r: c.why, inc: g.incident(c)}
	if k.r.kind == checkSG {
		k.r.num = 0
	}
	if _, ok := g.dropExample[k]; !ok {
		g.dropExample[k] = c.why.num
	}
	g.drops[k] += delta
	if g.drops[k] == 0 {
		delete(g.drops, k)
		delete(g.dropExample, k)
	}
	if k.inc >= 0 {
		g.incConvs[k.inc] += delta
	}
}

// incident returns which deliberate misconfiguration dropped c, or -1.
func (g *generator) incident(c *conv) int {
	t := g.t
	switch w := c.why; {
	case w.kind == checkSG && !w.egress && c.srv.eni >= 0 && c.cli.eni >= 0 &&
		t.enis[c.srv.eni].service == t.brokenCallee && t.enis[c.cli.eni].service == t.brokenCaller &&
		c.srv.port == 8443:
		return 0
	case w.kind == checkNACL && int(w.item) == t.ephemeralNACL && w.egress:
		return 1
	case w.kind == checkNACL && int(w.item) == t.shadowNACL && int(w.num) == t.shadowRule:
		return 2
	}
	return -1
}

// reuse turns c into a new conversation on the 5-tuple of one that ended
// at least reuseMinAge ago. It reports false when none is old enough.
func (g *generator) reuse(c *conv) bool {
	if g.ringN == 0 {
		return false
	}
	n := min(g.ringN, len(g.ring))
	i := g.r.IntN(n)
	if g.ringEnd[i] > g.clock-reuseMinAge {
		return false
	}
	old := g.ring[i]
	*c = conv{scen: scenReuse, proto: old.proto, cli: old.cli, srv: old.srv, nat: -1, windows: 1, drop: -1,
		reqPkts: 3 + g.r.IntN(10), respPkts: 3 + g.r.IntN(10), reqSize: old.reqSize, respSize: old.respSize}
	g.ringEnd[i] = 1<<62 - 1 // reuse each tuple once
	return true
}

// straggler makes c a lone FIN or RST arriving after connection tracking
// forgot the flow: a reply from an internet server to an app instance (its
// NAT connection closed), or a load balancer's late FIN to a client.
func (g *generator) straggler(c *conv) {
	t := g.t
	c.forced = true
	c.flags = flowlog.FlagRST
	if g.r.IntN(3) == 0 {
		c.flags = flowlog.FlagFIN
	}
	c.reqPkts, c.reqSize, c.respPkts = 1, 40, 0
	if g.r.IntN(2) == 0 {
		app := g.pickENI(roleApp)
		c.cli = end{eni: -1, addr: randomPublic(g.r), port: 443}
		c.srv = end{eni: app, addr: t.enis[app].addr, port: g.ephemeral()}
	} else {
		lb := g.pickENI(roleALB)
		c.cli = end{eni: lb, addr: t.enis[lb].addr, port: 443}
		c.srv = end{eni: -1, addr: randomPublic(g.r), port: g.internetPort()}
	}
}

// scan writes a burst of probes from one scanner to one public ENI: each a
// one-record conversation on its own port, rejected unless the port is open.
func (g *generator) scan() {
	t := g.t
	targets := append([]int32(nil), t.byRole[roleALB]...)
	targets = append(targets, t.byRole[roleBastion]...)
	dst := targets[g.r.IntN(len(targets))]
	scanner := t.scanners[g.r.IntN(len(t.scanners))]
	sport := g.internetPort()
	n := 5 + g.r.IntN(56)
	if g.o.ScanShare > 0 {
		n = floodBurst - 500 + g.r.IntN(1001)
	}
	offset := g.r.IntN(65535)
	for i := 0; i < n && g.left > 0; i++ {
		c := conv{scen: scenScan, proto: 6, nat: -1, windows: 1, drop: -1, forced: true, flags: flowlog.FlagSYN,
			cli:     end{eni: -1, addr: scanner, port: sport},
			srv:     end{eni: dst, addr: t.enis[dst].addr, port: scanPort(i, offset)},
			reqPkts: 1, respPkts: 1, reqSize: 44, respSize: 44, due: g.clock}
		g.decide(&c)
		if c.drop < 0 {
			// An open port answers SYN-ACK; the scanner resets. Count the
			// probe only if both records fit.
			if g.left < 2 {
				return
			}
		}
		g.count(&c, 1)
		g.window(&c)
	}
}

// scanPort returns the i-th port a scan probes: first the well-known
// service ports from a random offset, then a stride through the rest, so no
// port is probed twice in one burst.
func scanPort(i, offset int) uint16 {
	common := [...]uint16{21, 22, 23, 25, 53, 80, 110, 135, 139, 143, 443, 445, 993, 1433, 1521, 2375,
		3306, 3389, 5432, 5900, 6379, 8080, 8443, 9200, 11211, 27017}
	if i < len(common) {
		return common[(i+offset)%len(common)]
	}
	return uint16(1 + (offset+(i-len(common))*7919)%65535)
}

// gap writes a NODATA (or, rarely, SKIPDATA) record for a random ENI.
func (g *generator) gap() {
	t := g.t
	e := int32(g.r.IntN(len(t.enis)))
	st := flowlog.LogStatusNoData
	if g.r.IntN(10) == 0 {
		st = flowlog.LogStatusSkipData
	}
	start := g.clock/1000000 - int64(g.r.IntN(5))
	r := rec{eni: e, start: start, end: start + 55 + int64(g.r.IntN(10)), status: st}
	g.scenConvs[scenGap]++
	g.emit(scenGap, &r)
}

// buildSteps fills g.steps for c and returns them, in path order.
func (g *generator) buildSteps(c *conv) []step {
	t := g.t
	subnetOf := func(e int32) int {
		if e < 0 {
			return -1
		}
		return t.enis[e].subnet
	}
	pathTo := func(from int32, dst netip.Addr) uint8 {
		if e, ok := t.byAddr[dst]; ok && t.enis[e].addr == dst {
			if t.subnets[t.enis[e].subnet].vpc == t.subnets[t.enis[from].subnet].vpc {
				return 1
			}
			return 4
		}
		for _, v := range t.vpcs {
			if v.cidr.Contains(dst) {
				return 4
			}
		}
		if t.enis[from].instanceID != "" {
			return 8
		}
		return 2
	}
	icmpType := 0
	if c.proto == 1 {
		icmpType = 8
	}
	req := packet{proto: c.proto, src: c.cli.addr, dst: c.srv.addr, sport: c.cli.port, dport: c.srv.port, icmpType: icmpType}
	rep := req.reversed()
	cs, ss := subnetOf(c.cli.eni), subnetOf(c.srv.eni)
	if c.nat < 0 {
		cross := cs != ss || cs < 0
		st := g.steps[:4]
		st[0] = step{eni: c.cli.eni, egress: true, src: req.src, dst: req.dst, sport: req.sport, dport: req.dport, pkt: req, sg: true, nacl: cross}
		st[1] = step{eni: c.srv.eni, src: req.src, dst: req.dst, sport: req.sport, dport: req.dport, pkt: req, sg: true, nacl: cross}
		st[2] = step{eni: c.srv.eni, egress: true, reply: true, src: rep.src, dst: rep.dst, sport: rep.sport, dport: rep.dport, pkt: rep, nacl: cross}
		st[3] = step{eni: c.cli.eni, reply: true, src: rep.src, dst: rep.dst, sport: rep.sport, dport: rep.dport, pkt: rep, nacl: cross}
		if c.cli.eni >= 0 {
			st[0].path = pathTo(c.cli.eni, req.dst)
		}
		if c.srv.eni >= 0 {
			st[2].path = pathTo(c.srv.eni, rep.dst)
		}
		if c.respPkts == 0 {
			return st[:2]
		}
		return st
	}
	// Through a NAT gateway: instance -> NAT ENI -> internet and back. The
	// NAT ENI logs its own private address with the real peer in pkt-*.
	nat := c.nat
	natAddr := t.enis[nat].addr
	out := packet{proto: c.proto, src: natAddr, dst: req.dst, sport: c.natPort, dport: req.dport}
	back := out.reversed()
	st := g.steps[:6]
	st[0] = step{eni: c.cli.eni, egress: true, src: req.src, dst: req.dst, sport: req.sport, dport: req.dport, pkt: req, sg: true, nacl: true, path: 1}
	st[1] = step{eni: nat, src: req.src, dst: natAddr, sport: req.sport, dport: req.dport, pkt: req, sg: true, nacl: true}
	st[2] = step{eni: nat, egress: true, src: natAddr, dst: out.dst, sport: out.sport, dport: out.dport, pkt: out, sg: true, nacl: true, path: 2}
	st[3] = step{eni: nat, reply: true, src: back.src, dst: natAddr, sport: back.sport, dport: back.dport, pkt: back, nacl: true}
	st[4] = step{eni: nat, egress: true, reply: true, src: natAddr, dst: rep.dst, sport: rep.sport, dport: rep.dport, pkt: rep, nacl: true, path: 1}
	st[5] = step{eni: c.cli.eni, reply: true, src: rep.src, dst: rep.dst, sport: rep.sport, dport: rep.dport, pkt: rep, nacl: true}
	return st
}

// decide evaluates c against the topology and records where it is dropped.
// A dropped conversation lasts one window: the client gives up.
func (g *generator) decide(c *conv) {
	c.drop, c.why = g.t.evaluate(g.buildSteps(c))
	if c.drop >= 0 {
		c.windows = 1
		c.reqPkts = 1 + g.r.IntN(3) // retransmitted SYNs, or the rejected packets
		c.respPkts = min(c.respPkts, c.reqPkts)
	}
}

// window writes the records of c's next window, then schedules the one after.
func (g *generator) window(c *conv) {
	steps := g.buildSteps(c)
	n := len(steps)
	if c.drop >= 0 {
		n = c.drop + 1
	}
	records := int64(0)
	for i := range n {
		if steps[i].eni >= 0 {
			records++
		}
	}
	if records > g.left {
		// The dump ends here: a conversation that does not fit is not
		// started, and open ones are cut at a window boundary. Fill the
		// rest with single records.
		if c.done == 0 {
			g.count(c, -1)
		}
		for g.left > 0 {
			g.gap()
		}
		return
	}
	base := c.due / 1000000
	if c.done == 0 {
		base -= int64(g.r.IntN(3))
	}
	dur := int64(1 + g.r.IntN(58))
	first, last := c.done == 0, c.done == c.windows-1
	for i := range n {
		s := &steps[i]
		if s.eni < 0 {
			continue
		}
		r := rec{eni: s.eni, src: s.src, dst: s.dst, sport: s.sport, dport: s.dport, proto: c.proto,
			pktSrc: s.pkt.src, pktDst: s.pkt.dst, egress: s.egress, path: s.path,
			status: flowlog.LogStatusOK, action: flowlog.ActionAccept}
		if s.egress {
			r.dir = flowlog.DirEgress
		} else {
			r.dir = flowlog.DirIngress
		}
		if i == c.drop {
			r.action = flowlog.ActionReject
			if inc := g.incident(c); inc >= 0 {
				g.incRecords[inc]++
			}
		}
		pk, size := c.reqPkts, c.reqSize
		if s.reply {
			pk, size = c.respPkts, c.respSize
		}
		pk += g.r.IntN(2)
		r.packets = int64(pk)
		r.bytes = int64(pk*size + g.r.IntN(size/4+1))
		if c.proto == 6 {
			r.flags = tcpFlags(c, s.reply, first, last)
		}
		r.start = base + int64(i/2)
		r.end = r.start + dur
		g.emit(c.scen, &r)
	}
	c.done++
	g.clock += records * g.usPer
	if c.done < c.windows {
		c.due += windowUS - 2000000 + int64(g.r.IntN(4000000))
		if c.due <= g.clock {
			c.due = g.clock + 1
		}
		heap.Push(&g.pending, *c)
		return
	}
	if c.drop < 0 && c.nat < 0 && c.proto == 6 && c.cli.eni >= 0 && c.srv.eni >= 0 && !c.forced &&
		g.r.IntN(reuseSample) == 0 {
		i := g.ringN % len(g.ring)
		g.ring[i], g.ringEnd[i] = *c, g.clock
		g.ringN++
	}
}

// tcpFlags returns the OR of the TCP flags of one direction in one window.
func tcpFlags(c *conv, reply, first, last bool) uint8 {
	if c.forced {
		if reply {
			return flowlog.FlagSYN | flowlog.FlagACK
		}
		return c.flags
	}
	var f uint8
	if first {
		f = flowlog.FlagSYN
		if reply {
			f |= flowlog.FlagACK
		}
	}
	if last && c.drop < 0 {
		f |= flowlog.FlagFIN
	}
	return f
}

// rec is one record to write.
type rec struct {
	eni            int32
	src, dst       netip.Addr
	sport, dport   uint16
	proto          uint8
	pktSrc, pktDst netip.Addr
	packets, bytes int64
	start, end     int64
	action         flowlog.Action
	status         flowlog.LogStatus
	flags          uint8
	dir            flowlog.Direction
	egress         bool
	path           uint8
}

func (g *generator) emit(s scenario, r *rec) {
	g.line = g.appendRecord(g.line[:0], r)
	g.out.line(g.line, r.start)
	g.left--
	g.scenRecords[s]++
	g.actions[r.action]++
	g.statuses[r.status]++
	if r.end > g.maxEnd {
		g.maxEnd = r.end
	}
	if r.status != flowlog.LogStatusOK {
		g.clock += g.usPer
	}
}

func appendAddr(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(b, '-')
	}
	return a.AppendTo(b)
}

func awsService(a netip.Addr) string {
	if s3Range.Contains(a) {
		return "S3"
	}
	return "-"
}

// appendRecord formats r as one line of the output format, newline included.
func (g *generator) appendRecord(b []byte, r *rec) []byte {
	t := g.t
	e := &t.enis[r.eni]
	gap := r.status != flowlog.LogStatusOK
	if g.o.Format == FormatV5 {
		b = append(b, "5 "...)
	} else {
		b = append(b, "2 "...)
	}
	b = append(b, AccountID...)
	b = append(b, ' ')
	b = append(b, e.id...)
	b = append(b, ' ')
	if gap {
		b = append(b, "- - - - - - -"...)
	} else {
		b = appendAddr(b, r.src)
		b = append(b, ' ')
		b = appendAddr(b, r.dst)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(r.sport), 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(r.dport), 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(r.proto), 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, r.packets, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, r.bytes, 10)
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, r.start, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, r.end, 10)
	b = append(b, ' ')
	b = append(b, r.action.String()...)
	b = append(b, ' ')
	b = append(b, r.status.String()...)
	if g.o.Format == FormatV5 {
		sn := &t.subnets[e.subnet]
		b = append(b, ' ')
		b = append(b, t.vpcs[sn.vpc].id...)
		b = append(b, ' ')
		b = append(b, sn.id...)
		b = append(b, ' ')
		if e.instanceID != "" {
			b = append(b, e.instanceID...)
		} else {
			b = append(b, '-')
		}
		if gap {
			b = append(b, " - - - -"...)
		} else {
			b = append(b, ' ')
			if r.proto == 6 {
				b = strconv.AppendUint(b, uint64(r.flags), 10)
			} else {
				b = append(b, '0')
			}
			b = append(b, " IPv4 "...)
			b = appendAddr(b, r.pktSrc)
			b = append(b, ' ')
			b = appendAddr(b, r.pktDst)
		}
		b = append(b, ' ')
		b = append(b, Region...)
		b = append(b, ' ')
		b = append(b, azIDs[sn.az]...)
		b = append(b, " - -"...)
		if gap {
			b = append(b, " - - - -"...)
		} else {
			b = append(b, ' ')
			b = append(b, awsService(r.pktSrc)...)
			b = append(b, ' ')
			b = append(b, awsService(r.pktDst)...)
			b = append(b, ' ')
			b = append(b, r.dir.String()...)
			b = append(b, ' ')
			if r.egress && r.path != 0 {
				b = strconv.AppendUint(b, uint64(r.path), 10)
			} else {
				b = append(b, '-')
			}
		}
	}
	return append(b, '\n')
}

// manifest summarises the run.
func (g *generator) manifest(files []FileInfo) *Manifest {
	t := g.t
	m := &Manifest{
		Seed: g.o.Seed, Format: g.o.Format.String(), Gzip: g.o.Gzip, Header: g.o.Header,
		Start: g.o.Start.UTC().Format(time.RFC3339), Records: g.o.Records - g.left,
		Files: files, Topology: t.Counts(),
		Actions:  map[string]int64{},
		Statuses: map[string]int64{},
	}
	if files == nil {
		m.Files = []FileInfo{}
	}
	if g.maxEnd > 0 {
		m.End = time.Unix(g.maxEnd, 0).UTC().Format(time.RFC3339)
	}
	for a, n := range g.actions {
		if n > 0 {
			m.Actions[flowlog.Action(a).String()] = n
		}
	}
	for s, n := range g.statuses {
		if n > 0 {
			m.Statuses[flowlog.LogStatus(s).String()] = n
		}
	}
	for i, in := range t.incidents {
		m.Incidents = append(m.Incidents, IncidentCount{Incident: in, Conversations: g.incConvs[i], Records: g.incRecords[i]})
	}
	for s := range numScenarios {
		m.Scenarios = append(m.Scenarios, ScenarioCount{Name: scenarioNames[s], Conversations: g.scenConvs[s],
			Rejected: g.scenRejected[s], Records: g.scenRecords[s]})
	}
	m.Drops = []DropCount{}
	for k, n := range g.drops {
		ex := k.r
		if ex.kind == checkSG {
			ex.num = g.dropExample[k] // an ENI carrying the groups
		}
		d := DropCount{Rule: t.describe(ex), Conversations: n}
		if k.inc >= 0 {
			d.Incident = t.incidents[k.inc].Name
		}
		m.Drops = append(m.Drops, d)
	}
	sort.Slice(m.Drops, func(i, j int) bool {
		if m.Drops[i].Conversations != m.Drops[j].Conversations {
			return m.Drops[i].Conversations > m.Drops[j].Conversations
		}
		if m.Drops[i].Rule != m.Drops[j].Rule {
			return m.Drops[i].Rule < m.Drops[j].Rule
		}
		return m.Drops[i].Incident < m.Drops[j].Incident
	})
	return m
}
