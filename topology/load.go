package topology

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/flowdiag/flowdiag/flowlog"
)

// ParseYAML loads a topology from flowdiag's YAML format. name is used in
// positions. The error, if any, is an *ErrorList holding every problem.
func ParseYAML(name string, data []byte) (*Topology, error) {
	var e errs
	s := parseYAML(name, data, &e)
	if s == nil {
		return nil, e.err()
	}
	t := compile(name, s, &e)
	if err := e.err(); err != nil {
		return nil, err
	}
	return t, nil
}

// Load reads a topology from path: a YAML file (.yaml, .yml or anything
// not ending in .json), an AWS describe-* JSON file, or a directory of such
// JSON files (searched recursively, as in Batfish snapshots: one folder per
// account or region holding SecurityGroups.json, NetworkAcls.json, ...).
func Load(path string) (*Topology, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	if st.IsDir() || strings.EqualFold(filepath.Ext(path), ".json") {
		return ImportAWS(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	defer f.Close()
	// A flow log given as the topology (the arguments swapped) is said so
	// before it is read whole: a dump may be gigabytes.
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	if what := notTopology(head[:n]); what != "" {
		return nil, fmt.Errorf("%s: %s, not a topology: --topology takes flowdiag's topology YAML or AWS describe-* JSON, and the flow logs are the arguments", path, what)
	}
	rest, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	return ParseYAML(path, append(head[:n], rest...))
}

// notTopology says what the start of a file is when it is plainly not a
// topology: gzip data, or a flow log (a header line or a default-format
// record first). It returns "" otherwise.
func notTopology(head []byte) string {
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return "this is gzip-compressed data (a flow log?)"
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	if flowlog.LooksLikeHeader(line) {
		return "line 1 is a flow log header"
	}
	var rec flowlog.Record
	if flowlog.NewParser(flowlog.DefaultFormat()).Parse(line, &rec) == nil {
		return "line 1 is a flow log record"
	}
	return ""
}
