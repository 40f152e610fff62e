// Package engine diagnoses correlated flow-log conversations: it turns each
// conversation, and the topology's evaluation of its path when a topology is
// given, into the facts of the rule language (rules.Env), runs the compiled
// rule set, and yields a Diagnosis naming the verdict, the blamed component
// (NACL id and rule number, or security group), the evidence and the fix.
//
// The troubleshooting logic lives in the rules; this package only states
// facts and assembles results. A Worker is not safe for concurrent use: give
// each goroutine its own (they share the Engine, its topology and compiled
// programs).
package engine
