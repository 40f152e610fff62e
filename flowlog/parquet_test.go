package flowlog

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestParquetFlowlogsReader reads flows.parquet from obsrvbl-oss/flowlogs-reader
// and checks it field by field against expected-parsed-records.json
// (S3FlowLogsReaderTestCase.test_serial_parquet).
func TestParquetFlowlogsReader(t *testing.T) {
	const p = "testdata/sources/flows.parquet"
	recs, st, err := openAll(t, StreamOptions{}, p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Inputs[0].Content != ContentParquet {
		t.Errorf("content = %v; want parquet", st.Inputs[0].Content)
	}
	// 2015-08-12T13:47:43 and :44 UTC.
	const start, end = 1439387263, 1439387264
	if len(recs) != 2 {
		t.Fatalf("got %d records; want 2 (the third row has protocol 8080)", len(recs))
	}
	r := recs[0]
	want := Record{
		Pos: Pos{p, 1}, Version: 2, AccountID: "123456789010", InterfaceID: "eni-102010ab",
		SrcAddr: netip.MustParseAddr("198.51.100.1"), DstAddr: netip.MustParseAddr("192.0.2.1"),
		SrcPort: 443, DstPort: 49152, Protocol: ProtoTCP, Packets: 10, Bytes: 840,
		Start: start, End: end, Action: ActionAccept, LogStatus: LogStatusOK,
	}
	want.Present = r.Present
	if !pqSameRecord(&r, &want) {
		t.Errorf("row 1 = %+v\nwant   %+v", r, want)
	}
	for _, f := range DefaultFormat().Fields() {
		if !r.Has(f) {
			t.Errorf("row 1: field %s not present", f)
		}
	}
	r = recs[1]
	if r.Pos.Line != 2 || r.InterfaceID != "eni-202010ab" || r.LogStatus != LogStatusNoData || !r.IsGap() ||
		r.Start != start || r.End != end || r.Has(FieldSrcAddr) || r.Has(FieldAction) || r.Has(FieldPackets) {
		t.Errorf("row 2 = %+v; want NODATA on eni-202010ab without addresses, action or counts", r)
	}
	// Row 3: flowlogs-reader keeps protocol 8080; a protocol is one byte
	// (IANA 0-255), so flowdiag rejects the row and says where.
	if st.Skipped != 1 || len(st.Examples) != 1 {
		t.Fatalf("stats = %+v; want row 3 skipped", st.ReadStats)
	}
	var pe *ParseError
	if !errors.As(st.Examples[0], &pe) || pe.File != p || pe.Line != 3 || pe.Field != "protocol" || !strings.Contains(pe.Error(), "8080") {
		t.Errorf("row 3 error = %v", st.Examples[0])
	}
}

func pqSameRecord(a, b *Record) bool {
	x, y := *a, *b
	x.Extra, y.Extra = nil, nil
	return reflect.DeepEqual(x, y)
}

// v5Row is a version 5 row as S3 Parquet delivery writes it: INT32 for
// version, ports, protocol, tcp_flags and traffic_path; INT64 for counts and
// times; STRING otherwise; optional columns may be null.
type v5Row struct {
	Version          int32   `parquet:"version"`
	AccountID        *string `parquet:"account_id,optional"`
	InterfaceID      string  `parquet:"interface_id"`
	SrcAddr          *string `parquet:"srcaddr,optional"`
	DstAddr          *string `parquet:"dstaddr,optional"`
	SrcPort          *int32  `parquet:"srcport,optional"`
	DstPort          *int32  `parquet:"dstport,optional"`
	Protocol         *int32  `parquet:"protocol,optional"`
	Packets          *int64  `parquet:"packets,optional"`
	Bytes            *int64  `parquet:"bytes,optional"`
	Start            int64   `parquet:"start"`
	End              int64   `parquet:"end"`
	Action           *string `parquet:"action,optional"`
	LogStatus        string  `parquet:"log_status"`
	VPCID            *string `parquet:"vpc_id,optional"`
	SubnetID         *string `parquet:"subnet_id,optional"`
	InstanceID       *string `parquet:"instance_id,optional"`
	TCPFlags         *int32  `parquet:"tcp_flags,optional"`
	Type             *string `parquet:"type,optional"`
	PktSrcAddr       *string `parquet:"pkt_srcaddr,optional"`
	PktDstAddr       *string `parquet:"pkt_dstaddr,optional"`
	Region           *string `parquet:"region,optional"`
	AZID             *string `parquet:"az_id,optional"`
	SublocationType  *string `parquet:"sublocation_type,optional"`
	SublocationID    *string `parquet:"sublocation_id,optional"`
	PktSrcAWSService *string `parquet:"pkt_src_aws_service,optional"`
	PktDstAWSService *string `parquet:"pkt_dst_aws_service,optional"`
	FlowDirection    *string `parquet:"flow_direction,optional"`
	TrafficPath      *int32  `parquet:"traffic_path,optional"`
	ShinyNewField    *string `parquet:"shiny_new_field,optional"` // a column flowdiag does not know
}

func strp(s string) *string { return &s }
func i32p(n int32) *int32   { return &n }
func i64p(n int64) *int64   { return &n }

// v5Rows are the AWS documentation v5 examples (DOMAIN.md 1.12), a NODATA
// row with nulls, a row using "-" and empty strings for absent values, and
// a row with a bad address.
func v5Rows() []v5Row {
	common := func(r v5Row) v5Row {
		r.Version, r.AccountID, r.InterfaceID = 5, strp("123456789012"), "eni-1235b8ca123456789"
		r.VPCID, r.SubnetID, r.InstanceID = strp("vpc-abcdefab012345678"), strp("subnet-aaaaaaaa012345678"), strp("i-0c50d5961bcb2d47b")
		r.Region, r.AZID, r.SublocationType, r.SublocationID = strp("ap-southeast-2"), strp("apse2-az3"), strp("-"), strp("")
		return r
	}
	return []v5Row{
		common(v5Row{SrcAddr: strp("52.95.128.179"), DstAddr: strp("10.0.0.71"), SrcPort: i32p(80), DstPort: i32p(34210), Protocol: i32p(6),
			Start: 1616729292, End: 1616729349, Type: strp("IPv4"), Packets: i64p(14), Bytes: i64p(15044), Action: strp("ACCEPT"),
			TCPFlags: i32p(19), PktSrcAddr: strp("52.95.128.179"), PktDstAddr: strp("10.0.0.71"), PktSrcAWSService: strp("S3"),
			PktDstAWSService: strp("-"), FlowDirection: strp("ingress"), LogStatus: "OK", ShinyNewField: strp("x1")}),
		common(v5Row{SrcAddr: strp("10.0.0.71"), DstAddr: strp("52.95.128.179"), SrcPort: i32p(34210), DstPort: i32p(80), Protocol: i32p(6),
			Start: 1616729292, End: 1616729349, Type: strp("IPv4"), Packets: i64p(7), Bytes: i64p(471), Action: strp("ACCEPT"),
			TCPFlags: i32p(3), PktSrcAddr: strp("10.0.0.71"), PktDstAddr: strp("52.95.128.179"), PktDstAWSService: strp("S3"),
			TrafficPath: i32p(8), FlowDirection: strp("egress"), LogStatus: "OK"}),
		{Version: 5, InterfaceID: "eni-1235b8ca123456789", Start: 1431280876, End: 1431280934, LogStatus: "NODATA"},
		common(v5Row{SrcAddr: strp("not-an-ip"), DstAddr: strp("10.0.0.71"), Start: 1, End: 2, LogStatus: "OK"}),
	}
}

func TestParquetV5Written(t *testing.T) {
	var buf bytes.Buffer
	if err := parquet.Write(&buf, v5Rows(), parquet.MaxRowsPerRowGroup(2)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := writeTemp(t, filepath.Join(dir, "v5.log.parquet"), buf.Bytes())
	var warnings []string
	opts := StreamOptions{ReaderOptions: ReaderOptions{Warn: func(s string) { warnings = append(warnings, s) }}}
	recs, st, err := openAll(t, opts, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || st.Skipped != 1 || st.Gaps != 1 {
		t.Fatalf("got %d records, stats %+v; want 3 records, 1 skipped, 1 gap", len(recs), st.ReadStats)
	}
	r := recs[0]
	if r.Pos != (Pos{p, 1}) || r.Version != 5 || r.SrcAddr != netip.MustParseAddr("52.95.128.179") || r.DstPort != 34210 ||
		r.Packets != 14 || r.Bytes != 15044 || r.TCPFlags != 19 || r.Type != "IPv4" || r.Region != "ap-southeast-2" ||
		r.AZID != "apse2-az3" || r.PktSrcAWSService != "S3" || r.FlowDirection != DirIngress || r.VPCID != "vpc-abcdefab012345678" {
		t.Errorf("row 1 = %+v", r)
	}
	for _, f := range []Field{FieldSublocationType, FieldSublocationID, FieldPktDstAWSService, FieldTrafficPath} {
		if r.Has(f) {
			t.Errorf("row 1: %s present; want absent (\"-\", empty or null)", f)
		}
	}
	if len(r.Extra) != 1 || r.Extra[0] != "x1" {
		t.Errorf("row 1 extra = %q; want [x1]", r.Extra)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], `"shiny_new_field"`) {
		t.Errorf("warnings = %q", warnings)
	}
	r = recs[1]
	if r.Pos.Line != 2 || r.TrafficPath != 8 || !r.Has(FieldTrafficPath) || r.FlowDirection != DirEgress || r.PktDstAWSService != "S3" {
		t.Errorf("row 2 = %+v", r)
	}
	r = recs[2] // third row group boundary crossed: rows 1-2, then 3-4
	if r.Pos.Line != 3 || r.LogStatus != LogStatusNoData || r.Has(FieldAccountID) || r.Has(FieldSrcPort) || r.Has(FieldRegion) {
		t.Errorf("row 3 = %+v", r)
	}
	var pe *ParseError
	if !errors.As(st.Examples[0], &pe) || pe.Line != 4 || pe.Field != "srcaddr" || pe.Column != 0 {
		t.Errorf("row 4 error = %v (%+v)", st.Examples[0], pe)
	}

	// The same file through standard input and inside gzip is spooled.
	data, _ := os.ReadFile(p)
	for name, in := range map[string][]byte{"stdin": data, "gzip": gzipMembers(t, string(data))} {
		s, err := OpenStream([]string{"-"}, bytes.NewReader(in), StreamOptions{TempDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		got, err := drainStream(t, s)
		if err != nil || len(got) != 3 || got[0].Pos != (Pos{"-", 1}) {
			t.Errorf("%s: %d records, err %v", name, len(got), err)
		}
		s.Close()
	}
	left, _ := filepath.Glob(filepath.Join(dir, "flowdiag-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestParquetCorrupt(t *testing.T) {
	var buf bytes.Buffer
	if err := parquet.Write(&buf, v5Rows()); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	dir := t.TempDir()
	for i, bad := range [][]byte{
		data[:len(data)/2],              // truncated: no footer
		append([]byte("PAR1"), 1, 2, 3), // magic only
		func() []byte { // flipped bytes in the middle of the column chunks
			b := append([]byte(nil), data...)
			for j := 200; j < 260 && j < len(b); j++ {
				b[j] ^= 0xA5
			}
			return b
		}(),
	} {
		p := writeTemp(t, filepath.Join(dir, "bad.parquet"), bad)
		_, st, err := openAll(t, StreamOptions{}, p)
		if err != nil {
			t.Errorf("case %d: lenient stream returned %v", i, err)
		}
		if i < 2 && (len(st.Failed) != 1 || !strings.Contains(st.Failed[0].Error(), "Parquet")) {
			t.Errorf("case %d: failed = %v; want the file reported", i, st.Failed)
		}
	}
}
