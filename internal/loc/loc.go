// Package loc holds what the YAML loaders of topologies, rules and review
// policies share to report problems where they are: a file position, its
// ordering, and the reading of yaml.v3's own errors and node kinds.
package loc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Pos locates an item in a source file: the file name and the 1-based line
// and column. Line 0 means the position is unknown (JSON imported from AWS
// carries none); File alone still names the source.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats p as file:line:col, leaving out what is unknown, or "-"
// when nothing is known.
func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return "-"
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// IsZero reports whether p holds no position at all.
func (p Pos) IsZero() bool { return p == Pos{} }

// Less orders positions by file, line and column.
func (p Pos) Less(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// SortByPos sorts s by position, keeping the order of equal positions (the
// order problems were found in).
func SortByPos[E any](s []E, pos func(E) Pos) {
	slices.SortStableFunc(s, func(a, b E) int {
		pa, pb := pos(a), pos(b)
		switch {
		case pa.Less(pb):
			return -1
		case pb.Less(pa):
			return 1
		}
		return 0
	})
}

// Decode decodes the first YAML document of data as yaml.Unmarshal does,
// and also reads the rest of the stream, which yaml.Unmarshal ignores: a
// second document would otherwise be dropped without a word, and a file
// concatenated from two with "---" would lose half of what it says. second
// is the top node of the first later document that holds anything (nil
// when none does); a lone "---" before the first document, or one at the
// end with nothing after it, is harmless and gives no second. err is the
// first syntax error anywhere in data, for YAMLError.
func Decode(data []byte) (doc yaml.Node, second *yaml.Node, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return yaml.Node{}, nil, nil // empty or comments only, as yaml.Unmarshal
		}
		return yaml.Node{}, nil, err
	}
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return doc, nil, nil
			}
			return doc, nil, err
		}
		if top := docTop(&n); top != nil {
			return doc, top, nil
		}
	}
}

// docTop is the top node of document n, or nil when n holds nothing: no
// node, or only an empty scalar (the document of a trailing "---").
func docTop(n *yaml.Node) *yaml.Node {
	if n.Kind != yaml.DocumentNode {
		return n
	}
	if len(n.Content) == 0 {
		return nil
	}
	top := n.Content[0]
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" && top.Value == "" {
		return nil
	}
	return top
}

// YAMLError reads a yaml.v3 syntax error ("yaml: line N: message") in data
// into the line it names (0 when none) and its message.
//
// yaml.v3 numbers the lines of its parser errors ("did not find expected
// ...") from 0, and names the line where the enclosing list or mapping
// starts, or where the parser gave up when that is the first line; its
// scanner errors are numbered from 1 at the problem. A parser error's line
// is made 1-based (at most the last line of data) and its message says
// what to look for around it.
func YAMLError(err error, data []byte) (line int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				msg = strings.TrimSpace(rest[i+1:])
				if strings.HasPrefix(msg, "did not find expected") {
					last := bytes.Count(bytes.TrimRight(data, "\n"), []byte("\n")) + 1
					line = min(n+1, last)
					if msg == "did not find expected '-' indicator" {
						if bad := misindentedItem(data, line); bad > 0 {
							return bad, msg + ": this line is indented neither as an item of the list above nor inside one"
						}
					}
					return line, msg + " around here: a list or mapping is not closed, or a line is indented wrongly"
				}
				if strings.Contains(msg, "tab character") {
					// Reported on the line before, or at the enclosing
					// scalar: the first line indented with a tab is it.
					if bad := tabIndented(data, n); bad > 0 {
						return bad, msg
					}
				}
				return n, msg
			}
		}
	}
	return 0, msg
}

// misindentedItem finds the line that breaks the block list whose first
// item is at or after line from (1-based): the first line, after that
// item, indented less than an item's content but more than the list's
// dashes, or at the dashes without a dash. 0 when there is none.
func misindentedItem(data []byte, from int) int {
	lines := strings.Split(string(data), "\n")
	dash := -1
	for i := from - 1; i < len(lines); i++ {
		l := lines[i]
		body := strings.TrimLeft(l, " ")
		if body == "" || body[0] == '#' {
			continue
		}
		ind := len(l) - len(body)
		if dash < 0 {
			if !strings.HasPrefix(body, "- ") && body != "-" {
				return 0 // not at a list item: leave the line as reported
			}
			dash = ind
			continue
		}
		switch {
		case ind < dash:
			return 0 // the list ended cleanly
		case ind == dash && !strings.HasPrefix(body, "-"):
			return i + 1
		case ind > dash && ind < dash+2:
			return i + 1
		}
	}
	return 0
}

// tabIndented returns the first line at or after line from (1-based) whose
// indentation holds a tab; 0 when there is none.
func tabIndented(data []byte, from int) int {
	lines := strings.Split(string(data), "\n")
	for i := max(from-1, 0); i < len(lines); i++ {
		l := lines[i]
		ws := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if strings.Contains(ws, "\t") {
			return i + 1
		}
	}
	return 0
}

// KindName says what a YAML node is, for "want a list, got ..." messages.
func KindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return quoteShort(n.Value)
	}
	return "nothing"
}

// quoteShort quotes v, cut to its first 60 characters: a value that is
// not what was expected may be a whole file folded into one scalar.
func quoteShort(v string) string {
	const max = 60
	if len(v) <= max {
		return strconv.Quote(v)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return strconv.Quote(v[:cut]) + fmt.Sprintf("… (%d bytes)", len(v))
}
