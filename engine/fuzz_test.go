package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/flowdiag/flowdiag/correlate"
	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/rules"
	"github.com/flowdiag/flowdiag/topology"
)

// FuzzDiagnose drives the built-in rules over arbitrary conversations: the
// fuzzer's bytes choose records among the test topology's ENIs and
// addresses (its own, another's, public, internet, IPv6, unknown ENIs),
// protocols, ports, actions, flags and directions, in a v5 format that
// carries them. With and without the topology, no built-in rule may fail at
// run time (a template or blame expression erring on facts it did not
// expect), no diagnosis may lack a rule, verdict or message or blame a
// component of another kind than its verdict, and nothing may panic.
func FuzzDiagnose(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{1, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte("\x05\x00\x01\x02\x03\x00\x05\x01\x02\x00\x04\x01\x09\x07\x03\x02\x01"))
	set, err := rules.LoadBuiltin()
	if err != nil {
		f.Fatal(err)
	}
	topo, err := topology.ParseYAML("test.yaml", []byte(testTopology))
	if err != nil {
		f.Fatal(err)
	}
	withTopo, err := New(set, topo)
	if err != nil {
		f.Fatal(err)
	}
	logsOnly, err := New(set, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		log := fuzzLog(data)
		for _, eng := range []*Engine{withTopo, logsOnly} {
			r := flowlog.NewReader(strings.NewReader(log), "f.log", flowlog.ReaderOptions{Strict: true})
			var hints correlate.Hints
			if eng.Topology() != nil {
				hints = Hints(eng.Topology())
			}
			stats, err := eng.Run(r, RunOptions{Correlate: correlate.Options{Hints: hints}}, func(d *Diagnosis) error {
				if d.Rule == "" || d.Verdict == "" || d.Message == "" {
					return fmt.Errorf("incomplete diagnosis %+v", d)
				}
				// What a diagnosis blames must be of the kind its verdict
				// names, and a NACL blamed by id has the rule number.
				switch {
				case d.Verdict == "nacl" && d.Component != "" && (!strings.HasPrefix(d.Component, "acl-") || d.NACLRule <= 0):
					return fmt.Errorf("%s: nacl verdict blames %q rule %d", d.Rule, d.Component, d.NACLRule)
				case d.Verdict == "sg" && d.Component != "" && !strings.HasPrefix(d.Component, "sg-"):
					return fmt.Errorf("%s: sg verdict blames %q", d.Rule, d.Component)
				case d.ENI != "" && !strings.Contains(d.ENI, "eni-"):
					return fmt.Errorf("%s: eni %q", d.Rule, d.ENI)
				case d.Packets < 0 || d.Bytes < 0:
					return fmt.Errorf("%s: %d packets, %d bytes", d.Rule, d.Packets, d.Bytes)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("topology %v: %v\n%s", eng.Topology() != nil, err, log)
			}
			if len(stats.RuleFailures) > 0 {
				fl := stats.RuleFailures[0]
				t.Fatalf("topology %v: rule %s failed at run time (%s) on %s: %s\n%s", eng.Topology() != nil, fl.Rule, fl.Field, fl.Conversation, fl.First, log)
			}
		}
	})
}

// fuzzLog turns bytes into v5 records, each from 8 bytes: ENI, source,
// destination, protocol, ports, action, flags and direction, time.
func fuzzLog(data []byte) string {
	enis := []string{"eni-a1", "eni-a2", "eni-a3", "eni-b1", "eni-x9"}
	addrs := []string{"10.0.1.10", "10.0.1.200", "10.0.1.11", "10.0.2.20", "203.0.113.20", "198.51.100.7", "10.9.9.9", "2001:db8::1", "2001:db8::2"}
	protos := []int{6, 6, 6, 17, 1, 58, 47}
	ports := []int{443, 22, 53, 8080, 33000, 51234, 123, 0}
	flags := []string{"2", "18", "16", "1", "4", "3", "0", "-"}
	var b strings.Builder
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags flow-direction\n")
	for i := 0; i+8 <= len(data) && i < 8*64; i += 8 {
		d := data[i : i+8]
		eni := enis[int(d[0])%len(enis)]
		if d[5]%16 == 15 {
			fmt.Fprintf(&b, "5 111122223333 %s - - - - - - - %d %d - NODATA - -\n", eni, 1000+int(d[7])*10, 1060+int(d[7])*10)
			continue
		}
		src, dst := addrs[int(d[1])%len(addrs)], addrs[int(d[2])%len(addrs)]
		if strings.Contains(src, ":") != strings.Contains(dst, ":") {
			dst = src
		}
		proto := protos[int(d[3])%len(protos)]
		sp, dp := ports[int(d[4])%len(ports)], ports[int(d[4]>>3)%len(ports)]
		if proto != 6 && proto != 17 {
			sp, dp = 0, 0
		}
		action := "ACCEPT"
		if d[5]&1 == 1 {
			action = "REJECT"
		}
		fl := flags[int(d[6])%len(flags)]
		if proto != 6 {
			fl = "-"
		}
		dir := []string{"ingress", "egress", "-"}[int(d[6]>>4)%3]
		start := 1000 + int(d[7])*10
		fmt.Fprintf(&b, "5 111122223333 %s %s %s %d %d %d %d %d %d %d %s OK %s %s\n",
			eni, src, dst, sp, dp, proto, 1+int(d[5]>>1)%5, 60*(1+int(d[5]>>1)%5), start, start+59, action, fl, dir)
	}
	return b.String()
}
