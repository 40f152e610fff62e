package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad checks that no rule file makes Load panic, and that every
// failure is an Errors whose entries carry the file name.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("../testdata/rules/*/*.yaml")
	more, _ := filepath.Glob("builtin/*.yaml")
	for _, name := range append(files, more...) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Load("f.yaml", strings.NewReader(src))
		if err != nil {
			es, ok := err.(Errors)
			if !ok || len(es) == 0 {
				t.Fatalf("Load error %T %v; want non-empty Errors", err, err)
			}
			for _, e := range es {
				if e.Pos.File != "f.yaml" {
					t.Fatalf("error without file name: %v", e)
				}
			}
			return
		}
		// A loaded set must evaluate its own examples and render without panicking.
		ev := s.NewEvaluator()
		for _, r := range s.Rules() {
			for _, ex := range r.Examples {
				if _, err := ev.Match(&ex.Facts, 0, nil); err != nil {
					continue
				}
				_, _ = ev.Render(r, &ex.Facts)
			}
		}
		_ = s.Lint()
	})
}
