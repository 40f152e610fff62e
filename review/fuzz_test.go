package review

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: the policy loader never panics; every error names the file; a
// policy that loads compiles without a topology or fails with Errors.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	seeds = append(seeds, bundledPolicy)
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Load("fuzz.yaml", src)
		if err != nil {
			es, ok := err.(Errors)
			if !ok || len(es) == 0 {
				t.Fatalf("Load error %T %v; want non-empty Errors", err, err)
			}
			for _, e := range es {
				if e.Pos.File != "fuzz.yaml" {
					t.Fatalf("error without the file name: %v", e)
				}
			}
			return
		}
		c, err := Compile(p, nil, reviewNow)
		if err != nil {
			if _, ok := err.(Errors); !ok {
				t.Fatalf("Compile error %T %v; want Errors", err, err)
			}
			return
		}
		c.PolicyFindings()
	})
}
