package rules

import (
	"os"
	"path/filepath"
	"strconv"
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

// FuzzGuardMatchesExpr builds conditions from fuzz bytes (fields the guard
// can read, fields it cannot, and literals, under &&, ||, !, not, and, or at
// any depth) and checks that guard and expr agree on facts also drawn from
// the bytes: a wrong guard would hide or invent a diagnosis.
func FuzzGuardMatchesExpr(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
	f.Add([]byte{7, 7, 3, 1, 9, 2, 8, 0, 5, 6, 4, 11, 10, 255, 128, 64})
	f.Add([]byte{2, 2, 2, 5, 5, 5, 9, 9, 1, 0, 3, 3, 200, 100, 50, 25, 12, 6})
	leaves := []string{
		"client.seen", "server.seen", "topo.present", "gaps.any",
		"server.request.rejected", "client.reply.accepted",
		`topo.first_block.leg == "reply"`, `"request" != topo.first_block.leg`,
		`topo.first_block.where == "client"`,
		"client.request.packets > 0", "true", "false",
	}
	f.Fuzz(func(t *testing.T, prog []byte) {
		i := 0
		next := func() int {
			if i >= len(prog) {
				return 0
			}
			i++
			return int(prog[i-1])
		}
		var build func(depth int) string
		build = func(depth int) string {
			op := next()
			if depth > 4 || len(prog)-i < 2 { // expr refuses very large trees
				op = 0
			}
			switch op % 6 {
			case 1:
				return "(" + build(depth+1) + " && " + build(depth+1) + ")"
			case 2:
				return "(" + build(depth+1) + " || " + build(depth+1) + ")"
			case 3:
				return "!(" + build(depth+1) + ")"
			case 4:
				return "(" + build(depth+1) + " and not (" + build(depth+1) + "))"
			case 5:
				return build(depth+1) + " or " + build(depth+1)
			}
			return leaves[next()%len(leaves)]
		}
		when := build(0) + " && " + build(0)
		src := "rules:\n  - id: fuzz\n    title: fuzz\n    severity: info\n    verdict: info\n" +
			"    message: m\n    when: " + strconv.Quote(when) + "\n"
		s, err := Load("fuzz.yaml", strings.NewReader(src))
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		r := s.Rules()[0]
		e := s.NewEvaluator()
		for range 8 {
			var env Env
			env.Client.Seen = next()&1 == 1
			env.Server.Seen = next()&1 == 1
			env.Topo.Present = next()&1 == 1
			env.Gaps.Any = next()&1 == 1
			env.Server.Request.Rejected = next()&1 == 1
			env.Client.Reply.Accepted = next()&1 == 1
			env.Client.Request.Packets = next() % 2
			env.Topo.FirstBlock.Leg = []string{"", "request", "reply"}[next()%3]
			env.Topo.FirstBlock.Where = []string{"", "client", "server"}[next()%3]
			*e.cur = env
			v, err := e.vm.Run(r.when, e.box)
			if err != nil {
				t.Fatal(err)
			}
			want := v.(bool)
			if got := r.guard.pass(&env) && (r.guard.exact || want); got != want {
				t.Fatalf("%s: guard+expr = %v, expr = %v on %+v", when, got, want, env)
			}
		}
	})
}
