package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowdiag/flowdiag/topology"
)

const awsSamples = "../../testdata/topology/aws/"

// TestTopologyImportGolden imports the real AWS JSON samples; the golden
// file holds the YAML and then the warnings, so both are reviewed.
func TestTopologyImportGolden(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		loads bool // the YAML validates and loads
	}{
		{"batfish-public-subnet", []string{"batfish/representation/aws/test-public-subnet/aws_configs"}, true},
		{"batfish-multi-account", []string{"batfish/representation/aws/test-transit-gateway-multi-account/aws_configs"}, true},
		{"aws-cli-examples", []string{"aws-cli-examples/ec2"}, false},
		{"cloud-custodian", []string{"cloud-custodian/placebo/test_eni_public_subnet", "cloud-custodian/placebo/test_network_acl_s3_present/ec2.DescribeNetworkAcls_1.json", "cloud-custodian/placebo/test_network_acl_s3_present/ec2.DescribePrefixLists_1.json", "cloud-custodian/placebo/test_security_group_port_in_range"}, false},
		{"cloudmapper", []string{"cloudmapper/account-data/demo/us-east-1"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"topology", "import"}
			for _, p := range tc.paths {
				args = append(args, awsSamples+p)
			}
			code, out, errOut := topoRunCmd(args...)
			if code != exitOK {
				t.Fatalf("flowdiag %s: exit %d, stderr %s", strings.Join(args, " "), code, errOut)
			}
			topoCompareGolden(t, filepath.Join("import", tc.name+".yaml"), out)
			topoCompareGolden(t, filepath.Join("import", tc.name+".stderr"), strings.ReplaceAll(errOut, awsSamples, ""))
			_, err := topology.ParseYAML(tc.name+".yaml", []byte(out))
			if (err == nil) != tc.loads {
				t.Errorf("imported YAML loads: error %v; want loads=%v", err, tc.loads)
			}
			code, out2, _ := topoRunCmd(args...)
			if code != exitOK || out2 != out {
				t.Errorf("second import differs: output is not deterministic")
			}
		})
	}
}

func TestTopologyImportToFileAndStrict(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "t.yaml")
	code, stdout, errOut := topoRunCmd("topology", "import", "-o", out, awsSamples+"batfish/representation/aws/test-public-subnet/aws_configs")
	if code != exitOK || stdout != "" || errOut != "" {
		t.Fatalf("import -o: exit %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	topo, err := topology.Load(out)
	if err != nil {
		t.Fatalf("Load(imported): %v", err)
	}
	if e, ok := topo.ENIByID("eni-00064850627e198ee"); !ok || e.Owner != "i-06669a407b2ef3ae5" {
		t.Errorf("imported ENI = %+v, %v", e, ok)
	}
	code, _, errOut = topoRunCmd("topology", "import", "--strict", awsSamples+"cloudmapper/account-data/demo/us-east-1")
	if code != exitUsage || !strings.Contains(errOut, "does not validate") {
		t.Errorf("import --strict on an inconsistent dump: exit %d, stderr %q; want exit 2 and the problems", code, errOut)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\"Vpcs\": [\n  {\"VpcId\": 7}]}"), 0o644)
	code, _, errOut = topoRunCmd("topology", "import", bad)
	if code != exitUsage || errOut != "flowdiag topology import: "+bad+":2:5: VpcId: want string, got JSON number\n" {
		t.Errorf("import of a bad file: exit %d, stderr %q", code, errOut)
	}
	other := filepath.Join(dir, "other.json")
	os.WriteFile(other, []byte(`{"Reservations": []}`), 0o644)
	code, _, errOut = topoRunCmd("topology", "import", other)
	if code != exitUsage || !strings.Contains(errOut, "no AWS describe-* output found") {
		t.Errorf("import of an unrelated file: exit %d, stderr %q", code, errOut)
	}
	code, _, _ = topoRunCmd("topology", "export")
	if code != exitUsage {
		t.Errorf("topology export: exit %d; want 2", code)
	}
}

// TestWhyOnAWSDirectory runs why straight on a Batfish snapshot directory.
func TestWhyOnAWSDirectory(t *testing.T) {
	dir := awsSamples + "batfish/representation/aws/test-public-subnet/aws_configs"
	code, out, errOut := topoRunCmd("why", "--topology", dir, "--from", "198.51.100.9:40000", "--to", "18.216.80.133:22")
	if code != exitOK || errOut != "" || !strings.Contains(out, "sg-09ccba6656672061b ingress[0] allow tcp 22 from 0.0.0.0/0") {
		t.Errorf("why on a Batfish directory: exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	code, out, _ = topoRunCmd("why", "--topology", dir, "--from", "198.51.100.9:40000", "--to", "18.216.80.133:3389")
	if code != exitFinding || !strings.Contains(out, "fix: add to sg-09ccba6656672061b (on eni-00064850627e198ee) an ingress rule: allow tcp 3389 from 198.51.100.9/32") {
		t.Errorf("why RDP on a Batfish directory: exit %d, stdout:\n%s", code, out)
	}
}
