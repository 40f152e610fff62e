package main

import "fmt"

// runRecords is being written; see the open issue for this subcommand.
func runRecords(args []string, s stdio) int {
	fmt.Fprintln(s.err, "flowdiag: this command is not built yet")
	return exitUsage
}
