package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowdiag/flowdiag/internal/gen"
)

// TestExplainAgreesWithGenerator runs explain on a generated VPC (2 VPCs,
// ~2,000 ENIs, 40 security groups, 8 network ACLs) and flow logs whose every
// REJECT was decided by the generator's own evaluation of that topology, and
// checks the diagnoses against its manifest: each deliberate misconfiguration
// is found with its exact component and count, every rejected conversation
// is explained, and none is blamed on a stale topology (the topology is exact
// by construction).
func TestExplainAgreesWithGenerator(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 50k records")
	}
	for _, format := range []gen.Format{gen.FormatV5, gen.FormatV2} {
		// v5 carries tcp-flags and flow-direction; v2, the default format,
		// leaves the initiator to ports, timing and the topology.
		t.Run(map[gen.Format]string{gen.FormatV5: "v5", gen.FormatV2: "v2"}[format], func(t *testing.T) {
			checkAgainstGenerator(t, format)
		})
	}
}

func checkAgainstGenerator(t *testing.T, format gen.Format) {
	dir := t.TempDir()
	m, err := gen.Generate(dir, gen.Options{Seed: 11, Records: 50_000, Format: format})
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd("", "explain", "--format", "json", "--topology", filepath.Join(dir, "topology.yaml"), filepath.Join(dir, "flows.log"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	type diag struct {
		Rule, Verdict, Component string
		NACLRule                 int `json:"nacl_rule_number"`
	}
	byComponent := map[string]int64{}
	var total int64
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var d diag
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("bad JSON %q: %v", l, err)
		}
		total++
		if d.Verdict == "stale-topology" {
			t.Errorf("stale-topology verdict on an exact topology: %s", l)
		}
		for _, c := range strings.Split(d.Component, ",") {
			byComponent[c]++
		}
	}
	if len(m.Incidents) != 3 {
		t.Fatalf("manifest has %d incidents", len(m.Incidents))
	}
	for _, inc := range m.Incidents {
		if got := byComponent[inc.Item]; got != inc.Conversations {
			t.Errorf("incident %s (%s): %d conversations diagnosed on %s, manifest says %d",
				inc.Name, inc.Description, got, inc.Item, inc.Conversations)
		}
	}
	var rejected int64
	for _, d := range m.Drops {
		rejected += d.Conversations
	}
	// The generator counts a reused 5-tuple inside the correlation window as
	// two conversations; flowdiag joins them. Allow that slack, no more.
	if total > rejected || total < rejected*995/1000 {
		t.Errorf("%d diagnoses for %d rejected conversations", total, rejected)
	}
}
