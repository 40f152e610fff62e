package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/flowdiag/flowdiag/flowlog"
)

// inputFlags are the flags every command that reads flow logs shares: how to
// read the inputs and which records to keep.
type inputFlags struct {
	logFormat string
	strict    bool
	actions   []string
	enis      []string
	addrs     []string
	ports     []string
	protocols []string
	since     string
	until     string

	// mergeByTime reads several inputs in time order rather than one after
	// the other: commands that correlate records (explain, review) need
	// per-ENI files interleaved as the traffic was.
	mergeByTime bool
}

// addInputFlags registers the input and filter flags on fs.
func addInputFlags(fs *pflag.FlagSet) *inputFlags {
	f := &inputFlags{}
	fs.StringVar(&f.logFormat, "log-format", "", "format of lines without a header, in AWS syntax: '${version} ${account-id} ...' (default: the v2 default format)")
	fs.BoolVar(&f.strict, "strict", false, "stop at the first malformed line or unreadable input instead of skipping it")
	fs.StringSliceVar(&f.actions, "action", nil, "keep records with this action: ACCEPT or REJECT (repeatable, comma list)")
	fs.StringSliceVar(&f.enis, "eni", nil, "keep records of this network interface id (repeatable, comma list)")
	fs.StringSliceVar(&f.addrs, "addr", nil, "keep records with this address or CIDR on either side (repeatable, comma list)")
	fs.StringSliceVar(&f.ports, "port", nil, "keep records with this port on either side (repeatable, comma list)")
	fs.StringSliceVar(&f.protocols, "protocol", nil, "keep records of this protocol, name or number: tcp, udp, icmp, 6 (repeatable, comma list)")
	fs.StringVar(&f.since, "since", "", "keep records ending at or after this time: RFC 3339 or Unix seconds")
	fs.StringVar(&f.until, "until", "", "keep records starting at or before this time: RFC 3339 or Unix seconds")
	return f
}

// filter builds the record filter from the flags. Errors name the flag.
func (f *inputFlags) filter() (flowlog.Filter, error) {
	var out flowlog.Filter
	for _, s := range f.actions {
		a, err := flowlog.ParseAction(strings.TrimSpace(s))
		if err != nil || a == flowlog.ActionNone {
			return out, fmt.Errorf("--action: %q is not an action: want ACCEPT or REJECT", s)
		}
		out.Actions = append(out.Actions, a)
	}
	for _, s := range f.enis {
		s = strings.TrimSpace(s)
		if s == "" || strings.ContainsAny(s, " \t") {
			return out, fmt.Errorf("--eni: %q is not a network interface id (eni-...)", s)
		}
		out.ENIs = append(out.ENIs, s)
	}
	for _, s := range f.addrs {
		p, err := flowlog.ParsePrefix(s)
		if err != nil {
			return out, fmt.Errorf("--addr: %v", err)
		}
		out.Addrs = append(out.Addrs, p)
	}
	for _, s := range f.ports {
		p, err := flowlog.ParsePort(s)
		if err != nil {
			return out, fmt.Errorf("--port: %v", err)
		}
		out.Ports = append(out.Ports, p)
	}
	for _, s := range f.protocols {
		p, err := flowlog.ParseProto(s)
		if err != nil {
			return out, fmt.Errorf("--protocol: %v", err)
		}
		out.Protos = append(out.Protos, p)
	}
	var err error
	if f.since != "" {
		if out.Since, err = flowlog.ParseTime(f.since); err != nil {
			return out, fmt.Errorf("--since: %v", err)
		}
	}
	if f.until != "" {
		if out.Until, err = flowlog.ParseTime(f.until); err != nil {
			return out, fmt.Errorf("--until: %v", err)
		}
	}
	if out.Since != 0 && out.Until != 0 && out.Until < out.Since {
		return out, fmt.Errorf("--until %s is before --since %s", f.until, f.since)
	}
	return out, nil
}

// options returns the stream options for the flags; warnings go to s.err.
func (f *inputFlags) options(s stdio) (flowlog.StreamOptions, error) {
	var opts flowlog.StreamOptions
	if f.logFormat != "" {
		lf, err := flowlog.ParseFormat(f.logFormat)
		if err != nil {
			return opts, err // already starts with "--log-format: "
		}
		opts.Format = lf
		for _, name := range lf.Extra() {
			fmt.Fprintf(s.err, "flowdiag: warning: --log-format: unknown field %q kept as an extra column%s\n",
				safe(name), flowlog.Suggest(name))
		}
	}
	opts.Strict = f.strict
	opts.MaxExamples = maxExamples
	opts.MergeByTime = f.mergeByTime
	w := s.err
	opts.Warn = func(msg string) { fmt.Fprintf(w, "flowdiag: warning: %s\n", safe(msg)) }
	return opts, nil
}

// sameFieldCount returns the number of fields of the quoted bad lines when
// every one is a field-count mismatch with the same count, else 0.
func sameFieldCount(examples []error) int {
	n := 0
	for _, e := range examples {
		var fc *flowlog.FieldCountError
		if !errors.As(e, &fc) || n != 0 && fc.Got != n {
			return 0
		}
		n = fc.Got
	}
	return n
}

// maxExamples is how many bad lines the summary quotes.
const maxExamples = 5

// open opens the inputs named by args ("-" is standard input) as one stream.
func (f *inputFlags) open(args []string, s stdio) (*flowlog.Stream, error) {
	opts, err := f.options(s)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("no input: name flow log files, directories, or - for standard input")
	}
	return flowlog.OpenStream(args, s.in, opts)
}

// summary prints what the reader skipped or flagged, on w (stderr): bad lines
// with the first examples, gap records, Transit Gateway records, CloudWatch
// control messages and inputs that could not be read to their end. It prints
// nothing when there is nothing to say.
func (f *inputFlags) summary(w io.Writer, st flowlog.StreamStats) {
	if st.Skipped > 0 {
		fmt.Fprintf(w, "flowdiag: skipped %s of %d read", plural(st.Skipped, "malformed line", "malformed lines"), st.Lines)
		if len(st.Examples) > 0 {
			fmt.Fprintf(w, "; first %d:\n", len(st.Examples))
			for _, e := range st.Examples {
				fmt.Fprintf(w, "  %s\n", safe(e.Error()))
			}
		} else {
			fmt.Fprintln(w)
		}
		if n := sameFieldCount(st.Examples); n > 0 && st.Records == 0 && f.logFormat == "" {
			// Nothing parsed and every quoted line has the same number of
			// fields: the lines are of another format than assumed, as
			// CloudWatch Logs and copies without the header line are.
			fmt.Fprintf(w, "  every line quoted has %d fields: logs without a header line (CloudWatch Logs, a copy\n"+
				"  without it) need their format, as the flow log was created: --log-format '${version} ...'\n", n)
		}
		if !f.strict {
			fmt.Fprintln(w, "  (use --strict to stop at the first one)")
		}
	}
	if st.Gaps > 0 {
		fmt.Fprintf(w, "flowdiag: %s: evidence is missing for those intervals\n",
			plural(st.Gaps, "NODATA/SKIPDATA record", "NODATA/SKIPDATA records"))
	}
	if st.TGW > 0 {
		fmt.Fprintf(w, "flowdiag: %s, kept apart from VPC records\n", plural(st.TGW, "Transit Gateway record", "Transit Gateway records"))
	}
	if st.Control > 0 {
		fmt.Fprintf(w, "flowdiag: skipped %s\n", plural(st.Control, "CloudWatch CONTROL_MESSAGE payload", "CloudWatch CONTROL_MESSAGE payloads"))
	}
	if f.strict {
		return // the command reports the error that stopped it
	}
	for _, e := range st.Failed {
		fmt.Fprintf(w, "flowdiag: incomplete input: %s\n", safe(e.Error()))
	}
}
