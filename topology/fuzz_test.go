package topology

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseYAML checks that no input panics, that failures are an
// *ErrorList with positions in the file, and that a loaded topology
// round-trips through WriteYAML.
func FuzzParseYAML(f *testing.F) {
	seed, err := os.ReadFile("../testdata/topology/three-tier.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("vpcs: [{id: v, cidrs: [10.0.0.0/8]}]\nsubnets: [{id: s, vpc: v, cidrs: [10.1.0.0/16]}]\n"))
	f.Add([]byte("network_acls: [{id: a, vpc: v, ingress: [{rule: 1, proto: icmp, icmp_type: 3, icmp_code: 4, cidr: 0.0.0.0/0, action: deny}]}]"))
	f.Add([]byte("enis: [{id: e, subnet: s, addresses: [10.0.0.1], public: [::1]}]\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		topo, err := ParseYAML("f.yaml", data)
		if err != nil {
			var el *ErrorList
			if !errors.As(err, &el) || len(el.Errors) == 0 {
				t.Fatalf("error %v is not a non-empty *ErrorList", err)
			}
			for _, e := range el.Errors {
				if e.Pos.File != "f.yaml" {
					t.Fatalf("problem without the file name: %v", e.Error())
				}
			}
			return
		}
		path := filepath.Join(t.TempDir(), "out.yaml")
		fh, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := topo.WriteYAML(fh); err != nil {
			t.Fatal(err)
		}
		fh.Close()
		if _, err := Load(path); err != nil {
			t.Fatalf("written topology does not load: %v", err)
		}
	})
}

// FuzzReadAWS feeds arbitrary JSON to the AWS importer.
func FuzzReadAWS(f *testing.F) {
	for _, p := range []string{
		"../testdata/topology/aws/aws-cli-examples/ec2/describe-network-acls.output-block1.json",
		"../testdata/topology/aws/aws-cli-examples/ec2/describe-network-interfaces.output-block1.json",
		"../testdata/topology/aws/aws-cli-examples/ec2/describe-security-group-rules.output-block1.json",
		"../testdata/topology/aws/cloudmapper/account-data/demo/us-east-1/ec2-describe-security-groups.json",
	} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		im := &Import{seen: map[string]string{}}
		var e errs
		im.readData("in.json", data, true, &e)
		im.attachEntries()
		if err := e.err(); err != nil {
			for _, pe := range err.(*ErrorList).Errors {
				if pe.Pos.File != "in.json" {
					t.Fatalf("problem without the file name: %v", pe.Error())
				}
			}
			return
		}
		_ = im.Problems()
		if topo, err := im.Topology(); err == nil {
			if err := topo.WriteYAML(discard{}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
