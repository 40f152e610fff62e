package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--records", "10"}, "--out: required"},
		{[]string{"--out", "x", "--format", "v3"}, `--format: "v3": want v2 or v5`},
		{[]string{"--out", "x", "--files", "0"}, "--files: 0: want 1 or more"},
		{[]string{"--out", "x", "--records", "-4"}, "--records: -4 is negative"},
		{[]string{"--out", "x", "--start", "yesterday"}, `--start: "yesterday" is not an RFC 3339 time`},
		{[]string{"--out", "x", "extra"}, `unexpected argument "extra"`},
		{[]string{"--nope"}, "unknown flag: --nope"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != exitUsage {
			t.Errorf("run(%q) = %d; want %d", tc.args, code, exitUsage)
		}
		if !strings.Contains(errb.String(), tc.want) {
			t.Errorf("run(%q) stderr = %q; want it to contain %q", tc.args, errb.String(), tc.want)
		}
	}
}

func TestRunWrites(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"--seed", "3", "--records", "2500", "--format", "v5", "--gzip", "--files", "3", "--out", dir}, &out, &errb)
	if code != exitOK {
		t.Fatalf("run = %d, stderr %q", code, errb.String())
	}
	if !strings.Contains(out.String(), "2500 records (v5") {
		t.Errorf("summary %q", out.String())
	}
	for _, f := range []string{"topology.yaml", "MANIFEST.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "AWSLogs", "123456789012", "vpcflowlogs", "us-east-1", "2025", "03", "14", "123456789012_vpcflowlogs_us-east-1_fl-*_2025031*T*Z_*.log.gz"))
	if len(logs) != 3 {
		t.Errorf("S3 layout: found %d .log.gz files, want 3: %v", len(logs), logs)
	}
	// --help is not an error.
	if code := run([]string{"--help"}, &out, &errb); code != exitOK {
		t.Errorf("--help = %d", code)
	}
}
