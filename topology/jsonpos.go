package topology

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// jsonPositions maps the path of every object that is an element of an
// array ("NetworkAcls/3/Entries/5", with "data/" first inside a wrapper) to
// where it starts in data, so imported items and rules carry a line and
// column, as YAML ones do. On malformed JSON it returns what it found
// before the error, which the decoder reading the values reports with its
// position anyway.
func jsonPositions(file string, data []byte) map[string]Pos {
	out := map[string]Pos{}
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		array bool
		index int
		key   string
	}
	var stack []frame
	// Offsets only grow: count lines as the walk advances.
	line, lineStart, scanned := 1, 0, 0
	posAt := func(off int) Pos {
		for ; scanned < off && scanned < len(data); scanned++ {
			if data[scanned] == '\n' {
				line, lineStart = line+1, scanned+1
			}
		}
		return Pos{File: file, Line: line, Col: off - lineStart + 1}
	}
	path := func() string {
		var b []byte
		for i, f := range stack {
			if i > 0 {
				b = append(b, '/')
			}
			if f.array {
				b = strconv.AppendInt(b, int64(f.index), 10)
			} else {
				b = append(b, f.key...)
			}
		}
		return string(b)
	}
	// expectKey is set inside an object when the next string is a key.
	expectKey := false
	for {
		start := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return out // the end, or malformed JSON (reported by the decoder that reads the values)
		}
		// The token starts at the first byte that is no separator.
		for start < len(data) && (data[start] == ' ' || data[start] == '\t' || data[start] == '\n' || data[start] == '\r' || data[start] == ',' || data[start] == ':') {
			start++
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			expectKey = len(stack) > 0 && !stack[len(stack)-1].array
			if len(stack) > 0 && stack[len(stack)-1].array {
				stack[len(stack)-1].index++
			}
			continue
		}
		if expectKey {
			if k, ok := tok.(string); ok {
				stack[len(stack)-1].key = k
				expectKey = false
				continue
			}
		}
		// A value.
		inArray := len(stack) > 0 && stack[len(stack)-1].array
		if d, ok := tok.(json.Delim); ok {
			if d == '{' && inArray {
				out[path()] = posAt(start)
			}
			stack = append(stack, frame{array: d == '['})
			expectKey = d == '{'
			continue
		}
		// A scalar value: next comes a key (in an object) or an element.
		if inArray {
			stack[len(stack)-1].index++
		} else if len(stack) > 0 {
			expectKey = true
		}
	}
}
