package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowdiag/flowdiag/flowlog"
)

// runRecordsCmd runs `flowdiag records args...` against buffers.
func runRecordsCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"records"}, args...), stdio{in: strings.NewReader(stdin), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

func TestRecordsGolden(t *testing.T) {
	const docs = "../../testdata/flowlogs/aws-docs-examples.log"
	const src = "../../flowlog/testdata/sources/"
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"docs-table", []string{docs}, exitOK},
		{"docs-gzip-table", []string{docs + ".gz"}, exitOK},
		{"docs-json", []string{"--format", "json", docs}, exitOK},
		{"docs-reject-icmp", []string{"--action", "REJECT", "--protocol", "icmp", docs}, exitOK},
		{"docs-addr-port", []string{"--addr", "172.31.16.0/24", "--port", "22,3389", docs}, exitOK},
		{"docs-since-until", []string{"--since", "2015-05-10T00:00:00Z", "--until", "1432917100", docs}, exitOK},
		{"docs-eni", []string{"--eni", "eni-11111111aaaaaaaaa", docs}, exitOK},
		{"cloudwatch-pages", []string{src + "filter-log-events-pages.json"}, exitOK},
		{"parquet-json", []string{"--format=json", src + "flows.parquet"}, exitOK},
		{"bad-port", []string{"--port", "http", docs}, exitUsage},
		{"bad-action", []string{"--action", "DROP", docs}, exitUsage},
		{"bad-addr", []string{"--addr", "10.0.1.5/16", docs}, exitUsage},
		{"bad-protocol", []string{"--protocol", "tcpp", docs}, exitUsage},
		{"bad-since", []string{"--since", "yesterday", docs}, exitUsage},
		{"bad-format", []string{"--format", "xml", docs}, exitUsage},
		{"bad-log-format", []string{"--log-format", "${version} ${dst-port}", docs}, exitUsage},
		{"missing-file", []string{"testdata/records/no-such-file.log"}, exitUsage},
		{"no-input", nil, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runRecordsCmd(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit %d; want %d\nstderr: %s", code, tt.code, errs)
			}
			got := out + "--- stderr ---\n" + errs
			golden := filepath.Join("testdata", "records", tt.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestRecordsGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

func TestRecordsStdinAndControlChars(t *testing.T) {
	// A header naming an unknown field whose value holds an ANSI escape:
	// the table must show it escaped, never raw.
	in := "version interface-id srcaddr dstaddr action log-status evil-field\n" +
		"2 eni-1\x1b[31m 10.0.0.1 10.0.0.2 REJECT OK x\x1b[2Jy\n"
	code, out, errs := runRecordsCmd(t, in, "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.ContainsRune(out, 0x1b) || strings.ContainsRune(errs, 0x1b) {
		t.Errorf("raw ESC reached the terminal:\n%q\n%q", out, errs)
	}
	// The ENI field is validated by the parser, so the line is either
	// skipped with an escaped example or printed escaped.
	if !strings.Contains(out+errs, `\x1b`) {
		t.Errorf("ESC not shown as \\x1b:\n%s\n%s", out, errs)
	}
}

func TestRecordsJSONIsValid(t *testing.T) {
	code, out, errs := runRecordsCmd(t, "", "--format", "json", "../../testdata/flowlogs/aws-docs-examples.log", "../../testdata/flowlogs/centralized-logging-vpcflow.log")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 7+17 {
		t.Fatalf("%d JSON lines; want 24", len(lines))
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, l)
		}
		if _, ok := m["interface_id"]; !ok {
			t.Errorf("line %d has no interface_id: %s", i+1, l)
		}
		if m["log_status"] == "NODATA" {
			if _, ok := m["srcaddr"]; ok {
				t.Errorf("line %d: NODATA record has srcaddr: %s", i+1, l)
			}
		}
	}
}

func TestTCPFlagsNames(t *testing.T) {
	for _, tt := range []struct {
		v    uint8
		want string
	}{{0, "0"}, {2, "SYN"}, {18, "SYN-ACK"}, {3, "SYN,FIN"}, {19, "SYN-ACK,FIN"}, {1, "FIN"}, {4, "RST"}, {8, "8"}, {255, "255"}} {
		if got := tcpFlags(tt.v); got != tt.want {
			t.Errorf("tcpFlags(%d) = %q; want %q", tt.v, got, tt.want)
		}
	}
}

func TestAppendSafe(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"eni-1", "eni-1"},
		{"a\x1b[31mb", `a\x1b[31mb`},
		{"tab\there", `tab\x09here`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"c1\u0085x", `c1\u0085x`},
		{"ünïcode", "ünïcode"},
	} {
		if got := string(appendSafe(nil, tt.in)); got != tt.want {
			t.Errorf("appendSafe(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// TestRecordsTableStreams: the table is aligned in blocks and written as it
// goes, so memory does not grow with the input and rows show up at once.
func TestRecordsTableStreams(t *testing.T) {
	var out bytes.Buffer
	tp := newTablePrinter(&out)
	r := flowlog.Record{Pos: flowlog.Pos{Source: "x.log", Line: 1}, InterfaceID: "eni-1"}
	r.Present.Add(flowlog.FieldInterfaceID)
	for i := range tableBlock {
		if out.Len() != 0 {
			t.Fatalf("written before the first block was complete (row %d)", i)
		}
		if err := tp.print(&r); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(out.String(), "\n"); n != tableBlock+1 {
		t.Fatalf("after one block, %d lines written; want the header and %d rows", n, tableBlock)
	}
}

func TestRecordsGapsUnderFlowFilters(t *testing.T) {
	// Two ENIs, each with a NODATA window; eni-b also carries a UDP flow.
	in := "2 123456789012 eni-a - - - - - - - 1700000000 1700000060 - NODATA\n" +
		"2 123456789012 eni-b 10.0.0.5 10.0.0.9 40000 53 17 1 80 1700000000 1700000060 ACCEPT OK\n" +
		"2 123456789012 eni-b - - - - - - - 1700000060 1700000120 - NODATA\n"
	tests := []struct {
		name       string
		args       []string
		wantLines  []string // SOURCE column values expected, in order
		wantHidden string   // substring expected on stderr, "" for none
	}{
		{"no filter lists every gap", nil, []string{"-:1", "-:2", "-:3"}, ""},
		{"time filter keeps gaps in the window", []string{"--since", "1700000070"}, []string{"-:3"}, ""},
		{"flow filter hides gaps", []string{"--protocol", "udp"}, []string{"-:2"}, "2 NODATA/SKIPDATA records not listed"},
		{"port filter matching nothing lists nothing", []string{"--port", "1"}, nil, "2 NODATA/SKIPDATA records not listed"},
		{"eni with a flow filter lists that ENI's gaps", []string{"--eni", "eni-b", "--protocol", "udp"}, []string{"-:2", "-:3"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runRecordsCmd(t, in, append(tt.args, "-")...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
				f := strings.Fields(l)
				got = append(got, f[len(f)-1])
			}
			if strings.Join(got, " ") != strings.Join(tt.wantLines, " ") {
				t.Errorf("listed %v, want %v\n%s", got, tt.wantLines, out)
			}
			if tt.wantHidden == "" && strings.Contains(errs, "not listed") {
				t.Errorf("unexpected note on stderr: %s", errs)
			}
			if tt.wantHidden != "" && !strings.Contains(errs, tt.wantHidden) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantHidden, errs)
			}
		})
	}
}

func TestRecordsLogFormatExtraField(t *testing.T) {
	in := "11 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 REJECT OK nat_gateway\n"
	code, out, errs := runRecordsCmd(t, in, "--log-format",
		"${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end} ${action} ${log-status} ${interface-type}", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "10.0.0.71:34210 -> 52.95.128.179:80") {
		t.Errorf("record not listed:\n%s", out)
	}
	if !strings.Contains(errs, `--log-format: unknown field "interface-type" kept as an extra column`) {
		t.Errorf("no warning for the extra column:\n%s", errs)
	}
	code, _, errs = runRecordsCmd(t, in, "--log-format", "version srcadr dstaddr", "-")
	if code != exitUsage || !strings.Contains(errs, `unknown field "srcadr" (did you mean srcaddr?)`) {
		t.Errorf("misspelt field: exit %d, %s", code, errs)
	}
}
