package loc

import (
	"errors"
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
	var n yaml.Node
	err := yaml.Unmarshal([]byte("a: [\n"), &n)
	line, msg := YAMLError(err)
	if line != 1 || msg != "did not find expected node content" {
		t.Errorf("YAMLError(%v) = %d, %q", err, line, msg)
	}
	if line, msg := YAMLError(errors.New("yaml: no line here")); line != 0 || msg != "no line here" {
		t.Errorf("got %d %q", line, msg)
	}
}

func TestKindName(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("m: {a: 1}\nl: [1]\ns: x\nn: null\n"), &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	want := map[string]string{"m": "a mapping", "l": "a list", "s": `"x"`, "n": "nothing"}
	for i := 0; i < len(root.Content); i += 2 {
		k, v := root.Content[i].Value, root.Content[i+1]
		if got := KindName(v); got != want[k] {
			t.Errorf("KindName(%s) = %q; want %q", k, got, want[k])
		}
	}
}
