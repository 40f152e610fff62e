package gen

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.sha256")

// generate runs Generate into a temporary directory.
func generate(t *testing.T, o Options) (string, *Manifest) {
	t.Helper()
	dir := t.TempDir()
	m, err := Generate(dir, o)
	if err != nil {
		t.Fatalf("Generate(%+v) = %v", o, err)
	}
	return dir, m
}

// digest hashes every file under dir (path and content, in path order).
func digest(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s\n%d\n", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

var goldenCases = []struct {
	name string
	o    Options
}{
	{"v2", Options{Seed: 1, Records: 20000}},
	{"v2-header", Options{Seed: 1, Records: 20000, Header: true}},
	{"v5", Options{Seed: 7, Records: 20000, Format: FormatV5}},
	{"v2-gzip-s3", Options{Seed: 3, Records: 20000, Gzip: true, Files: 4}},
}

// TestDeterministic checks that the same options give byte-identical output
// twice in a row, and the same bytes as when the golden hashes were taken.
func TestDeterministic(t *testing.T) {
	goldenPath := filepath.Join("testdata", "golden.sha256")
	want := map[string]string{}
	if b, err := os.ReadFile(goldenPath); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if f := strings.Fields(l); len(f) == 2 {
				want[f[1]] = f[0]
			}
		}
	} else if !*update {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	var got strings.Builder
	for _, tc := range goldenCases {
		d1, _ := generate(t, tc.o)
		d2, _ := generate(t, tc.o)
		h1, h2 := digest(t, d1), digest(t, d2)
		if h1 != h2 {
			t.Errorf("%s: two runs differ: %s vs %s", tc.name, h1, h2)
		}
		if !*update && want[tc.name] != h1 {
			t.Errorf("%s: output hash %s; golden %s (if the change is intended, run go test -update)", tc.name, h1, want[tc.name])
		}
		fmt.Fprintf(&got, "%s %s\n", h1, tc.name)
	}
	if *update {
		if err := os.WriteFile(goldenPath, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A different seed gives different records.
	a, _ := generate(t, Options{Seed: 1, Records: 1000})
	b, _ := generate(t, Options{Seed: 2, Records: 1000})
	if digest(t, a) == digest(t, b) {
		t.Error("seeds 1 and 2 gave identical output")
	}
}

// line is one parsed record, checked by hand (not with the flowlog parser,
// so the generator is tested independently of it).
type line struct {
	pos                  string
	eni                  string
	src, dst             netip.Addr
	sport, dport         int
	proto                int
	packets, bytes       int64
	start, end           int64
	action, status       string
	pktSrc, pktDst       netip.Addr
	flags                int
	direction, trafficPt string
	gap                  bool
}

// readLines reads every flow log file of a generated directory and checks
// each line: field count, numbers, addresses, enumerations.
func readLines(t *testing.T, dir string, m *Manifest, topo *Topology) []line {
	t.Helper()
	ids := map[string]bool{}
	for _, e := range topo.enis {
		ids[e.id] = true
	}
	nf := 14
	if m.Format == "v5" {
		nf = 29
	}
	var out []line
	for _, f := range m.Files {
		fh, err := os.Open(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = fh
		if m.Gzip {
			gz, err := gzip.NewReader(fh)
			if err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
			r = gz
		}
		sc := bufio.NewScanner(r)
		n, records := 0, int64(0)
		for sc.Scan() {
			n++
			pos := fmt.Sprintf("%s:%d", f.Path, n)
			text := sc.Text()
			if n == 1 && m.Header {
				hdr := headerV2
				if m.Format == "v5" {
					hdr = headerV5
				}
				if text != hdr {
					t.Fatalf("%s: header %q; want %q", pos, text, hdr)
				}
				continue
			}
			records++
			out = append(out, parseLine(t, pos, text, nf, ids))
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		fh.Close()
		if records != f.Records {
			t.Errorf("%s: %d records; manifest says %d", f.Path, records, f.Records)
		}
	}
	return out
}

func parseLine(t *testing.T, pos, text string, nf int, enis map[string]bool) line {
	t.Helper()
	f := strings.Split(text, " ")
	if len(f) != nf {
		t.Fatalf("%s: %d fields; want %d: %q", pos, len(f), nf, text)
	}
	fail := func(field, v, want string) {
		t.Helper()
		t.Fatalf("%s: field %s: %q is not %s", pos, field, v, want)
	}
	num := func(i int, name string, max int64) int64 {
		t.Helper()
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil || v < 0 || v > max {
			fail(name, f[i], fmt.Sprintf("a number 0-%d", max))
		}
		return v
	}
	addr := func(i int, name string) netip.Addr {
		t.Helper()
		a, err := netip.ParseAddr(f[i])
		if err != nil || !a.Is4() {
			fail(name, f[i], "an IPv4 address")
		}
		return a
	}
	var l line
	l.pos = pos
	wantVersion := "2"
	if nf == 29 {
		wantVersion = "5"
	}
	if f[0] != wantVersion {
		fail("version", f[0], wantVersion)
	}
	if f[1] != AccountID {
		fail("account-id", f[1], AccountID)
	}
	if !enis[f[2]] {
		fail("interface-id", f[2], "an ENI of topology.yaml")
	}
	l.eni = f[2]
	l.status = f[13]
	l.start, l.end = num(10, "start", 1<<40), num(11, "end", 1<<40)
	if l.end < l.start {
		t.Fatalf("%s: end %d before start %d", pos, l.end, l.start)
	}
	switch l.status {
	case "OK":
		l.src, l.dst = addr(3, "srcaddr"), addr(4, "dstaddr")
		l.sport, l.dport = int(num(5, "srcport", 65535)), int(num(6, "dstport", 65535))
		l.proto = int(num(7, "protocol", 255))
		l.packets, l.bytes = num(8, "packets", 1<<40), num(9, "bytes", 1<<50)
		if l.packets == 0 || l.bytes < l.packets*28 {
			t.Fatalf("%s: %d packets, %d bytes: implausible", pos, l.packets, l.bytes)
		}
		l.action = f[12]
		if l.action != "ACCEPT" && l.action != "REJECT" {
			fail("action", f[12], "ACCEPT or REJECT")
		}
	case "NODATA", "SKIPDATA":
		l.gap = true
		for i := 3; i <= 9; i++ {
			if f[i] != "-" {
				fail("field", f[i], "- in a gap record")
			}
		}
		if f[12] != "-" {
			fail("action", f[12], "- in a gap record")
		}
	default:
		fail("log-status", f[13], "OK, NODATA or SKIPDATA")
	}
	if nf == 29 {
		if !strings.HasPrefix(f[14], "vpc-") || !strings.HasPrefix(f[15], "subnet-") ||
			(f[16] != "-" && !strings.HasPrefix(f[16], "i-")) {
			t.Fatalf("%s: bad vpc-id/subnet-id/instance-id %q %q %q", pos, f[14], f[15], f[16])
		}
		if f[21] != Region || !strings.HasPrefix(f[22], "use1-az") || f[23] != "-" || f[24] != "-" {
			t.Fatalf("%s: bad region/az-id/sublocation %q", pos, f[21:25])
		}
		if !l.gap {
			l.flags = int(num(17, "tcp-flags", 255))
			if f[18] != "IPv4" {
				fail("type", f[18], "IPv4")
			}
			l.pktSrc, l.pktDst = addr(19, "pkt-srcaddr"), addr(20, "pkt-dstaddr")
			l.direction, l.trafficPt = f[27], f[28]
			if l.direction != "ingress" && l.direction != "egress" {
				fail("flow-direction", f[27], "ingress or egress")
			}
			if l.direction == "ingress" && l.trafficPt != "-" {
				fail("traffic-path", f[28], "- on an ingress record")
			}
			if l.direction == "egress" {
				if v, err := strconv.Atoi(l.trafficPt); err != nil || v < 1 || v > 8 {
					fail("traffic-path", f[28], "1-8 on an egress record")
				}
			}
		}
	}
	return l
}

// TestRecordsWellFormed parses every line of each format and checks the
// counts against the options and the manifest.
func TestRecordsWellFormed(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			dir, m := generate(t, tc.o)
			lines := readLines(t, dir, m, Build(tc.o.Seed))
			if int64(len(lines)) != tc.o.Records || m.Records != tc.o.Records {
				t.Fatalf("%d lines, manifest %d; want %d", len(lines), m.Records, tc.o.Records)
			}
			files := max(tc.o.Files, 1)
			if len(m.Files) != files {
				t.Errorf("%d files; want %d", len(m.Files), files)
			}
			var sum, acts int64
			for _, s := range m.Scenarios {
				sum += s.Records
			}
			for _, n := range m.Actions {
				acts += n
			}
			if sum != tc.o.Records || acts != tc.o.Records {
				t.Errorf("manifest: scenario records sum to %d, actions to %d; want %d", sum, acts, tc.o.Records)
			}
			rejects := int64(0)
			for _, l := range lines {
				if l.action == "REJECT" {
					rejects++
				}
			}
			if rejects != m.Actions["REJECT"] {
				t.Errorf("%d REJECT lines; manifest says %d", rejects, m.Actions["REJECT"])
			}
		})
	}
}

// TestExactCounts checks --records is honoured exactly for sizes that end
// inside a conversation or a scan burst.
func TestExactCounts(t *testing.T) {
	for _, n := range []int64{0, 1, 2, 3, 5, 17, 999, 4096} {
		dir, m := generate(t, Options{Seed: uint64(n), Records: n})
		lines := readLines(t, dir, m, Build(uint64(n)))
		if int64(len(lines)) != n {
			t.Errorf("Records %d: wrote %d lines", n, len(lines))
		}
	}
}

type tupleKey struct {
	eni          string
	src, dst     netip.Addr
	sport, dport int
	proto        int
	start        int64
}

// TestRequestReply checks the records agree with each other and with the
// topology: a packet leaving one ENI toward another ENI of the topology
// (egress ACCEPT) arrives there (an ingress record in the same window), every
// accepted reply has its request on the same ENI, and the deliberate
// misconfigurations reject exactly the traffic they should.
func TestRequestReply(t *testing.T) {
	o := Options{Seed: 11, Records: 60000, Format: FormatV5, Rate: 40}
	dir, m := generate(t, o)
	topo := Build(o.Seed)
	lines := readLines(t, dir, m, topo)
	type eniInfo struct {
		e  *eni
		sn *subnet
	}
	byID := map[string]eniInfo{}
	for i := range topo.enis {
		e := &topo.enis[i]
		byID[e.id] = eniInfo{e, &topo.subnets[e.subnet]}
	}
	seen := map[tupleKey]string{} // -> action
	for _, l := range lines {
		if !l.gap {
			seen[tupleKey{l.eni, l.src, l.dst, l.sport, l.dport, l.proto, l.start}] = l.action
		}
	}
	last := lines[len(lines)-1].start
	var checked, replies int
	for _, l := range lines {
		if l.gap || l.start >= last-1 {
			continue // the dump may end between the records of a window
		}
		info := byID[l.eni]
		own := info.e.addr
		// Direction from the addresses agrees with flow-direction.
		switch {
		case l.src == own && l.direction != "egress", l.dst == own && l.src != own && l.direction != "ingress":
			t.Fatalf("%s: flow-direction %s contradicts the addresses of %s (%s)", l.pos, l.direction, l.eni, own)
		}
		if info.e.role == roleNAT {
			continue
		}
		if l.direction == "egress" && l.action == "ACCEPT" {
			if pi, ok := topo.byAddr[l.dst]; ok && topo.enis[pi].addr == l.dst && topo.enis[pi].role != roleNAT {
				peer := topo.enis[pi].id
				if _, ok := seen[tupleKey{peer, l.src, l.dst, l.sport, l.dport, l.proto, l.start}]; !ok {
					t.Errorf("%s: egress ACCEPT %v:%d -> %v:%d on %s has no ingress record on %s", l.pos, l.src, l.sport, l.dst, l.dport, l.eni, peer)
				}
				checked++
			}
		}
		// A SYN-ACK on an ENI answers a SYN seen on the same ENI.
		if l.proto == 6 && l.flags&18 == 18 {
			found := false
			for d := int64(0); d <= 3 && !found; d++ {
				_, found = seen[tupleKey{l.eni, l.dst, l.src, l.dport, l.sport, l.proto, l.start - d}]
			}
			if !found {
				t.Errorf("%s: SYN-ACK %v:%d -> %v:%d without its request on %s", l.pos, l.src, l.sport, l.dst, l.dport, l.eni)
			}
			replies++
		}
		// The incidents.
		srcInfo, srcOurs := topo.byAddr[l.src]
		switch {
		case info.sn.nacl == topo.ephemeralNACL && l.action == "REJECT":
			if l.direction != "egress" || l.sport < 1024 && l.sport != 22 || l.flags != 18 {
				t.Errorf("%s: REJECT on data-c is not a reply leaving the subnet: %+v", l.pos, l)
			}
		case info.e.role == roleApp && l.direction == "ingress" && pfx("10.1.8.0/22").Contains(l.src):
			if l.action != "REJECT" {
				t.Errorf("%s: %s from ops-c reached an app ENI past NACL deny #90", l.pos, l.action)
			}
		case info.e.role == roleApp && l.direction == "ingress" && l.dport == 8443 && srcOurs &&
			topo.enis[srcInfo].service == topo.brokenCaller && info.e.service == topo.brokenCallee:
			if l.action != "REJECT" {
				t.Errorf("%s: call %s -> %s was %s; the callee's SG has no rule for it", l.pos,
					topo.svcNames[topo.brokenCaller], topo.svcNames[topo.brokenCallee], l.action)
			}
		}
	}
	if checked < 1000 || replies < 1000 {
		t.Errorf("only %d intra-VPC egress records and %d SYN-ACKs checked; the sample is too small", checked, replies)
	}
	for _, in := range m.Incidents {
		if in.Conversations == 0 || in.Records == 0 {
			t.Errorf("incident %s produced no rejected conversation: %+v", in.Name, in)
		}
	}
	for _, s := range m.Scenarios {
		if s.Conversations == 0 {
			t.Errorf("scenario %s produced no conversation", s.Name)
		}
	}
}

// TestLongConversations checks that some 5-tuples span several windows on
// one ENI, with tcp-flags SYN in the first and FIN in the last.
func TestLongConversations(t *testing.T) {
	o := Options{Seed: 5, Records: 30000, Format: FormatV5, Rate: 20}
	dir, m := generate(t, o)
	lines := readLines(t, dir, m, Build(o.Seed))
	type k struct {
		eni      string
		src, dst netip.Addr
		sp, dp   int
	}
	windows := map[k][]line{}
	for _, l := range lines {
		if !l.gap && l.proto == 6 && l.action == "ACCEPT" {
			key := k{l.eni, l.src, l.dst, l.sport, l.dport}
			windows[key] = append(windows[key], l)
		}
	}
	multi := 0
	for _, ls := range windows {
		if len(ls) < 3 {
			continue
		}
		multi++
		for i := 1; i < len(ls); i++ {
			if ls[i].start-ls[i-1].start < 50 {
				t.Fatalf("%s: window %d starts %ds after the previous one; want about 60s", ls[i].pos, i, ls[i].start-ls[i-1].start)
			}
		}
	}
	if multi < 100 {
		t.Errorf("%d conversations span 3 or more windows; want many", multi)
	}
}

// TestTopologyYAML decodes topology.yaml strictly into the documented shape
// and checks every cross-reference.
func TestTopologyYAML(t *testing.T) {
	var buf bytes.Buffer
	topo := Build(1)
	if err := topo.WriteYAML(&buf); err != nil {
		t.Fatal(err)
	}
	doc := decodeTopology(t, buf.Bytes())
	c := topo.Counts()
	if len(doc.VPCs) != 2 || len(doc.Subnets) != 12 || len(doc.SecurityGroups) != c.SecurityGroups ||
		len(doc.NetworkACLs) != 8 || len(doc.ENIs) != c.ENIs || len(doc.PrefixLists) != 1 {
		t.Fatalf("decoded %d vpcs, %d subnets, %d sgs, %d nacls, %d enis, %d prefix lists",
			len(doc.VPCs), len(doc.Subnets), len(doc.SecurityGroups), len(doc.NetworkACLs), len(doc.ENIs), len(doc.PrefixLists))
	}
	if c.ENIs < 1900 || c.ENIs > 2100 || c.SecurityGroups < 35 || c.SecurityGroups > 45 {
		t.Errorf("counts %+v; want about 2000 ENIs and 40 security groups", c)
	}
	checkReferences(t, doc)
	var b2 bytes.Buffer
	if err := Build(1).WriteYAML(&b2); err != nil || !bytes.Equal(buf.Bytes(), b2.Bytes()) {
		t.Error("two builds with the same seed give different YAML")
	}
}

func TestManifestJSON(t *testing.T) {
	dir, m := generate(t, Options{Seed: 2, Records: 3000, Gzip: true})
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Manifest
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Records != 3000 || len(back.Files) != 1 || back.Files[0].Path != "flows.log.gz" || back.Topology != m.Topology {
		t.Errorf("MANIFEST.json round trip: %+v", back)
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Records: -1}, "records: -1 is negative"},
		{Options{Format: 9}, "format: 9 is not v2 or v5"},
		{Options{Files: -2}, "files: -2 is negative"},
		{Options{Rate: -5}, "rate: -5 is negative"},
		{Options{ScanShare: 1}, "scan share: 1 is not a share"},
		{Options{ScanShare: -0.5}, "scan share: -0.5 is not a share"},
	} {
		_, err := Generate(t.TempDir(), tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Generate(%+v) = %v; want error containing %q", tc.o, err, tc.want)
		}
	}
	if _, err := ParseFormat("v3"); err == nil || !strings.Contains(err.Error(), `"v3"`) {
		t.Errorf("ParseFormat(v3) = %v", err)
	}
}

// TestUnwritableOutput checks a write error is reported, not swallowed.
func TestUnwritableOutput(t *testing.T) {
	dir := t.TempDir()
	// A regular file where the directory should be.
	p := filepath.Join(dir, "file")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(filepath.Join(p, "out"), Options{Records: 10}); err == nil {
		t.Error("Generate into a path under a regular file succeeded")
	}
}

// With ScanShare, port-scan probes make about that share of the records,
// in bursts of 1,000 to 2,000 one-record conversations.
func TestScanShare(t *testing.T) {
	for _, share := range []float64{0.5, 0.9} {
		_, m := generate(t, Options{Seed: 3, Records: 200_000, Rate: 10_000, ScanShare: share})
		var total, scan, convs int64
		for _, s := range m.Scenarios {
			total += s.Records
			if s.Name == "port-scan" {
				scan, convs = s.Records, s.Conversations
			}
		}
		if got := float64(scan) / float64(total); got < share-0.05 || got > share+0.05 {
			t.Errorf("share %g: scans are %.3f of %d records", share, got, total)
		}
		if scan > convs*11/10 {
			t.Errorf("share %g: %d scan records for %d conversations; want about one each", share, scan, convs)
		}
	}
}
