package rules

import (
	"strings"
	"testing"
)

func TestLintBuiltinClean(t *testing.T) {
	s, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range s.Lint() {
		t.Errorf("built-in lint: %s", i)
	}
}

func TestLint(t *testing.T) {
	src := `rules:
  - id: accept-needs-reject
    title: t
    severity: info
    verdict: info
    on: [accept]
    when: server.reply.rejected && server.request.accepted
    message: m
  - id: contradiction
    title: t
    severity: info
    verdict: info
    when: path.same_subnet && flow.protocol == "tcp" && !path.same_subnet
    message: m
  - id: always-false
    title: t
    severity: info
    verdict: info
    when: 1 > 2 && false
    message: m
  - id: broad
    title: t
    severity: error
    verdict: nacl
    on: [reject]
    specificity: 90
    when: server.reply.rejected
    message: m
    examples: [{name: x, facts: {server: {reply: {rejected: true}}}, match: true}]
  - id: narrow
    title: t
    severity: error
    verdict: nacl
    on: [reject]
    specificity: 10
    when: server.request.accepted && server.reply.rejected
    message: m
    examples: [{name: x, facts: {server: {request: {accepted: true}, reply: {rejected: true}}}, match: true}]
  - id: out-of-range
    title: t
    severity: info
    verdict: info
    when: flow.protocol == "tcp" && 70000 <= flow.server_port
    message: m
    examples: [{name: x, facts: {flow: {protocol: tcp}}, match: false}]
  - id: in-range
    title: t
    severity: info
    verdict: info
    when: flow.proto_num >= 255 && flow.client_port < 65535
    message: m
    examples: [{name: x, facts: {flow: {proto_num: 255}}, match: true}]
`
	s, err := Load("l.yaml", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range s.Lint() {
		got = append(got, i.String())
	}
	want := []string{
		"l.yaml:2:9: rule accept-needs-reject: never matches: when: requires a REJECT record but on: [accept] runs it only on conversations without one",
		"l.yaml:2:9: rule accept-needs-reject: no example with match: true; add one to show the rule can match",
		"l.yaml:9:9: rule contradiction: never matches: when: requires both path.same_subnet and !path.same_subnet",
		"l.yaml:9:9: rule contradiction: no example with match: true; add one to show the rule can match",
		"l.yaml:15:9: rule always-false: never matches: when: is always false",
		"l.yaml:15:9: rule always-false: no example with match: true; add one to show the rule can match",
		"l.yaml:30:9: rule narrow: shadowed by broad (l.yaml:21:9): its condition holds whenever this one does and it outranks this rule (specificity 90 vs 10)",
		// QA 8, Q11: ports are 0-65535.
		"l.yaml:39:9: rule out-of-range: never matches: when: requires flow.server_port >= 70000, but it is 0-65535",
		"l.yaml:39:9: rule out-of-range: no example with match: true; add one to show the rule can match",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Lint() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
