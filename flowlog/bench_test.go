package flowlog

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// genFlowLog generates a realistic flow log of n records with a fixed seed:
// many ENIs, mostly IPv4 with some IPv6, ACCEPT and REJECT, NODATA and
// SKIPDATA records, in the default format (v2) or a v5 format with header.
func genFlowLog(n int, v5 bool) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	if v5 {
		b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path\n")
	}
	const enis = 400
	addr := func() netip.Addr {
		if rng.IntN(20) == 0 {
			var a [16]byte
			a[0], a[1], a[2], a[3] = 0x20, 0x01, 0x0d, 0xb8
			for i := 8; i < 16; i++ {
				a[i] = byte(rng.IntN(256))
			}
			return netip.AddrFrom16(a)
		}
		if rng.IntN(3) == 0 {
			return netip.AddrFrom4([4]byte{byte(1 + rng.IntN(223)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))})
		}
		return netip.AddrFrom4([4]byte{10, byte(rng.IntN(4)), byte(rng.IntN(256)), byte(1 + rng.IntN(254))})
	}
	ports := []int{22, 53, 80, 443, 3306, 3389, 5432, 6379, 8080, 9200}
	services := []string{"-", "-", "-", "S3", "AMAZON", "EC2", "DYNAMODB"}
	start := int64(1700000000)
	for i := range n {
		eni := rng.IntN(enis)
		v := 2
		if v5 {
			v = 5
		}
		st := start + int64(i/50)
		if rng.IntN(50) == 0 {
			status := "NODATA"
			if rng.IntN(4) == 0 {
				status = "SKIPDATA"
			}
			fmt.Fprintf(&b, "%d 123456789012 eni-%017x - - - - - - - %d %d - %s", v, eni*7919, st, st+60, status)
			if v5 {
				fmt.Fprintf(&b, " vpc-%017x subnet-%017x - - - - - us-east-1 use1-az%d - - - - - -", eni%7, eni%31, 1+eni%6)
			}
			b.WriteByte('\n')
			continue
		}
		src, dst := addr(), addr()
		if src.Is4() != dst.Is4() {
			dst = src
		}
		proto := []int{6, 6, 6, 17, 17, 1}[rng.IntN(6)]
		sport, dport := 1024+rng.IntN(64511), ports[rng.IntN(len(ports))]
		if proto == 1 {
			sport, dport = 0, 0
		}
		action := "ACCEPT"
		if rng.IntN(5) == 0 {
			action = "REJECT"
		}
		pk := 1 + rng.IntN(2000)
		fmt.Fprintf(&b, "%d 123456789012 eni-%017x %s %s %d %d %d %d %d %d %d %s OK", v, eni*7919, src, dst, sport, dport, proto, pk, pk*(40+rng.IntN(1400)), st, st+1+int64(rng.IntN(59)), action)
		if v5 {
			typ := "IPv4"
			if src.Is6() {
				typ = "IPv6"
			}
			dir, path := "ingress", "-"
			if rng.IntN(2) == 0 {
				dir, path = "egress", fmt.Sprint(1+rng.IntN(8))
			}
			fmt.Fprintf(&b, " vpc-%017x subnet-%017x i-%017x %d %s %s %s us-east-1 use1-az%d - - %s %s %s %s",
				eni%7, eni%31, eni, []int{0, 2, 18, 3, 19, 1, 4}[rng.IntN(7)], typ, src, dst, 1+eni%6,
				services[rng.IntN(len(services))], services[rng.IntN(len(services))], dir, path)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// checkGenerated asserts the fixture is what the benchmark claims before
// timing it: every line parses, with the expected mix.
func checkGenerated(b *testing.B, data []byte, n int) {
	b.Helper()
	rd := NewReader(bytes.NewReader(data), "gen.log", ReaderOptions{Strict: true})
	var rec Record
	var v6, rejects int
	enis := map[string]bool{}
	for {
		err := rd.Read(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if rec.SrcAddr.Is6() {
			v6++
		}
		if rec.Action == ActionReject {
			rejects++
		}
		enis[rec.InterfaceID] = true
	}
	st := rd.Stats()
	if st.Records != int64(n) || st.Gaps == 0 || v6 == 0 || rejects == 0 || len(enis) < 300 {
		b.Fatalf("fixture: %+v, %d IPv6, %d REJECT, %d ENIs", st, v6, rejects, len(enis))
	}
}

func benchReader(b *testing.B, v5 bool) {
	const n = 100_000
	data := genFlowLog(n, v5)
	checkGenerated(b, data, n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	var rec Record
	for b.Loop() {
		rd := NewReader(bytes.NewReader(data), "gen.log", ReaderOptions{})
		for rd.Read(&rec) == nil {
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkReaderV2(b *testing.B) { benchReader(b, false) }
func BenchmarkReaderV5(b *testing.B) { benchReader(b, true) }

func BenchmarkParseLineV2(b *testing.B) {
	data := genFlowLog(10_000, false)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	p := NewParser(DefaultFormat())
	var rec Record
	for _, l := range lines {
		if err := p.Parse(l, &rec); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(data) / len(lines)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p.Parse(lines[i%len(lines)], &rec)
		i++
	}
}

// A warm Reader allocates nothing per record.
func TestReaderNoAllocs(t *testing.T) {
	data := genFlowLog(5_000, true)
	rd := NewReader(&loopReader{data: data}, "loop.log", ReaderOptions{})
	var rec Record
	for range 20_000 { // warm: every ENI and value interned
		if err := rd.Read(&rec); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(5000, func() {
		if err := rd.Read(&rec); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Reader.Read allocates %v times per record; want 0", n)
	}
}

// loopReader repeats data (after its header line) forever.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	if l.off == len(l.data) {
		l.off = bytes.IndexByte(l.data, '\n') + 1
	}
	n := copy(p, l.data[l.off:])
	l.off += n
	return n, nil
}

// mergedFixture writes data as parts gzip files of consecutive records, the
// way S3 delivers one object per few minutes (genFlowLog's times increase,
// so the files follow each other in time), and returns their paths.
func mergedFixture(tb testing.TB, data []byte, parts int) []string {
	tb.Helper()
	dir := tb.TempDir()
	lines := bytes.SplitAfter(data, []byte("\n"))
	var paths []string
	per := (len(lines) + parts - 1) / parts
	for p := 0; p*per < len(lines); p++ {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		for _, l := range lines[p*per : min((p+1)*per, len(lines))] {
			zw.Write(l)
		}
		zw.Close()
		path := filepath.Join(dir, fmt.Sprintf("part-%02d.log.gz", p))
		if err := os.WriteFile(path, zb.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// wideRec stands for the record a caller keeps (correlate.Rec is about 250
// bytes): big enough that copying or allocating it per record shows.
type wideRec struct {
	rec  Record
	seen int64
}

func readMerged(tb testing.TB, paths []string, workers int) (kept int64) {
	s, err := OpenStream(paths, nil, StreamOptions{MergeByTime: true})
	if err != nil {
		tb.Fatal(err)
	}
	err = ReadParallel(s, workers, func(r *Record, out *wideRec) bool {
		out.rec = *r
		return r.Action != ActionReject // drops some, as a filter would
	}, func(recs []wideRec, read int64) error {
		kept += int64(len(recs))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return kept
}

// BenchmarkReadParallelMerged: a folder of gzip objects read in time order
// (MergeByTime), two workers, as explain reads an S3 dump.
func BenchmarkReadParallelMerged(b *testing.B) {
	const n = 200_000
	data := genFlowLog(n, false)
	paths := mergedFixture(b, data, 8)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		readMerged(b, paths, 2)
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
}

// TestReadParallelMergedAllocs: the merged path does not allocate per
// record (it once allocated every kept record on the heap, 2.5 GB and a
// tenth of the run's CPU on a 10M-record dump of 24 gzip objects).
func TestReadParallelMergedAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 60k records")
	}
	const n = 60_000
	paths := mergedFixture(t, genFlowLog(n, false), 6)
	var kept int64
	allocs := testing.AllocsPerRun(2, func() { kept = readMerged(t, paths, 2) })
	if kept < n/2 {
		t.Fatalf("kept %d of %d records", kept, n)
	}
	// Opening six gzip files, their readers and batches: a few thousand.
	if per := allocs / n; per > 0.1 {
		t.Errorf("%.0f allocations for %d records (%.2f per record); want well under one per record", allocs, n, per)
	}
}
