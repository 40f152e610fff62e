package loc

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestPos(t *testing.T) {
	for _, tc := range []struct {
		p    Pos
		want string
	}{
		{Pos{}, "-"},
		{Pos{File: "a.json"}, "a.json"},
		{Pos{File: "t.yaml", Line: 4}, "t.yaml:4"},
		{Pos{File: "t.yaml", Line: 4, Col: 9}, "t.yaml:4:9"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%#v.String() = %q; want %q", tc.p, got, tc.want)
		}
	}
	ps := []Pos{{"b", 1, 1}, {"a", 9, 1}, {"a", 2, 5}, {"a", 2, 1}, {"a", 2, 1}}
	SortByPos(ps, func(p Pos) Pos { return p })
	want := []Pos{{"a", 2, 1}, {"a", 2, 1}, {"a", 2, 5}, {"a", 9, 1}, {"b", 1, 1}}
	for i := range want {
		if ps[i] != want[i] {
			t.Fatalf("SortByPos = %v; want %v", ps, want)
		}
	}
}

func TestYAMLError(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		line int
		msg  string
	}{
		// Parser errors: 1-based, at the unclosed collection's line.
		{"vpcs:\n  - {id: vpc-x, cidrs: [10.9.0.0/16]\n", 2, "did not find expected ',' or '}' around here"},
		{"vpcs:\n  - id: vpc-x\n    cidrs: [10.9.0.0/16\nsubnets: []\n", 3, "did not find expected ',' or ']' around here"},
		{"x:\n  y:\n    z: {a: 1\n", 3, "did not find expected ',' or '}' around here"},
		{"a:\n  - 1\n - 2\n", 3, "did not find expected key around here"},
		// ... never past the last line.
		{"vpcs:\n  - id: [\n", 2, "did not find expected node content around here"},
		// Scanner errors are right as yaml.v3 gives them.
		{"a: b\nc: d: e\n", 2, "mapping values are not allowed in this context"},
		// A line that breaks a block list is found, not the list's start.
		{"vpcs:\n  - id: vpc-x\n    cidrs: [10.9.0.0/16]\n  bad: : x\n", 4, "did not find expected '-' indicator: this line is indented neither"},
		{"subnets:\n  - id: s0\n    vpc: v\n  - id: s1\n    vpc: v\n   cidrs: [10.0.1.0/24]\n  - id: s2\n", 6, "did not find expected '-' indicator: this line"},
		// A tab in the indentation: the line that has it.
		{"subnets:\n  - id: s0\n    vpc: v\n  - id: s1\n\tcidrs: [10.0.1.0/24]\n", 5, "found a tab character"},
	} {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(tc.yaml), &n)
		if err == nil {
			t.Fatalf("%q parsed", tc.yaml)
		}
		line, msg := YAMLError(err, []byte(tc.yaml))
		if line != tc.line || !strings.HasPrefix(msg, tc.msg) {
			t.Errorf("%q: YAMLError(%v) = %d, %q; want %d, %q...", tc.yaml, err, line, msg, tc.line, tc.msg)
		}
	}
	if line, msg := YAMLError(errors.New("yaml: unknown anchor 'x' referenced"), nil); line != 0 || msg != "unknown anchor 'x' referenced" {
		t.Errorf("without a line: %d, %q", line, msg)
	}
}

func TestKindName(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("m: {a: 1}\nl: [1]\ns: x\nn: null\n"), &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	want := map[string]string{"m": "a mapping", "l": "a list", "s": `"x"`, "n": "nothing"}
	// A long scalar (a whole file folded into one) is cut, at a character
	// boundary, with its length.
	long := strings.Repeat("é", 40)
	if got, want := KindName(&yaml.Node{Kind: yaml.ScalarNode, Value: long}), `"`+strings.Repeat("é", 30)+`"… (80 bytes)`; got != want {
		t.Errorf("KindName(long) = %q; want %q", got, want)
	}
	for i := 0; i < len(root.Content); i += 2 {
		k, v := root.Content[i].Value, root.Content[i+1]
		if got := KindName(v); got != want[k] {
			t.Errorf("KindName(%s) = %q; want %q", k, got, want[k])
		}
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		top        int    // line of the first document's top node; 0 when empty
		second     string // "line:col" of the second document's top node
		err        string
	}{
		{"one", "rules:\n  - id: a\n", 1, "", ""},
		{"empty", "", 0, "", ""},
		{"comments only", "# nothing\n", 0, "", ""},
		// A lone "---" before the first document starts it; it is not a second.
		{"leading ---", "---\nrules:\n  - id: a\n", 2, "", ""},
		{"trailing ---", "rules:\n  - id: a\n---\n", 1, "", ""},
		{"trailing --- and a comment", "rules:\n  - id: a\n--- # end\n# more\n", 1, "", ""},
		{"second", "rules:\n  - id: a\n---\nrules:\n  - id: b\n", 1, "4:1", ""},
		{"second after an empty one", "a: 1\n---\n---\n\nb: 2\n", 1, "5:1", ""},
		{"second is a scalar", "a: 1\n--- x\n", 1, "2:5", ""},
		// yaml.Unmarshal never reads past the first document, so this
		// syntax error used to pass unseen.
		{"syntax error in the second", "a: 1\n---\nb: [1\n", 1, "", "did not find expected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, second, err := Decode([]byte(tc.yaml))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Decode(%q) error = %v; want %q", tc.yaml, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%q): %v", tc.yaml, err)
			}
			top := 0
			if len(doc.Content) > 0 {
				top = doc.Content[0].Line
			}
			if top != tc.top {
				t.Errorf("Decode(%q) first document at line %d; want %d", tc.yaml, top, tc.top)
			}
			got := ""
			if second != nil {
				got = fmt.Sprintf("%d:%d", second.Line, second.Column)
			}
			if got != tc.second {
				t.Errorf("Decode(%q) second = %q; want %q", tc.yaml, got, tc.second)
			}
		})
	}
}
