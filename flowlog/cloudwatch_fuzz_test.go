package flowlog

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"testing"
)

// FuzzCloudWatchJSON feeds arbitrary bytes to the CloudWatch JSON reader:
// it must never panic, must end (EOF or an error) and every record it
// returns must carry a position inside the input.
func FuzzCloudWatchJSON(f *testing.F) {
	for _, name := range []string{"filter-log-events-pages.json", "valid_vpc_flow_cw.json", "valid_vpc_flow_cw_custom.json", "valid_tgw_flow_cw.json"} {
		b, err := os.ReadFile("testdata/sources/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"messageType":"CONTROL_MESSAGE","logEvents":[{"message":"x"}]}{"message":"` + docV2[2] + `"}`))
	f.Add([]byte(`[{"logStreamName":"s","message":"` + v2Header + `\n` + docV2[0] + `"},[[{"events":[{}]}]]]`))
	f.Add([]byte(`{"logEvents":[{"message":null}],"logStream":7,"messageType":"DATA_MESSAGE"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var closer multiCloser
		r := newCloudWatchReader("f.json", bufio.NewReader(bytes.NewReader(data)), ReaderOptions{}, SourceInfo{}, &closer)
		var rec Record
		for i := 0; ; i++ {
			err := r.Read(&rec)
			if err == io.EOF || err != nil {
				break
			}
			if rec.Pos.Line < 1 || rec.Pos.Line > int64(len(data)) {
				t.Fatalf("record %d at line %d of a %d-byte input", i, rec.Pos.Line, len(data))
			}
			if i > len(data) {
				t.Fatalf("more records (%d) than input bytes", i)
			}
		}
		st := r.Stats()
		if st.Records+st.Skipped+st.Headers+st.Blank > st.Lines {
			t.Fatalf("stats do not add up: %+v", st)
		}
	})
}
