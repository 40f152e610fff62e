package rules

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestDocsListEveryEnvField keeps docs/rules.md in step with Env: every
// expr field of every Env type must have a row in its section.
func TestDocsListEveryEnvField(t *testing.T) {
	b, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(typ reflect.Type) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			tag := f.Tag.Get("expr")
			if tag == "" {
				t.Errorf("%s.%s has no expr tag", typ.Name(), f.Name)
			}
			if !strings.Contains(doc, fmt.Sprintf("| `%s` |", tag)) {
				t.Errorf("docs/rules.md: no row for %s.%s (`%s`)", typ.Name(), f.Name, tag)
			}
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeOf(Env{}))
	for _, v := range Verdicts {
		if !strings.Contains(doc, "`"+string(v)+"`") {
			t.Errorf("docs/rules.md does not mention verdict %s", v)
		}
	}
}
