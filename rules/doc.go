// Package rules loads flowdiag's declarative diagnosis rules from YAML and
// evaluates them against one conversation at a time.
//
// A rule has a when: condition written in expr (github.com/expr-lang/expr)
// over Env, the typed facts the engine gathers for a conversation; a verdict
// from a closed list; blame expressions that name the component (NACL id and
// rule number, security groups); and message and remediation templates with
// {{ expr }} placeholders. Everything compiles once at load against Env, so a
// typo, a type error or an unknown key fails the load with file:line:col, and
// inline examples (facts in, expected match out) must hold.
//
// Evaluation is split for speed: an Evaluator (one per goroutine) runs the
// Go prefilter on: and the compiled when: programs of a Set and returns the
// matching rules best first; Render fills in the winner's blame and text.
// The format is documented in docs/rules.md.
package rules
