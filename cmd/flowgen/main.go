// Command flowgen writes a synthetic but realistic VPC topology and VPC Flow
// Log records consistent with it, deterministically from a seed, for
// flowdiag's benchmarks and end-to-end tests.
//
// Usage:
//
//	flowgen --seed 1 --records 10000000 --format v2|v5 [--gzip] [--header] [--files N] --out DIR
//
// It writes DIR/topology.yaml, DIR/flows.log (DIR/flows.log.gz with --gzip,
// or N files under DIR/AWSLogs/... in the S3 key layout with --files N) and
// DIR/MANIFEST.json, which counts what was generated per scenario and which
// rule dropped each rejected conversation.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/flowdiag/flowdiag/internal/gen"
)

const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type params struct {
	seed      uint64
	records   int64
	format    string
	gzip      bool
	header    bool
	files     int
	out       string
	start     string
	rate      int
	scanShare float64
	quiet     bool
}

func run(args []string, stdout, stderr io.Writer) int {
	var p params
	fs := pflag.NewFlagSet("flowgen", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Uint64Var(&p.seed, "seed", 1, "random seed: the same seed and flags give byte-identical output")
	fs.Int64Var(&p.records, "records", 100000, "number of flow log records to write (header lines not counted)")
	fs.StringVar(&p.format, "format", "v2", "record format: v2 (default 14 fields) or v5 (custom format with a header line)")
	fs.BoolVar(&p.gzip, "gzip", false, "write gzip-compressed .log.gz files")
	fs.BoolVar(&p.header, "header", false, "write a header line in each file (always on for v5)")
	fs.IntVar(&p.files, "files", 1, "number of flow log files; more than 1 writes the S3 key layout under DIR/AWSLogs")
	fs.StringVar(&p.out, "out", "", "output directory (created if missing; existing files are overwritten)")
	fs.StringVar(&p.start, "start", gen.DefaultStart.Format(time.RFC3339), "log time of the first record, RFC 3339")
	fs.IntVar(&p.rate, "rate", gen.DefaultRate, "records per second of log time")
	fs.Float64Var(&p.scanShare, "scan-share", 0, "share of the records (0 to 0.99) that are port-scan probes, in bursts of 1,000-2,000: a VPC scanned hard")
	fs.BoolVarP(&p.quiet, "quiet", "q", false, "do not print the summary")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: flowgen --out DIR [flags]\n\nWrites DIR/topology.yaml, flow logs and DIR/MANIFEST.json.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "flowgen: %v\n", err)
		return exitUsage
	}
	opts, err := p.options(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "flowgen: %v\n", err)
		return exitUsage
	}
	began := time.Now()
	m, err := gen.Generate(p.out, opts)
	if err != nil {
		fmt.Fprintf(stderr, "flowgen: %v\n", err)
		return exitError
	}
	if !p.quiet {
		var bytes int64
		for _, f := range m.Files {
			bytes += f.Bytes
		}
		fmt.Fprintf(stdout, "flowgen: %d records (%s, %.1f MB of text) in %d file(s) under %s in %.1fs; log time %s to %s\n",
			m.Records, m.Format, float64(bytes)/1e6, len(m.Files), p.out, time.Since(began).Seconds(), m.Start, m.End)
	}
	return exitOK
}

func (p *params) options(rest []string) (gen.Options, error) {
	var errs []error
	if len(rest) > 0 {
		errs = append(errs, fmt.Errorf("unexpected argument %q: flowgen takes flags only", rest[0]))
	}
	if p.out == "" {
		errs = append(errs, errors.New("--out: required: the directory to write into"))
	}
	if p.records < 0 {
		errs = append(errs, fmt.Errorf("--records: %d is negative", p.records))
	}
	if p.files < 1 {
		errs = append(errs, fmt.Errorf("--files: %d: want 1 or more", p.files))
	}
	if p.rate < 1 {
		errs = append(errs, fmt.Errorf("--rate: %d: want 1 or more records per second", p.rate))
	}
	f, err := gen.ParseFormat(p.format)
	if err != nil {
		errs = append(errs, fmt.Errorf("--format: %q: want v2 or v5", p.format))
	}
	start, err := time.Parse(time.RFC3339, p.start)
	if err != nil {
		errs = append(errs, fmt.Errorf("--start: %q is not an RFC 3339 time (like 2025-03-14T09:00:00Z)", p.start))
	}
	if len(errs) > 0 {
		return gen.Options{}, errors.Join(errs...)
	}
	return gen.Options{Seed: p.seed, Records: p.records, Format: f, Gzip: p.gzip, Header: p.header,
		Files: p.files, Start: start, Rate: p.rate, ScanShare: p.scanShare}, nil
}
