package review

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowdiag/flowdiag/engine"
	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/topology"
)

var (
	bundledPolicy   = filepath.Join("..", "testdata", "review", "policy.yaml")
	bundledTopology = filepath.Join("..", "testdata", "review", "topology.yaml")
	bundledIncident = filepath.Join("..", "testdata", "review", "incident.log")
	reviewNow       = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
)

func compileBundled(t *testing.T, withTopo bool) *Compiled {
	t.Helper()
	p, err := LoadFile(bundledPolicy)
	if err != nil {
		t.Fatal(err)
	}
	var topo *topology.Topology
	if withTopo {
		if topo, err = topology.Load(bundledTopology); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Compile(p, topo, reviewNow)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func runBundled(t *testing.T, c *Compiled) []Finding {
	t.Helper()
	var opts flowlog.StreamOptions
	opts.Strict = true
	st, err := flowlog.OpenStream([]string{bundledIncident}, strings.NewReader(""), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []Finding
	if _, err := c.Run(st, engine.RunOptions{}, func(f *Finding) error { out = append(out, *f); return nil }); err != nil {
		t.Fatal(err)
	}
	Sort(out)
	return out
}

func TestScratch(t *testing.T) {
	c := compileBundled(t, true)
	fs := runBundled(t, c)
	fs = append(fs, c.Analyze()...)
	fs = append(fs, c.PolicyFindings()...)
	Sort(fs)
	for _, f := range fs {
		b, _ := f.MarshalJSON()
		t.Logf("%s", b)
	}
	_ = os.Stdout
}
