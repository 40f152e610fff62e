package flowlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// update rewrites golden files: go test ./flowlog -run TestGolden -update.
// The flag is shared with other test files of the package if one of them
// defined it first.
var update = func() func() bool {
	if f := flag.Lookup("update"); f != nil {
		return func() bool { return f.Value.String() == "true" }
	}
	b := flag.Bool("update", false, "rewrite golden files under testdata/golden")
	return func() bool { return *b }
}()

type readResult struct {
	recs     []Record
	formats  []*Format // format of each record
	stats    ReadStats
	warnings []string
	err      error // first error other than io.EOF
}

func readAll(t *testing.T, r io.Reader, name string, opts ReaderOptions) readResult {
	t.Helper()
	var res readResult
	opts.Warn = func(m string) { res.warnings = append(res.warnings, m) }
	rd := NewReader(r, name, opts)
	for {
		var rec Record
		err := rd.Read(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			res.err = err
			break
		}
		rec.Extra = append([]string(nil), rec.Extra...)
		res.recs = append(res.recs, rec)
		res.formats = append(res.formats, rd.Format())
	}
	res.stats = rd.Stats()
	return res
}

func mustFormat(s string) *Format {
	f, err := ParseFormat(s)
	if err != nil {
		panic(err)
	}
	return f
}

func readString(t *testing.T, s string, opts ReaderOptions) readResult {
	t.Helper()
	return readAll(t, strings.NewReader(s), "test.log", opts)
}

func readFile(t *testing.T, path string) readResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readAll(t, f, filepath.ToSlash(path), ReaderOptions{})
}

// checkExpected compares every column of the record's format with a
// published expected object keyed by underscore field names. A column
// missing from the object, or null there, must be absent ("-").
func checkExpected(t *testing.T, where string, f *Format, rec *Record, want map[string]any) {
	t.Helper()
	cols := map[string]bool{}
	for i := range f.Len() {
		_, name := f.Column(i)
		key := strings.ReplaceAll(name, "-", "_")
		cols[key] = true
		got := fieldText(f, i, rec)
		w, ok := want[key]
		var ws string
		switch v := w.(type) {
		case nil:
			ws = "-"
		case float64:
			ws = strconv.FormatInt(int64(v), 10)
		case string:
			ws = v
			if key == "start" || key == "end" {
				if tm, err := time.Parse("2006-01-02T15:04:05", v); err == nil {
					ws = strconv.FormatInt(tm.Unix(), 10)
				}
			}
		default:
			t.Fatalf("%s: unexpected %T for %s", where, w, key)
		}
		if !ok {
			ws = "-"
		}
		if got != ws {
			t.Errorf("%s: %s = %q; want %q", where, name, got, ws)
		}
	}
	for k := range want {
		if !cols[k] {
			t.Errorf("%s: expected value for %s, which is not a column of %q", where, k, f)
		}
	}
}

// The S3 files of flowlogs-reader (header lines in alphabetical order,
// versions 3 to 6), checked against the test's expected records.
func TestSamplesFlowlogsReader(t *testing.T) {
	raw, err := os.ReadFile("testdata/flowlogs-reader/expected-parsed-records.json")
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string]json.RawMessage
	if err := json.Unmarshal(raw, &expected); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file, key       string
		skipped, tgw    int64
		firstBadMessage string
	}{
		{"v3-s3-file-with-header.log", "S3FlowLogsReaderTestCase.test_serial", 0, 0, ""},
		{"v4-s3-file-with-header.log", "S3FlowLogsReaderTestCase.test_serial_v4", 0, 0, ""},
		{"v5-s3-file-with-header.log", "S3FlowLogsReaderTestCase.test_serial_v5", 1, 0,
			"testdata/flowlogs-reader/v5-s3-file-with-header.log:4: 2 fields, format has 29 (account-id action az-id ... vpc-id)"},
		{"v6-s3-file-with-header.log", "S3FlowLogsReaderTestCase.test_serial_v6", 0, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var want []map[string]any
			if err := json.Unmarshal(expected[tt.key], &want); err != nil {
				t.Fatal(err)
			}
			res := readFile(t, "testdata/flowlogs-reader/"+tt.file)
			if res.err != nil {
				t.Fatal(res.err)
			}
			if len(res.recs) != len(want) {
				t.Fatalf("%d records; want %d", len(res.recs), len(want))
			}
			for i := range want {
				checkExpected(t, fmt.Sprintf("record %d", i+1), res.formats[i], &res.recs[i], want[i])
			}
			st := res.stats
			if st.Headers != 1 || st.Skipped != tt.skipped || st.TGW != tt.tgw {
				t.Errorf("stats = %+v", st)
			}
			if tt.firstBadMessage != "" && (len(st.Examples) == 0 || st.Examples[0].Error() != tt.firstBadMessage) {
				t.Errorf("examples = %v; want first %q", st.Examples, tt.firstBadMessage)
			}
		})
	}
}

// The V2_RECORDS of flowlogs-reader: default format without a header.
func TestSamplesFlowlogsReaderV2(t *testing.T) {
	res := readFile(t, "testdata/flowlogs-reader/v2-records-cwl-messages.log")
	if res.err != nil || len(res.recs) != 5 || res.stats.Gaps != 2 || res.stats.Headers != 0 {
		t.Fatalf("err %v, %d records, stats %+v", res.err, len(res.recs), res.stats)
	}
	raw, _ := os.ReadFile("testdata/flowlogs-reader/expected-parsed-records.json")
	var expected map[string]map[string]any
	json.Unmarshal(raw, &map[string]any{}) // shape check below
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	expected = map[string]map[string]any{}
	for _, k := range []string{"FlowRecordTestCase.test_parse", "FlowRecordTestCase.test_to_dict"} {
		var m map[string]any
		if err := json.Unmarshal(all[k], &m); err != nil {
			t.Fatal(err)
		}
		expected[k] = m
	}
	// test_parse is the first record; test_to_dict the third (eni-102010cd REJECT).
	checkExpected(t, "test_parse", DefaultFormat(), &res.recs[0], expected["FlowRecordTestCase.test_parse"])
	checkExpected(t, "test_to_dict", DefaultFormat(), &res.recs[2], expected["FlowRecordTestCase.test_to_dict"])
	if r := res.recs[3]; r.LogStatus != LogStatusNoData || r.InterfaceID != "eni-1a2b3c4d" || r.Has(FieldAction) {
		t.Errorf("NODATA record = %+v", r)
	}
	if r := res.recs[4]; r.LogStatus != LogStatusSkipData || r.InterfaceID != "eni-4b118871" {
		t.Errorf("SKIPDATA record = %+v", r)
	}
}

var quoted = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)

// The examples of the VRL function documentation, with their published
// return values (versions 2, 5, a custom NAT format and version 11 with
// unknown fields).
func TestSamplesVectorDocs(t *testing.T) {
	raw, err := os.ReadFile("testdata/vector-vrl/parse_aws_vpc_flow_log.docs-examples.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Examples []struct {
			Title  string         `json:"title"`
			Source string         `json:"source"`
			Return map[string]any `json:"return"`
		} `json:"examples"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Examples) != 4 {
		t.Fatalf("%d examples; want 4", len(doc.Examples))
	}
	for _, ex := range doc.Examples {
		t.Run(ex.Title, func(t *testing.T) {
			m := quoted.FindAllStringSubmatch(ex.Source, -1)
			line, format := m[0][1], ""
			if len(m) > 1 {
				format = m[1][1]
			}
			f, rec := mustParse(t, format, line)
			checkExpected(t, ex.Title, f, &rec, ex.Return)
		})
	}
}

// Every record of the VRL test vectors (versions 2, 3, 5, 7, custom, and 8
// to 11 with unknown fields) parses and formats back to itself.
func TestSamplesVectorTestVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/vector-vrl/parse_aws_vpc_flow_log.test-vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	var p *Parser
	var f *Format
	n, versions := 0, map[int]bool{}
	for i, line := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(line, "FORMAT: "):
			spec, _, _ := strings.Cut(strings.TrimPrefix(line, "FORMAT: "), "  (")
			var err error
			if f, _, err = ParseHeader(spec); err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			p = NewParser(f)
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			var rec Record
			if err := p.Parse([]byte(line), &rec); err != nil {
				t.Errorf("line %d: %v", i+1, err)
				continue
			}
			n++
			versions[rec.Version] = true
			if got := string(f.AppendRecord(nil, &rec)); got != strings.Join(strings.Fields(line), " ") {
				t.Errorf("line %d: round trip\n got %s\nwant %s", i+1, got, line)
			}
		}
	}
	if n != 30 {
		t.Errorf("%d records; want 30", n)
	}
	for _, v := range []int{2, 3, 5, 7, 11} {
		if !versions[v] {
			t.Errorf("no record of version %d", v)
		}
	}
}

// The records of the AWS documentation page as transcribed with the
// outcome the page states.
func TestSamplesAWSDocsYAML(t *testing.T) {
	raw, err := os.ReadFile("testdata/aws-docs/flow-log-record-examples.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type group struct {
		Records  []string `yaml:"records"`
		Expected any      `yaml:"expected"`
	}
	var doc struct {
		Examples []struct {
			ID       string   `yaml:"id"`
			Format   string   `yaml:"format"`
			Records  []string `yaml:"records"`
			Expected any      `yaml:"expected"`
			Groups   []group  `yaml:"groups"`
		} `yaml:"examples"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, ex := range doc.Examples {
		f := DefaultFormat()
		if !strings.HasPrefix(ex.Format, "default") {
			if f, err = ParseFormat(ex.Format); err != nil {
				t.Fatalf("%s: %v", ex.ID, err)
			}
		}
		groups := append([]group{{ex.Records, ex.Expected}}, ex.Groups...)
		for _, g := range groups {
			recs := make([]Record, len(g.Records))
			for i, line := range g.Records {
				total++
				err := NewParser(f).Parse([]byte(line), &recs[i])
				if strings.Contains(line, " #") {
					// The NAT example's trailing comments are prose, not fields.
					if !errors.Is(err, ErrFieldCount) {
						t.Errorf("%s: %q: err = %v; want a field count error", ex.ID, line, err)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: %v", ex.ID, err)
				}
			}
			checkStated(t, ex.ID, f, recs, g.Expected)
		}
	}
	if total != 27 {
		t.Errorf("%d records; the page has 27", total)
	}
}

// checkStated compares the field values the documentation states
// ({action: REJECT} or [{record: 2, traffic_path: 8}]).
func checkStated(t *testing.T, id string, f *Format, recs []Record, stated any) {
	t.Helper()
	var items []map[string]any
	switch v := stated.(type) {
	case map[string]any:
		for i := range recs {
			m := map[string]any{"record": i + 1}
			for k, x := range v {
				m[k] = x
			}
			items = append(items, m)
		}
	case []any:
		for _, x := range v {
			if m, ok := x.(map[string]any); ok {
				items = append(items, m)
			}
		}
	}
	for _, m := range items {
		n, _ := m["record"].(int)
		if n < 1 || n > len(recs) {
			continue
		}
		for k, want := range m {
			fl, ok := LookupField(k)
			if !ok || !f.Has(fl) {
				continue
			}
			for i := range f.Len() {
				if g, _ := f.Column(i); g == fl {
					if got := fieldText(f, i, &recs[n-1]); got != fmt.Sprint(want) {
						t.Errorf("%s record %d: %s = %q; doc states %v", id, n, k, got, want)
					}
				}
			}
		}
	}
}

// Golden files: every sample file read with the default options, rendered
// as one line per record plus the stats, warnings and bad-line examples.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*.log")
	if len(files) < 10 {
		t.Fatalf("found %d sample files", len(files))
	}
	for _, path := range files {
		t.Run(path, func(t *testing.T) {
			res := readFile(t, path)
			var b bytes.Buffer
			for i := range res.recs {
				rec, f := &res.recs[i], res.formats[i]
				fmt.Fprintf(&b, "%s:%d %s", rec.Pos.Source, rec.Pos.Line, rec.Kind)
				for c := range f.Len() {
					_, name := f.Column(c)
					if v := fieldText(f, c, rec); v != "-" {
						fmt.Fprintf(&b, " %s=%s", name, v)
					}
				}
				b.WriteByte('\n')
			}
			st := res.stats
			fmt.Fprintf(&b, "stats: lines=%d records=%d skipped=%d headers=%d blank=%d gaps=%d tgw=%d\n",
				st.Lines, st.Records, st.Skipped, st.Headers, st.Blank, st.Gaps, st.TGW)
			for _, e := range st.Examples {
				fmt.Fprintf(&b, "bad: %v\n", e)
			}
			for _, w := range res.warnings {
				fmt.Fprintf(&b, "warning: %s\n", w)
			}
			if res.err != nil {
				fmt.Fprintf(&b, "error: %v\n", res.err)
			}
			golden := filepath.Join("testdata/golden", strings.ReplaceAll(strings.TrimPrefix(path, "testdata/"), "/", "__")+".txt")
			if update() {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("output differs from %s (run with -update after checking):\n got:\n%s\nwant:\n%s", golden, b.Bytes(), want)
			}
		})
	}
}

const (
	hdr2 = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
	rec2 = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	hdr5 = "version interface-id srcaddr dstaddr flow-direction traffic-path pkt-src-aws-service log-status"
	rec5 = "5 eni-0a 10.0.0.71 52.95.128.179 egress 8 - OK"
	nod2 = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"
	// A Transit Gateway record in the TGW default format (36 fields).
	tgwLine = "6 TransitGateway 123456789012 tgw-0abc12345def67890 tgw-attach-0abc12345def67890 123456789012 210987654321 vpc-0abc12345def67890 vpc-0def12345abc67890 subnet-0abc12345def67890 subnet-0def12345abc67890 eni-0abc12345def67890 eni-0def12345abc67890 use1-az1 use1-az2 tgw-attach-0def12345abc67890 10.0.0.1 10.0.1.1 12345 443 6 10 1000 1700000000 1700000060 OK IPv4 1 2 3 4 2 us-east-1 ingress - -"
	skp2    = "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA"
)

// Input shapes the reader handles on purpose.
func TestReaderInputs(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    ReaderOptions
		lines   []int64 // Pos.Line of each record
		stats   ReadStats
		check   func(t *testing.T, res readResult)
		warning string // substring of the only warning
	}{
		{name: "bom crlf blank", in: "\ufeff" + hdr2 + "\r\n\r\n" + rec2 + "\r\n   \t\r\n" + rec2,
			lines: []int64{3, 5}, stats: ReadStats{Lines: 5, Records: 2, Headers: 1, Blank: 2}},
		{name: "bom before a record", in: "\ufeff" + rec2 + "\n", lines: []int64{1}, stats: ReadStats{Lines: 1, Records: 1}},
		{name: "no header", in: rec2 + "\n" + nod2 + "\n" + skp2 + "\n",
			lines: []int64{1, 2, 3}, stats: ReadStats{Lines: 3, Records: 3, Gaps: 2},
			check: func(t *testing.T, res readResult) {
				if !res.recs[1].IsGap() || res.recs[2].LogStatus != LogStatusSkipData {
					t.Errorf("gap records = %+v", res.recs[1:])
				}
			}},
		{name: "repeated headers", in: hdr2 + "\n" + rec2 + "\n" + hdr2 + "\n" + nod2 + "\n" + hdr2 + "\n",
			lines: []int64{2, 4}, stats: ReadStats{Lines: 5, Records: 2, Headers: 3, Gaps: 1}},
		{name: "mixed versions", in: rec2 + "\n" + hdr5 + "\n" + rec5 + "\n" + hdr2 + "\n" + rec2 + "\n",
			lines: []int64{1, 3, 5}, stats: ReadStats{Lines: 5, Records: 3, Headers: 2},
			check: func(t *testing.T, res readResult) {
				if r := res.recs[1]; r.Version != 5 || r.FlowDirection != DirEgress || r.TrafficPath != 8 || r.Has(FieldPktSrcAWSService) {
					t.Errorf("v5 record = %+v", r)
				}
				if !res.formats[2].Equal(DefaultFormat()) || res.recs[2].Version != 2 {
					t.Errorf("third record format %v", res.formats[2])
				}
			}},
		{name: "runs of white space", in: "2  123456789010\teni-1 \t 10.0.0.1 10.0.0.2 1 2 6 1 2 3 4 ACCEPT OK   \n",
			lines: []int64{1}, stats: ReadStats{Lines: 1, Records: 1}},
		{name: "last line without newline", in: rec2 + "\n" + rec2, lines: []int64{1, 2}, stats: ReadStats{Lines: 2, Records: 2}},
		{name: "empty input", in: "", stats: ReadStats{}},
		{name: "binary junk", in: "\x00\x00\x00\x00\n\x89PNG\r\n\x1a\n" + rec2 + "\n\xff\xfe\xfd 1 2 3 4 5 6 7 8 9 10 11 12 13\n",
			// "\x89PNG\r\n\x1a\n" holds a line break: 5 lines.
			lines: []int64{4}, stats: ReadStats{Lines: 5, Records: 1, Skipped: 4},
			check: func(t *testing.T, res readResult) {
				got := fmt.Sprint(res.stats.Examples)
				for _, want := range []string{"test.log:1: 1 fields", "test.log:2: 1 fields", "test.log:3: 1 fields", `test.log:5:1: field version: "\xff\xfe\xfd" is not a version number`} {
					if !strings.Contains(got, want) {
						t.Errorf("examples %s lack %q", got, want)
					}
				}
			}},
		{name: "too few too many", in: hdr2 + "\n2 1 eni-1 - - - - - - - 1 2 -\n" + rec2 + " extra\n" + rec2 + "\n",
			lines: []int64{4}, stats: ReadStats{Lines: 4, Records: 1, Headers: 1, Skipped: 2},
			check: func(t *testing.T, res readResult) {
				for _, e := range res.stats.Examples {
					if !errors.Is(e, ErrFieldCount) {
						t.Errorf("example %v is not ErrFieldCount", e)
					}
				}
			}},
		{name: "unknown header field", in: "version srcaddr next-hop-vpc-id dstaddr interface_type\n11 10.0.0.1 vpc-9 10.0.0.2 nat_gateway\n11 10.0.0.1 - 10.0.0.2 -\nversion srcaddr next-hop-vpc-id dstaddr interface_type\n",
			lines: []int64{2, 3}, stats: ReadStats{Lines: 4, Records: 2, Headers: 2},
			check: func(t *testing.T, res readResult) {
				if got := res.recs[0].Extra; len(got) != 2 || got[0] != "vpc-9" || got[1] != "nat_gateway" {
					t.Errorf("Extra = %q", got)
				}
				if got := res.recs[1].Extra; len(got) != 2 || got[0] != "" || got[1] != "" {
					t.Errorf("Extra of dashes = %q", got)
				}
				// One per unknown name, and one per missing interface-id and
				// action, however many header lines repeat them.
				if len(res.warnings) != 4 || !strings.Contains(res.warnings[2], "no interface-id field") || !strings.Contains(res.warnings[3], "no action field") {
					t.Errorf("warnings %q; want one per unknown name and per missing field", res.warnings)
				}
			}},
		{name: "given format skips headers", in: hdr5 + "\n" + rec2 + "\n", opts: ReaderOptions{Format: DefaultFormat()},
			lines: []int64{2}, stats: ReadStats{Lines: 2, Records: 1, Headers: 1},
			warning: "test.log:1: header line \"version interface-id srcaddr ... log-status\" differs from the given log format; using the given format"},
		{name: "given custom format", in: "- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5\ni-01234567890123456 eni-1111aaaa2222bbbb3 10.0.1.5 203.0.113.5 10.0.1.5 203.0.113.5\n",
			opts:  ReaderOptions{Format: mustFormat("${instance-id} ${interface-id} ${srcaddr} ${dstaddr} ${pkt-srcaddr} ${pkt-dstaddr}")},
			lines: []int64{1, 2}, stats: ReadStats{Lines: 2, Records: 2},
			check: func(t *testing.T, res readResult) {
				if r := res.recs[0]; r.Has(FieldInstanceID) || r.PacketDst().String() != "203.0.113.5" || r.Has(FieldVersion) {
					t.Errorf("NAT record = %+v", r)
				}
			}},
		{name: "tgw header", in: "version resource-type account-id tgw-id srcaddr dstaddr packets-lost-blackhole log-status\n6 TransitGateway 123456789012 tgw-0abc 10.0.0.1 10.1.0.1 3 OK\n",
			lines: []int64{2}, stats: ReadStats{Lines: 2, Records: 1, Headers: 1, TGW: 1},
			check: func(t *testing.T, res readResult) {
				r := res.recs[0]
				if r.Kind != KindTransitGateway || r.TGW.ResourceType != "TransitGateway" || r.TGW.TGWID != "tgw-0abc" || r.TGW.PacketsLostBlackhole != 3 {
					t.Errorf("TGW record = %+v", r)
				}
			}},
		{name: "vpc then tgw then vpc", in: rec2 + "\nversion tgw-id srcaddr log-status\n6 tgw-1 10.0.0.1 OK\n" + hdr2 + "\n" + rec2 + "\n",
			lines: []int64{1, 3, 5}, stats: ReadStats{Lines: 5, Records: 3, Headers: 2, TGW: 1},
			check: func(t *testing.T, res readResult) {
				if res.recs[0].Kind != KindVPC || res.recs[1].Kind != KindTransitGateway || res.recs[2].Kind != KindVPC {
					t.Errorf("kinds %v %v %v", res.recs[0].Kind, res.recs[1].Kind, res.recs[2].Kind)
				}
			}},
		{name: "headerless tgw records among vpc records", in: rec2 + "\n" + tgwLine + "\n" + strings.Replace(tgwLine, "TransitGateway", "-", 1) + "\n" + nod2 + "\n" + strings.Replace(tgwLine, "10.0.0.1", "10.0.0.999", 1) + "\n",
			lines: []int64{1, 2, 3, 4}, stats: ReadStats{Lines: 5, Records: 4, Gaps: 1, TGW: 2, Skipped: 1},
			check: func(t *testing.T, res readResult) {
				r := res.recs[1]
				if r.Kind != KindTransitGateway || r.TGW.TGWID != "tgw-0abc12345def67890" || r.TGW.DstENI != "eni-0def12345abc67890" ||
					r.TGW.PacketsLostMTUExceeded != 3 || r.SrcAddr.String() != "10.0.0.1" || r.FlowDirection != DirIngress || r.Has(FieldPktSrcAWSService) {
					t.Errorf("TGW record = %+v", r)
				}
				if !res.formats[1].Equal(TGWDefaultFormat()) || !res.formats[3].Equal(DefaultFormat()) {
					t.Errorf("formats %v / %v", res.formats[1], res.formats[3])
				}
				if res.recs[2].Has(FieldResourceType) || res.recs[2].Kind != KindTransitGateway {
					t.Errorf("TGW record with resource-type - = %+v", res.recs[2])
				}
				// A bad TGW-length line reports the default format's error.
				if got := res.stats.Examples[0].Error(); got != "test.log:5: 36 fields, format has 14 (version account-id interface-id ... log-status)" {
					t.Errorf("example %q", got)
				}
			}},
		{name: "tgw fallback not used with a header", in: hdr2 + "\n" + tgwLine + "\n",
			stats: ReadStats{Lines: 2, Headers: 1, Skipped: 1}},
		{name: "max examples", in: strings.Repeat("bad\n", 8), opts: ReaderOptions{MaxExamples: 2},
			stats: ReadStats{Lines: 8, Skipped: 8},
			check: func(t *testing.T, res readResult) {
				if len(res.stats.Examples) != 2 {
					t.Errorf("%d examples; want 2", len(res.stats.Examples))
				}
			}},
		{name: "no examples", in: "bad\n", opts: ReaderOptions{MaxExamples: -1}, stats: ReadStats{Lines: 1, Skipped: 1}},
		{name: "duplicate header field", in: "version srcaddr srcaddr\n" + rec2 + "\n", lines: []int64{2},
			stats: ReadStats{Lines: 2, Records: 1, Skipped: 1},
			check: func(t *testing.T, res readResult) {
				if got := res.stats.Examples[0].Error(); got != "test.log:1: header line: field srcaddr given twice (column 3)" {
					t.Errorf("example = %q", got)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readString(t, tt.in, tt.opts)
			if res.err != nil {
				t.Fatalf("Read: %v", res.err)
			}
			var lines []int64
			for _, r := range res.recs {
				lines = append(lines, r.Pos.Line)
				if r.Pos.Source != "test.log" {
					t.Errorf("Pos.Source = %q", r.Pos.Source)
				}
			}
			if fmt.Sprint(lines) != fmt.Sprint(tt.lines) {
				t.Errorf("record lines %v; want %v", lines, tt.lines)
			}
			got := res.stats
			got.Examples = nil
			if fmt.Sprint(got) != fmt.Sprint(tt.stats) {
				t.Errorf("stats %+v\nwant  %+v\nexamples %v", got, tt.stats, res.stats.Examples)
			}
			if tt.warning != "" && (len(res.warnings) != 1 || res.warnings[0] != tt.warning) {
				t.Errorf("warnings %q; want %q", res.warnings, tt.warning)
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
}

func TestReaderStrict(t *testing.T) {
	in := hdr2 + "\n" + rec2 + "\n" + strings.Replace(rec2, " 22 ", " ssh ", 1) + "\n" + rec2 + "\n"
	rd := NewReader(strings.NewReader(in), "dump.log", ReaderOptions{Strict: true})
	var rec Record
	if err := rd.Read(&rec); err != nil || rec.Pos.Line != 2 {
		t.Fatalf("first Read = %v at %v", err, rec.Pos)
	}
	err := rd.Read(&rec)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("second Read = %v; want *ParseError", err)
	}
	const want = `dump.log:3:71: field dstport: "ssh" is not a port number (0-65535)`
	if err.Error() != want || pe.Line != 3 || pe.Column != 71 || pe.Field != "dstport" || pe.File != "dump.log" {
		t.Errorf("error = %q %+v\nwant    %q", err, pe, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Value != "ssh" {
		t.Errorf("errors.As FieldError = %+v", fe)
	}
	// The reader continues after a strict error.
	if err := rd.Read(&rec); err != nil || rec.Pos.Line != 4 {
		t.Errorf("third Read = %v at %v", err, rec.Pos)
	}
	if err := rd.Read(&rec); err != io.EOF {
		t.Errorf("fourth Read = %v; want EOF", err)
	}
	if st := rd.Stats(); st.Records != 2 || st.Skipped != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestReaderColumnAfterBOM(t *testing.T) {
	rd := NewReader(strings.NewReader("\ufeff2 x eni-1 10.0.0.1 10.0.0.2 1 99999 6 1 2 3 4 ACCEPT OK"), "f.log", ReaderOptions{Strict: true})
	var rec Record
	err := rd.Read(&rec)
	var pe *ParseError
	// The BOM's three bytes count: column 34 is where "99999" starts in the file.
	if !errors.As(err, &pe) || pe.Column != 34 {
		t.Errorf("Read = %v; want column 34", err)
	}
}

func TestReaderLongLines(t *testing.T) {
	big := strings.Repeat("x", 10<<20) // a 10 MB line
	in := rec2 + "\n" + big + "\n" + rec2 + "\n" + big + "\r\n" + rec2 + "\n" + big
	res := readString(t, in, ReaderOptions{})
	if res.err != nil || len(res.recs) != 3 {
		t.Fatalf("err %v, %d records", res.err, len(res.recs))
	}
	if st := res.stats; st.Skipped != 3 || st.Lines != 6 || res.recs[1].Pos.Line != 3 || res.recs[2].Pos.Line != 5 {
		t.Errorf("stats %+v, lines %d %d", st, res.recs[1].Pos.Line, res.recs[2].Pos.Line)
	}
	for _, e := range res.stats.Examples {
		if !errors.Is(e, ErrLineTooLong) || !strings.Contains(e.Error(), "line longer than 1048576 bytes") {
			t.Errorf("example %v", e)
		}
	}

	// A line longer than the buffer but within the limit is read whole.
	long := "version srcaddr instance-tag\n11 10.0.0.1 " + strings.Repeat("t", 200<<10) + "\n"
	res = readString(t, long, ReaderOptions{})
	if len(res.recs) != 1 || len(res.recs[0].Extra[0]) != 200<<10 {
		t.Errorf("long line: %d records, stats %+v", len(res.recs), res.stats)
	}

	// A small limit applies to short lines too, and strict mode reports it.
	rd := NewReader(strings.NewReader(rec2+"\n"), "s.log", ReaderOptions{MaxLineBytes: 20, Strict: true})
	var rec Record
	if err := rd.Read(&rec); !errors.Is(err, ErrLineTooLong) || err.Error() != "s.log:1: line longer than 20 bytes, skipped" {
		t.Errorf("Read = %v", err)
	}
}

// The memory a reader holds does not grow with the length of a skipped line.
func TestReaderLongLineMemory(t *testing.T) {
	rd := NewReader(io.MultiReader(strings.NewReader(rec2+"\n"), io.LimitReader(zeros{}, 50<<20), strings.NewReader("\n"+rec2+"\n")),
		"z.log", ReaderOptions{MaxLineBytes: 1 << 16})
	var rec Record
	for {
		err := rd.Read(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if cap(rd.long) > 1<<17+textReadBuffer {
		t.Errorf("reader kept a %d byte buffer for a skipped 50 MB line", cap(rd.long))
	}
	if st := rd.Stats(); st.Records != 2 || st.Skipped != 1 {
		t.Errorf("stats %+v", st)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'z'
	}
	return len(p), nil
}

type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("unexpected EOF in gzip stream")
	rd := NewReader(&failingReader{data: []byte(rec2 + "\n" + rec2 + "\n2 12345"), err: boom}, "broken.log.gz", ReaderOptions{})
	var rec Record
	n := 0
	var err error
	for err = rd.Read(&rec); err == nil; err = rd.Read(&rec) {
		n++
	}
	if n != 2 || !errors.Is(err, boom) || err.Error() != "broken.log.gz: read error after line 2 (2 records): unexpected EOF in gzip stream" {
		t.Errorf("%d records, err %v", n, err)
	}
	if err2 := rd.Read(&rec); err2 != err {
		t.Errorf("error not sticky: %v", err2)
	}
}

func ExampleReader() {
	in := strings.NewReader(`version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 rdp 6 20 4249 1418530010 1418530070 REJECT OK
2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA
`)
	rd := NewReader(in, "dump.log", ReaderOptions{})
	var rec Record
	for rd.Read(&rec) == nil {
		fmt.Println(rec.Pos.Line, rec.Action, rec.SrcAddr, rec.DstPort, rec.LogStatus)
	}
	st := rd.Stats()
	fmt.Println(st.Records, "records,", st.Gaps, "gap,", st.Skipped, "skipped:", st.Examples[0])
	// Output:
	// 2 REJECT 172.31.9.69 3389 OK
	// 4 - invalid IP 0 NODATA
	// 2 records, 1 gap, 1 skipped: dump.log:3:68: field dstport: "rdp" is not a port number (0-65535)
}

func TestReaderAccessors(t *testing.T) {
	rd := NewReader(strings.NewReader(hdr5+"\n\n"+rec5+"\n"), "a.log", ReaderOptions{})
	if !rd.Format().Equal(DefaultFormat()) || rd.Line() != 0 {
		t.Errorf("before reading: format %q, line %d", rd.Format(), rd.Line())
	}
	var rec Record
	if err := rd.Read(&rec); err != nil {
		t.Fatal(err)
	}
	if rd.Format().String() != hdr5 || rd.Line() != 3 {
		t.Errorf("after a record: format %q, line %d", rd.Format(), rd.Line())
	}
	given := NewReader(strings.NewReader(""), "b.log", ReaderOptions{Format: TGWDefaultFormat()})
	if !given.Format().Equal(TGWDefaultFormat()) {
		t.Errorf("given format not reported: %q", given.Format())
	}
	if f, g := DefaultFormat(), TGWDefaultFormat(); f.Equal(g) || !f.Equal(f) || f.Equal(nil) {
		t.Errorf("Format.Equal is wrong")
	}
}

// QA round 9, E5: a custom format without interface-id or action is valid,
// but explain cannot do its job with it: the reader says so, once per
// missing field, naming the header line.
func TestReaderWarnsOfMissingFields(t *testing.T) {
	const in = "version account-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status\n" +
		"2 1 203.0.113.9 10.50.0.5 51000 22 6 1 44 1795183000 1795183050 OK\n" +
		"version account-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status\n"
	var warns []string
	r := NewReader(strings.NewReader(in), "noeni.log", ReaderOptions{Warn: func(m string) { warns = append(warns, m) }})
	var rec Record
	for {
		if err := r.Read(&rec); err != nil {
			break
		}
	}
	want := []string{
		"noeni.log:1: the header has no interface-id field: records cannot be told apart by network interface, so explain and review see them all as one unnamed ENI (add ${interface-id} to the flow log's format)",
		"noeni.log:1: the header has no action field: no record can show a rejection, so explain will find nothing blocked whatever happened (add ${action} to the flow log's format)",
	}
	if strings.Join(warns, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(warns, "\n"), strings.Join(want, "\n"))
	}
}
