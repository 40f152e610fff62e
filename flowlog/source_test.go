package flowlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// docV2 holds the default-format AWS documentation example records of
// DOMAIN.md section 1.12.
var docV2 = []string{
	"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	"2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
	"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
	"2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA",
	"2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK",
	"2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK",
	"2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK",
}

const v2Header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

func writeTemp(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func gzipMembers(t *testing.T, members ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, m := range members {
		w := gzip.NewWriter(&b)
		if _, err := io.WriteString(w, m); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// readAll drains a stream and returns its records (copies).
func drainStream(t *testing.T, s *Stream) ([]Record, error) {
	t.Helper()
	var out []Record
	for {
		var r Record
		err := s.Read(&r)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
}

func openAll(t *testing.T, opts StreamOptions, paths ...string) ([]Record, StreamStats, error) {
	t.Helper()
	s, err := OpenStream(paths, nil, opts)
	if err != nil {
		t.Fatalf("OpenStream(%q): %v", paths, err)
	}
	recs, err := drainStream(t, s)
	st := s.Stats()
	if cerr := s.Close(); cerr != nil {
		t.Errorf("Close: %v", cerr)
	}
	return recs, st, err
}

// short renders the fields the source tests check.
func brief(r *Record) string {
	if r.IsGap() {
		return fmt.Sprintf("%s:%d %s %s %d-%d", r.Pos.Source, r.Pos.Line, r.InterfaceID, r.LogStatus, r.Start, r.End)
	}
	return fmt.Sprintf("%s:%d %s %s %s:%d->%s:%d %d/%d %s", r.Pos.Source, r.Pos.Line, r.InterfaceID, r.Protocol,
		r.SrcAddr, r.SrcPort, r.DstAddr, r.DstPort, r.Packets, r.Bytes, r.Action)
}

func TestDetect(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Content
	}{
		{"PAR1\x15\x04", ContentParquet},
		{`{"events":[]}`, ContentCloudWatch},
		{"\xEF\xBB\xBF  \r\n[{\"message\":\"x\"}]", ContentCloudWatch},
		{"2018-09-22T20:28:14.000Z 2 633112549318 eni-d68830d4 - - - - - - - 1 2 - NODATA", ContentPrefixed},
		{"2024-01-02T03:04:05.123000+00:00 eni-1-all 2 1 eni-1 - - - - - - - 1 2 - NODATA", ContentPrefixed},
		{v2Header + "\n" + docV2[0], ContentText},
		{docV2[0], ContentText},
		{"", ContentText},
		{"2018-09-22 20:28:14 not iso", ContentText},
	} {
		if got := detect([]byte(tt.in)); got != tt.want {
			t.Errorf("detect(%.30q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestListInputsS3Layout(t *testing.T) {
	dir := t.TempDir()
	day := func(d string) string {
		return filepath.Join(dir, "AWSLogs", "123456789012", "vpcflowlogs", "us-east-1", "2024", "01", d)
	}
	files := []string{
		filepath.Join(day("02"), "123456789012_vpcflowlogs_us-east-1_fl-1_20240102T0005Z_aa.log.gz"),
		filepath.Join(day("01"), "123456789012_vpcflowlogs_us-east-1_fl-1_20240101T2355Z_bb.log.gz"),
		filepath.Join(day("01"), "123456789012_vpcflowlogs_us-east-1_fl-1_20240101T0000Z_cc.log.gz"),
		filepath.Join(day("10"), "x.log"),
	}
	for _, f := range files {
		writeTemp(t, f, gzipMembers(t, v2Header+"\n"+docV2[0]+"\n"))
	}
	writeTemp(t, filepath.Join(day("01"), ".DS_Store"), []byte("junk"))
	writeTemp(t, filepath.Join(dir, ".git", "HEAD"), []byte("junk"))
	got, err := ListInputs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{files[2], files[1], files[0], files[3]}
	if len(got) != len(want) {
		t.Fatalf("ListInputs = %v; want %v", got, want)
	}
	for i := range want {
		if got[i].Path != want[i] {
			t.Errorf("ListInputs[%d] = %s; want %s", i, got[i].Path, want[i])
		}
	}
	if _, err := ListInputs([]string{filepath.Join(dir, "nope")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ListInputs(missing) error = %v; want not exist", err)
	}
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	if _, err := ListInputs([]string{empty}); err == nil || !strings.Contains(err.Error(), "holds no files") {
		t.Errorf("ListInputs(empty dir) error = %v", err)
	}
	if _, err := ListInputs([]string{"-", "-"}); err == nil {
		t.Error("ListInputs(-, -) = nil error; want stdin given twice")
	}

	// The whole tree reads as one stream in that order.
	recs, st, err := openAll(t, StreamOptions{}, dir)
	if err != nil || len(recs) != 4 || st.Records != 4 || st.Headers != 4 || len(st.Inputs) != 4 {
		t.Fatalf("stream over S3 tree: %d records, stats %+v, err %v", len(recs), st.ReadStats, err)
	}
	if recs[0].Pos.Source != files[2] || recs[0].Pos.Line != 2 {
		t.Errorf("first record at %v; want %s:2", recs[0].Pos, files[2])
	}
	if !st.Inputs[0].Gzip || st.Inputs[0].Content != ContentText {
		t.Errorf("input 0 info = %+v; want gzip text", st.Inputs[0].SourceInfo)
	}
}

func TestStreamSamples(t *testing.T) {
	dir := "testdata/sources"
	tests := []struct {
		file    string
		opts    StreamOptions
		content Content
		gzip    bool
		skipped int64
		want    []string
	}{
		{
			file: "vpcflow.log.gz", content: ContentText, gzip: true,
			want: []string{
				"testdata/sources/vpcflow.log.gz:2 eni-abc123de tcp 172.31.9.69:49761->172.31.9.12:3389 20/4096 ACCEPT",
				"testdata/sources/vpcflow.log.gz:3 eni-abc123de tcp 172.31.9.69:49761->172.31.9.21:3389 20/5060 ACCEPT",
			},
		},
		{
			// flowlogs-reader test_iteration: 5 records, 1 skipped ("bogus!").
			file: "filter-log-events-pages.json", content: ContentCloudWatch, skipped: 1,
			want: []string{
				"testdata/sources/filter-log-events-pages.json#log_0:5 eni-102010ab tcp 198.51.100.1:443->192.0.2.1:49152 10/840 ACCEPT",
				"testdata/sources/filter-log-events-pages.json#log_0:9 eni-102010ab tcp 192.0.2.1:49152->198.51.100.1:443 20/1680 ACCEPT",
				"testdata/sources/filter-log-events-pages.json#log_0:18 eni-102010cd tcp 192.0.2.1:49152->198.51.100.1:443 20/1680 REJECT",
				"testdata/sources/filter-log-events-pages.json#log_1:22 eni-1a2b3c4d NODATA 1431280876-1431280934",
				"testdata/sources/filter-log-events-pages.json#log_2:26 eni-4b118871 SKIPDATA 1431280876-1431280934",
			},
		},
		{
			file: "valid_vpc_flow_cw.json", content: ContentCloudWatch,
			want: []string{
				"testdata/sources/valid_vpc_flow_cw.json#eni-1235b8ca123456789:1 eni-1235b8ca123456789 tcp 172.31.16.139:20641->172.31.16.21:22 20/4249 ACCEPT",
				"testdata/sources/valid_vpc_flow_cw.json#eni-1235b8ca123456789:1 eni-1235b8ca123456789 tcp 172.31.9.69:49761->172.31.9.12:3389 20/4249 REJECT",
			},
		},
		{
			// Custom 4-field records: the format must come from --log-format.
			file: "valid_vpc_flow_cw_custom.json", content: ContentCloudWatch,
			opts: StreamOptions{ReaderOptions: ReaderOptions{Format: mustLogFormat(t, "${version} ${interface-id} ${srcaddr} ${dstaddr}")}},
			want: []string{
				"testdata/sources/valid_vpc_flow_cw_custom.json#eni-1234567890abcdef:1 eni-1235b8ca123456789 hopopt 172.31.16.139:0->172.31.16.21:0 0/0 -",
				"testdata/sources/valid_vpc_flow_cw_custom.json#eni-1234567890abcdef:1 eni-1235b8ca123456789 hopopt 172.31.9.69:0->172.31.9.12:0 0/0 -",
			},
		},
		{
			// Without --log-format the same messages do not fit v2 and are skipped.
			file: "valid_vpc_flow_cw_custom.json", content: ContentCloudWatch, skipped: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			recs, st, err := openAll(t, tt.opts, filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i := range recs {
				got = append(got, brief(&recs[i]))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if st.Skipped != tt.skipped || st.Records != int64(len(tt.want)) {
				t.Errorf("stats = %+v; want %d records, %d skipped", st.ReadStats, len(tt.want), tt.skipped)
			}
			in := st.Inputs[0]
			if in.Content != tt.content || in.Gzip != tt.gzip {
				t.Errorf("source info = %+v; want %v gzip=%v", in.SourceInfo, tt.content, tt.gzip)
			}
		})
	}
}

func mustLogFormat(t *testing.T, s string) *Format {
	t.Helper()
	f, err := ParseFormat(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCloudWatchTGWPayload(t *testing.T) {
	// The TGW payload has no header; its format is the TGW field order of the
	// otel test (without packets-lost-*), given as --log-format.
	f := mustLogFormat(t, "version account-id tgw-id tgw-attachment-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type tcp-flags flow-direction region")
	recs, st, err := openAll(t, StreamOptions{ReaderOptions: ReaderOptions{Format: f}}, "testdata/sources/valid_tgw_flow_cw.json")
	if err != nil || len(recs) != 1 {
		t.Fatalf("got %d records, err %v, stats %+v", len(recs), err, st.ReadStats)
	}
	r := recs[0]
	if r.Kind != KindTransitGateway || st.TGW != 1 || r.TGW.TGWID != "tgw-0abc12345def67890" ||
		r.TGW.SrcENI != "eni-0abc12345def67890" || r.Pos.Source != "testdata/sources/valid_tgw_flow_cw.json#tgw-0abc12345def67890" ||
		r.DstPort != 443 || r.Region != "us-east-1" || r.FlowDirection != DirIngress {
		t.Errorf("TGW record = %+v", r)
	}
}

func TestSubscriptionPayloads(t *testing.T) {
	data := `{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1432826855000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}` +
		// logEvents before logStream and messageType: held until the object ends.
		`{"logEvents":[{"id":"1","timestamp":1418530010000,"message":"` + docV2[0] + `"}],"logStream":"eni-1235b8ca123456789-all","messageType":"DATA_MESSAGE","owner":"123456789010"}` + "\n" +
		`{"messageType":"DATA_MESSAGE","owner":"123456789010","logGroup":"/aws/vpc/flowlogs","logStream":"eni-11111111aaaaaaaaa-all","subscriptionFilters":["f"],"logEvents":[{"id":"2","timestamp":1,"message":"` + docV2[3] + `"},{"id":"3","timestamp":1,"message":"` + v2Header + `"},{"id":"4","timestamp":1,"message":"` + docV2[1] + `"}]}`
	dir := t.TempDir()
	// Firehose concatenates gzip members: one per payload.
	parts := strings.SplitAfterN(data, "}]}", 2)
	p := writeTemp(t, filepath.Join(dir, "firehose-object"), gzipMembers(t, parts[0], parts[1]))
	recs, st, err := openAll(t, StreamOptions{}, p)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range recs {
		got = append(got, brief(&recs[i]))
	}
	// Positions are file lines (of the decompressed object): events that
	// share a line share it.
	want := []string{
		p + "#eni-1235b8ca123456789-all:1 eni-1235b8ca123456789 tcp 172.31.16.139:20641->172.31.16.21:22 20/4249 ACCEPT",
		p + "#eni-11111111aaaaaaaaa-all:2 eni-11111111aaaaaaaaa SKIPDATA 1431280876-1431280934",
		p + "#eni-11111111aaaaaaaaa-all:2 eni-1235b8ca123456789 tcp 172.31.9.69:49761->172.31.9.12:3389 20/4249 REJECT",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st.Control != 1 || st.Headers != 1 || st.Skipped != 0 || st.Gaps != 1 || !st.Inputs[0].Gzip {
		t.Errorf("stats = %+v control=%d gzip=%v", st.ReadStats, st.Control, st.Inputs[0].Gzip)
	}
}

func TestMessageLinesAndGetLogEvents(t *testing.T) {
	dir := t.TempDir()
	// Firehose/exported: one {"message": ...} object per line.
	var lines strings.Builder
	for _, r := range docV2[:3] {
		fmt.Fprintf(&lines, "{\"message\":%q}\n", r)
	}
	lines.WriteString("{\"message\":42}\n")
	p1 := writeTemp(t, filepath.Join(dir, "messages.json"), []byte(lines.String()))
	// get-log-events: no logStreamName in events.
	p2 := writeTemp(t, filepath.Join(dir, "get-log-events.json"), []byte(`{"events":[{"timestamp":1432917027000,"message":"`+docV2[4]+`","ingestionTime":1432917460123},{"timestamp":1432917094000,"message":"`+docV2[5]+`\n","ingestionTime":1432917460123}],"nextForwardToken":"f/1","nextBackwardToken":"b/1"}`))
	recs, st, err := openAll(t, StreamOptions{}, p1, p2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range recs {
		got = append(got, brief(&recs[i]))
	}
	want := []string{
		p1 + ":1 eni-1235b8ca123456789 tcp 172.31.16.139:20641->172.31.16.21:22 20/4249 ACCEPT",
		p1 + ":2 eni-1235b8ca123456789 tcp 172.31.9.69:49761->172.31.9.12:3389 20/4249 REJECT",
		p1 + ":3 eni-1235b8ca123456789 NODATA 1431280876-1431280934",
		p2 + ":1 eni-1235b8ca123456789 icmp 203.0.113.12:0->172.31.16.139:0 4/336 ACCEPT",
		p2 + ":1 eni-1235b8ca123456789 icmp 172.31.16.139:0->203.0.113.12:0 4/336 REJECT",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st.Skipped != 1 || len(st.Examples) != 1 || !strings.Contains(st.Examples[0].Error(), p1+":4") {
		t.Errorf("stats = %+v; want the non-string message at %s:4 skipped", st.ReadStats, p1)
	}
}

func TestPrefixedText(t *testing.T) {
	dir := t.TempDir()
	tail := "2014-12-14T04:07:50.123000+00:00 eni-1235b8ca123456789-all " + docV2[0] + "\n" +
		"2014-12-14T04:07:50.123000+00:00 eni-1235b8ca123456789-all " + docV2[1] + "\r\n" +
		"\n" +
		"2015-05-10T18:01:16.000000+00:00 eni-11111111aaaaaaaaa-all " + docV2[3] + "\n" +
		"2015-05-10T18:01:16.000000+00:00 eni-11111111aaaaaaaaa-all 2 bogus\n"
	export := "2014-12-14T04:07:50.000Z " + docV2[0] + "\n" + "2015-05-10T18:01:16.000Z " + docV2[2]
	p1 := writeTemp(t, filepath.Join(dir, "tail.txt"), []byte(tail))
	p2 := writeTemp(t, filepath.Join(dir, "export.txt"), []byte(export))
	recs, st, err := openAll(t, StreamOptions{}, p1, p2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range recs {
		got = append(got, brief(&recs[i]))
	}
	want := []string{
		p1 + "#eni-1235b8ca123456789-all:1 eni-1235b8ca123456789 tcp 172.31.16.139:20641->172.31.16.21:22 20/4249 ACCEPT",
		p1 + "#eni-1235b8ca123456789-all:2 eni-1235b8ca123456789 tcp 172.31.9.69:49761->172.31.9.12:3389 20/4249 REJECT",
		p1 + "#eni-11111111aaaaaaaaa-all:4 eni-11111111aaaaaaaaa SKIPDATA 1431280876-1431280934",
		p2 + ":1 eni-1235b8ca123456789 tcp 172.31.16.139:20641->172.31.16.21:22 20/4249 ACCEPT",
		p2 + ":2 eni-1235b8ca123456789 NODATA 1431280876-1431280934",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st.Skipped != 1 || st.Blank != 1 || st.Inputs[0].Content != ContentPrefixed {
		t.Errorf("stats = %+v, content %v", st.ReadStats, st.Inputs[0].Content)
	}
	if len(st.Examples) != 1 || !strings.HasPrefix(st.Examples[0].Error(), p1+"#eni-11111111aaaaaaaaa-all:5") {
		t.Errorf("examples = %v", st.Examples)
	}
}

func TestTruncatedGzip(t *testing.T) {
	dir := t.TempDir()
	var body strings.Builder
	body.WriteString(v2Header + "\n")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&body, "2 123456789010 eni-%017d 10.0.%d.%d 10.1.0.9 %d 443 6 10 840 1700000000 1700000060 ACCEPT OK\n", i%7, i/250, i%250, 1024+i)
	}
	full := gzipMembers(t, body.String())
	broken := writeTemp(t, filepath.Join(dir, "a-broken.log.gz"), full[:len(full)/2])
	good := writeTemp(t, filepath.Join(dir, "b-good.log.gz"), gzipMembers(t, v2Header+"\n"+docV2[0]+"\n"))

	recs, st, err := openAll(t, StreamOptions{}, broken, good)
	if err != nil {
		t.Fatalf("lenient stream returned %v", err)
	}
	if len(st.Failed) != 1 || st.Failed[0].File != broken {
		t.Fatalf("Failed = %v; want %s", st.Failed, broken)
	}
	n := st.Failed[0].Records
	if n <= 0 || n >= 2000 || int64(len(recs)) != n+1 {
		t.Errorf("delivered %d records, %d before the break; want all records before the break plus 1", len(recs), n)
	}
	msg := st.Failed[0].Error()
	if !strings.HasPrefix(msg, broken+": ") || !strings.Contains(msg, "truncated or corrupt gzip") ||
		!strings.Contains(msg, fmt.Sprintf("after %d records", n)) {
		t.Errorf("error = %q", msg)
	}
	if last := recs[len(recs)-1]; last.Pos.Source != good {
		t.Errorf("last record from %s; want the next input %s", last.Pos.Source, good)
	}
	// Every record before the break is intact and in order.
	for i := int64(0); i < n; i++ {
		if recs[i].SrcPort != uint16(1024+i) || recs[i].Pos.Line != i+2 {
			t.Fatalf("record %d = %s", i, brief(&recs[i]))
		}
	}

	// Strict: the stream stops with the error, after the same records.
	recs, _, err = openAll(t, StreamOptions{ReaderOptions: ReaderOptions{Strict: true}}, broken, good)
	var ie *InputError
	if !errors.As(err, &ie) || ie.File != broken || int64(len(recs)) != n {
		t.Errorf("strict: %d records, err %v; want %d records then an InputError", len(recs), err, n)
	}
}

func TestStreamErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeTemp(t, filepath.Join(dir, "bad.log"), []byte(v2Header+"\n"+docV2[0]+"\n2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 http 6 1 1 1 2 ACCEPT OK\n"+docV2[1]+"\n"))
	recs, st, err := openAll(t, StreamOptions{}, bad)
	if err != nil || len(recs) != 2 || st.Skipped != 1 {
		t.Fatalf("lenient: %d records, skipped %d, err %v", len(recs), st.Skipped, err)
	}
	var pe *ParseError
	if !errors.As(st.Examples[0], &pe) || pe.File != bad || pe.Line != 3 || pe.Field != "dstport" {
		t.Errorf("example = %v", st.Examples[0])
	}
	recs, _, err = openAll(t, StreamOptions{ReaderOptions: ReaderOptions{Strict: true}}, bad)
	if !errors.As(err, &pe) || len(recs) != 1 {
		t.Errorf("strict: %d records, err %v; want 1 record then the ParseError", len(recs), err)
	}

	// Broken JSON: what came before is delivered, the input is reported.
	js := writeTemp(t, filepath.Join(dir, "cut.json"), []byte(`{"events":[{"logStreamName":"s","message":"`+docV2[0]+`"},{"logStreamName":"s","mess`))
	recs, st, err = openAll(t, StreamOptions{}, js)
	if err != nil || len(recs) != 1 || len(st.Failed) != 1 || !strings.Contains(st.Failed[0].Error(), "JSON ends early") {
		t.Errorf("cut JSON: %d records, failed %v, err %v", len(recs), st.Failed, err)
	}

	// Unreadable input in lenient mode: reported, the stream goes on.
	unreadable := writeTemp(t, filepath.Join(dir, "locked.log"), []byte(docV2[0]))
	os.Chmod(unreadable, 0)
	if f, err := os.Open(unreadable); err == nil {
		f.Close()
		t.Log("running as root: cannot test an unreadable file")
	} else {
		recs, st, err = openAll(t, StreamOptions{}, unreadable, bad)
		if err != nil || len(recs) != 2 || len(st.Failed) != 1 || st.Failed[0].File != unreadable {
			t.Errorf("unreadable: %d records, failed %v, err %v", len(recs), st.Failed, err)
		}
	}

	// Standard input.
	s, err := OpenStream([]string{"-"}, strings.NewReader(v2Header+"\n"+docV2[2]+"\n"), StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	recs, err = drainStream(t, s)
	if err != nil || len(recs) != 1 || recs[0].Pos != (Pos{"-", 2}) || !recs[0].IsGap() {
		t.Errorf("stdin: %v, %v", recs, err)
	}
}

func TestStreamBinaryJunk(t *testing.T) {
	dir := t.TempDir()
	junk := make([]byte, 5000)
	for i := range junk {
		junk[i] = byte(i*7919 + i>>3)
	}
	for i, data := range [][]byte{junk, append([]byte("PAR1"), junk...), append([]byte{0x1f, 0x8b}, junk...), append([]byte("{"), junk...)} {
		p := writeTemp(t, filepath.Join(dir, fmt.Sprintf("junk%d", i)), data)
		_, _, err := openAll(t, StreamOptions{}, p)
		if err != nil {
			t.Errorf("junk%d: lenient stream returned %v", i, err)
		}
	}
}

func TestFilterOnStream(t *testing.T) {
	dir := t.TempDir()
	p := writeTemp(t, filepath.Join(dir, "docs.log"), []byte(v2Header+"\n"+strings.Join(docV2, "\n")+"\n"))
	recs, _, err := openAll(t, StreamOptions{}, p)
	if err != nil {
		t.Fatal(err)
	}
	f := Filter{Actions: []Action{ActionReject}, Addrs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}}
	var got []string
	for i := range recs {
		if f.Match(&recs[i]) {
			got = append(got, brief(&recs[i]))
		}
	}
	want := []string{
		p + ":4 eni-1235b8ca123456789 NODATA 1431280876-1431280934",
		p + ":5 eni-11111111aaaaaaaaa SKIPDATA 1431280876-1431280934",
		p + ":7 eni-1235b8ca123456789 icmp 172.31.16.139:0->203.0.113.12:0 4/336 REJECT",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("filtered:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A CloudWatch event's timestamp is its record's start (DOMAIN 1.11): a
// custom format without start and end takes its time from it; a format
// with them keeps its own; a missing or non-integer timestamp leaves the
// record without a time.
func TestCloudWatchTimestampStandsInForStart(t *testing.T) {
	dir := t.TempDir()
	noTimes, err := ParseFormat("${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${action}")
	if err != nil {
		t.Fatal(err)
	}
	p := writeTemp(t, filepath.Join(dir, "events.json"), []byte(`{"events":[
		{"timestamp":1795183100000,"message":"eni-a 10.0.1.5 10.0.2.9 40000 443 6 ACCEPT"},
		{"timestamp":1795183160999,"message":"eni-a 10.0.2.9 10.0.1.5 443 40000 6 REJECT\neni-a 10.0.2.9 10.0.1.5 443 40001 6 REJECT"},
		{"timestamp":"soon","message":"eni-a 10.0.1.5 10.0.2.9 40002 443 6 ACCEPT"},
		{"message":"eni-a 10.0.1.5 10.0.2.9 40003 443 6 ACCEPT"}]}`))
	recs, _, err := openAll(t, StreamOptions{ReaderOptions: ReaderOptions{Format: noTimes}}, p)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		start, end int64
		has        bool
	}{{1795183100, 1795183100, true}, {1795183160, 1795183160, true}, {1795183160, 1795183160, true}, {0, 0, false}, {0, 0, false}}
	if len(recs) != len(want) {
		t.Fatalf("%d records; want %d", len(recs), len(want))
	}
	for i, w := range want {
		r := &recs[i]
		if r.Has(FieldStart) != w.has || r.Has(FieldEnd) != w.has || r.Start != w.start || r.End != w.end {
			t.Errorf("record %d: start %d (%v) end %d (%v); want %d-%d (%v)", i, r.Start, r.Has(FieldStart), r.End, r.Has(FieldEnd), w.start, w.end, w.has)
		}
	}
	// The default format has start and end: they win over the timestamp.
	p2 := writeTemp(t, filepath.Join(dir, "v2.json"), []byte(`{"events":[{"timestamp":1000,"message":"`+docV2[4]+`"}]}`))
	recs, _, err = openAll(t, StreamOptions{}, p2)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Start != 1432917027 || recs[0].End != 1432917142 {
		t.Errorf("v2 record: %+v", recs)
	}
}

// A JSON object that is not CloudWatch Logs output is an input error, not
// an input without records ("nothing blocked" for the wrong file); pages
// of get-log-events / filter-log-events collected under "pages" are read.
func TestCloudWatchObjectShapes(t *testing.T) {
	dir := t.TempDir()
	unknown := writeTemp(t, filepath.Join(dir, "ocsf.json"), []byte(`{"class_uid": 4001, "src_endpoint": {"ip": "10.0.0.1"}}`))
	_, st, err := openAll(t, StreamOptions{}, unknown)
	if err == nil && len(st.Failed) == 0 {
		t.Fatalf("an unknown JSON object read without error: %+v", st)
	}
	msg := fmt.Sprint(err, st.Failed)
	if !strings.Contains(msg, unknown+":1:1: a JSON object without events, logEvents, pages or message") {
		t.Errorf("error %s", msg)
	}
	pages := writeTemp(t, filepath.Join(dir, "pages.json"), []byte(`{"pages":[
		{"events":[{"timestamp":1432917027000,"message":"`+docV2[4]+`"}],"nextToken":"a"},
		{"events":[{"timestamp":1432917094000,"message":"`+docV2[5]+`"}]}]}`))
	recs, st, err := openAll(t, StreamOptions{}, pages)
	if err != nil || len(recs) != 2 || st.Skipped != 0 {
		t.Fatalf("pages: %d records, %+v, %v", len(recs), st, err)
	}
}
