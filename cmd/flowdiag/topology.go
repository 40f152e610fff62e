package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/flowdiag/flowdiag/topology"
)

// runTopology dispatches `flowdiag topology <subcommand>`.
func runTopology(args []string, s stdio) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(s.err, "Usage: flowdiag topology import [-o FILE] [--strict] PATH...")
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] != "import" {
		fmt.Fprintf(s.err, "flowdiag topology: unknown subcommand %q: want import\n", args[0])
		return exitUsage
	}
	return runTopologyImport(args[1:], s)
}

const topologyImportUsage = `Usage: flowdiag topology import [-o FILE] [--strict] PATH...

Converts the JSON of aws ec2 describe-vpcs, describe-subnets, describe-network-interfaces,
describe-security-groups, describe-security-group-rules, describe-network-acls,
describe-managed-prefix-lists and get-managed-prefix-list-entries into flowdiag's YAML.
PATH is a file or a directory searched recursively (Batfish snapshots: one folder per account or
region). Files are recognised by their top-level keys; cloud-custodian placebo recordings are
unwrapped. What the import skipped and what does not validate is reported on standard error.`

func runTopologyImport(args []string, s stdio) int {
	fs := newFlagSet("topology import", s, topologyImportUsage)
	out := fs.StringP("output", "o", "", "write the YAML to `FILE` instead of standard output")
	strict := fs.Bool("strict", false, "fail (exit 2) when the imported topology does not validate (dangling references, ...)")
	if code, done := parseFlags(fs, args, s); done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(s.err, "flowdiag topology import: give at least one JSON file or directory")
		return exitUsage
	}
	im, err := topology.ReadAWS(fs.Args()...)
	if err != nil {
		fmt.Fprintf(s.err, "flowdiag topology import: %s\n", safeLines(err.Error()))
		return exitUsage
	}
	for _, w := range im.Warnings {
		fmt.Fprintf(s.err, "flowdiag topology import: warning: %s\n", safeLines(w.Error()))
	}
	problems, warnings := im.Check()
	for _, w := range warnings {
		fmt.Fprintf(s.err, "flowdiag topology import: warning: %s\n", safeLines(w))
	}
	for _, p := range problems {
		fmt.Fprintf(s.err, "flowdiag topology import: does not validate: %s\n", safeLines(p.Error()))
	}
	if *strict && len(problems) > 0 {
		return exitUsage
	}
	var buf bytes.Buffer
	if err := im.WriteYAML(&buf); err != nil {
		fmt.Fprintf(s.err, "flowdiag topology import: %s\n", safeLines(err.Error()))
		return exitUsage
	}
	if *out == "" {
		if _, err := s.out.Write(buf.Bytes()); err != nil {
			fmt.Fprintf(s.err, "flowdiag topology import: %s\n", safeLines(err.Error()))
			return exitUsage
		}
		return exitOK
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		fmt.Fprintf(s.err, "flowdiag topology import: %s\n", safeLines(err.Error()))
		return exitUsage
	}
	return exitOK
}
