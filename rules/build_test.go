package rules

import (
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	set, err := Build([]Def{{
		ID: "no-ssh-out", Title: "SSH out", Severity: SeverityError, Verdict: VerdictInfo,
		On: OnAccept | OnReject, When: `flow.server_port == 22 && in_cidr(flow.server, "203.0.113.0/24")`,
		Blame:   BlameDef{ENI: "client.eni", Leg: `"request"`},
		Message: "{{ flow.client }} -> {{ flow.server }}", Pos: Pos{File: "p.yaml", Line: 3, Col: 7},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := set.Rule("no-ssh-out")
	if !ok {
		t.Fatal("rule missing")
	}
	env := defaultFacts()
	env.Flow = Flow{Protocol: "tcp", Client: "10.0.0.5", Server: "203.0.113.9", ServerPort: 22}
	env.Client = Side{Seen: true, ENI: "eni-1", Request: Leg{Seen: true, Accepted: true}}
	ev := set.NewEvaluator()
	got, err := ev.Match(&env, 0, nil)
	if err != nil || len(got) != 1 || got[0] != r {
		t.Fatalf("Match = %v, %v; want the rule", got, err)
	}
	out, err := ev.Render(r, &env)
	if err != nil || out.ENI != "eni-1" || out.Leg != "request" || out.Message != "10.0.0.5 -> 203.0.113.9" {
		t.Errorf("Render = %+v, %v", out, err)
	}
	env.Flow.ServerPort = 23
	if got, _ := ev.Match(&env, 0, nil); len(got) != 0 {
		t.Errorf("Match on port 23 = %v; want none", got)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		def  Def
		want string
	}{
		{Def{ID: "a", Title: "t", Verdict: VerdictInfo, When: `flow.server_prot == 22`, Message: "m",
			Pos: Pos{File: "p.yaml", Line: 2, Col: 5}, WhenPos: Pos{File: "p.yaml", Line: 9, Col: 11}},
			"p.yaml:9:16: rule a: when: type rules.Flow has no field server_prot"},
		{Def{ID: "b", Title: "t", Verdict: VerdictInfo, When: "flow.client != \"\" &&\nin_cidr(flow.server, \"10.0.0.300/8\")", Message: "m",
			Pos: Pos{File: "p.yaml", Line: 2, Col: 5}, WhenPos: Pos{File: "p.yaml", Line: 9, Col: 7}},
			"p.yaml:10:28: rule b: when: in_cidr: \"10.0.0.300/8\" is not a CIDR"},
		{Def{ID: "c", Title: "t", Verdict: VerdictInfo, When: `flow.server_port`, Message: "m",
			Pos: Pos{File: "p.yaml", Line: 2, Col: 5}, WhenPos: Pos{File: "p.yaml", Line: 4, Col: 11}},
			"p.yaml:4:11: rule c: when: expected bool"},
		{Def{ID: "Bad", Title: "t", Verdict: VerdictInfo, When: `true`, Pos: Pos{File: "p.yaml", Line: 2, Col: 5}},
			"p.yaml:2:5: rule Bad: id: \"Bad\": want lower-case"},
		{Def{ID: "d", Title: "t", Verdict: "nope", When: `true`, Pos: Pos{File: "p.yaml", Line: 2, Col: 5}},
			"p.yaml:2:5: rule d: verdict: \"nope\" is not a verdict"},
	}
	for _, tc := range tests {
		_, err := Build([]Def{tc.def})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Build(%s) error = %v; want prefix %q", tc.def.ID, err, tc.want)
		}
	}
	_, err := Build([]Def{{ID: "x", Title: "t", Verdict: VerdictInfo, When: "true"}, {ID: "x", Title: "t", Verdict: VerdictInfo, When: "true"}})
	if err == nil || !strings.Contains(err.Error(), "duplicate id") {
		t.Errorf("Build(duplicate) error = %v; want duplicate id", err)
	}
}
