package main

import "fmt"

// runTopology is being written; see the open issue for this subcommand.
func runTopology(args []string, s stdio) int {
	fmt.Fprintln(s.err, "flowdiag: this command is not built yet")
	return exitUsage
}
