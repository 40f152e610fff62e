package main

import "fmt"

// runExplain is being written; see the open issue for this subcommand.
func runExplain(args []string, s stdio) int {
	fmt.Fprintln(s.err, "flowdiag: this command is not built yet")
	return exitUsage
}
