package topology

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	return ParseYAML(path, data)
}
