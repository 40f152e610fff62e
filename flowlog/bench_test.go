package flowlog

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
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
