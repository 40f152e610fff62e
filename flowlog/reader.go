package flowlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ReaderOptions configure a Reader. The zero value reads S3 text files with
// or without a header line, skipping bad lines.
type ReaderOptions struct {
	// Format is the format of every line, as given by --log-format. When
	// nil, a header line sets the format (each header line met sets it
	// again, for files with repeated headers or mixed versions); lines
	// before any header use DefaultFormat. When set, header lines are
	// skipped and counted.
	Format *Format

	// Strict makes Read return a *ParseError for the first bad line.
	// Otherwise bad lines are skipped and counted in ReadStats, which keeps
	// the first MaxExamples errors.
	Strict bool

	// MaxExamples is the number of bad-line errors kept in
	// ReadStats.Examples: 0 means 5, a negative value keeps none.
	MaxExamples int

	// MaxLineBytes is the longest line accepted, in bytes, line terminator
	// excluded: 0 means 1 MiB. A longer line is skipped (or, when Strict,
	// reported) as ErrLineTooLong without being held in memory.
	MaxLineBytes int

	// Warn, when not nil, receives warnings such as an unknown field in a
	// header line (once per field name per Reader).
	Warn func(msg string)
}

// ReadStats count what a Reader has seen so far.
type ReadStats struct {
	Lines    int64   // lines read, header and blank lines included
	Records  int64   // records returned by Read
	Skipped  int64   // bad lines skipped (not Strict)
	Headers  int64   // header lines (a bad header line is counted in Skipped)
	Blank    int64   // empty or white-space-only lines
	Gaps     int64   // NODATA and SKIPDATA records (also counted in Records)
	TGW      int64   // Transit Gateway records (also counted in Records)
	Examples []error // the first bad lines' errors (*ParseError)
}

const (
	textMaxExamples  = 5
	textMaxLineBytes = 1 << 20
	textReadBuffer   = 64 << 10
)

// Reader reads flow log records from one text stream (already
// decompressed): S3 text files with their header line, plain default-format
// lines, or lines of a custom format. Memory use is bounded by the longest
// line accepted, whatever the input size.
type Reader struct {
	br        *bufio.Reader
	mem       []byte // lines still to read when reading from memory (chunk workers), else unused
	inMem     bool   // lines come from mem instead of br: no copy through br's buffer
	name      string
	opts      ReaderOptions
	parser    *Parser
	in        *interner
	line      int64
	stats     ReadStats
	warned    map[string]bool
	long      []byte  // holds a line longer than br's buffer
	err       error   // sticky read error
	last      *Format // format of the last record returned
	implicit  bool    // parser is the default format, not given nor from a header
	tgw       *Parser // TGW default format parser for headerless TGW lines
	warnedFmt bool    // warned that a header differs from opts.Format
}

// NewReader returns a Reader of r; name (a file path, "-" for standard
// input) is used in Record.Pos and in errors.
func NewReader(r io.Reader, name string, opts ReaderOptions) *Reader {
	if opts.MaxExamples == 0 {
		opts.MaxExamples = textMaxExamples
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = textMaxLineBytes
	}
	rd := &Reader{
		br:   bufio.NewReaderSize(r, textReadBuffer),
		name: name,
		opts: opts,
		in:   newInterner(0, 0),
	}
	if opts.Format != nil {
		rd.parser = newParser(opts.Format, rd.in)
	}
	return rd
}

// Format returns the format of the record last returned by Read (use it
// to interpret Record.Extra); before the first record, the format the next
// line will be parsed with: the given one, the last header's, or
// DefaultFormat.
func (r *Reader) Format() *Format {
	switch {
	case r.last != nil:
		return r.last
	case r.parser != nil:
		return r.parser.f
	}
	return DefaultFormat()
}

// Line returns the number of the last line read (1-based).
func (r *Reader) Line() int64 { return r.line }

// Stats returns the counts so far.
func (r *Reader) Stats() ReadStats {
	s := r.stats
	s.Examples = append([]error(nil), r.stats.Examples...)
	return s
}

// Read reads the next record into rec and sets rec.Pos to the name and line.
// It returns io.EOF at the end of the input. A bad line returns a
// *ParseError when Strict (the next Read continues after it) and is skipped
// otherwise. A read error from the underlying reader is returned, wrapped
// with the name and line, by this and every later call.
func (r *Reader) Read(rec *Record) error {
	if r.err != nil {
		return r.err
	}
	for {
		line, tooLong, err := r.readLine()
		if err != nil {
			if err != io.EOF {
				err = fmt.Errorf("%s: read error after line %d (%d records): %w", r.name, r.line, r.stats.Records, err)
			}
			r.err = err
			return err
		}
		r.line++
		r.stats.Lines++
		if tooLong {
			if perr := r.bad(&ParseError{File: r.name, Line: r.line, Err: &LineTooLongError{Limit: r.opts.MaxLineBytes}}); perr != nil {
				return perr
			}
			continue
		}
		off := 0
		if len(line) >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
			line, off = line[3:], 3 // UTF-8 byte order mark
		}
		if skipSpace(line, 0) == len(line) {
			r.stats.Blank++
			continue
		}
		if LooksLikeHeader(line) {
			if perr := r.header(line); perr != nil {
				return perr
			}
			continue
		}
		if r.parser == nil {
			r.parser, r.implicit = newParser(DefaultFormat(), r.in), true
		}
		if err := r.parser.Parse(line, rec); err != nil {
			if r.tryTGW(line, rec) {
				return r.record(rec, r.tgw.f)
			}
			pe := &ParseError{File: r.name, Line: r.line, Err: err}
			var fe *FieldError
			if errors.As(err, &fe) {
				fe.Column += off
				pe.Column, pe.Field = fe.Column, fe.Field
			}
			if perr := r.bad(pe); perr != nil {
				return perr
			}
			continue
		}
		return r.record(rec, r.parser.f)
	}
}

// record completes a parsed record and counts it.
func (r *Reader) record(rec *Record, f *Format) error {
	r.last = f
	rec.Pos = Pos{Source: r.name, Line: r.line}
	r.stats.Records++
	if rec.LogStatus.IsGap() {
		r.stats.Gaps++
	}
	if rec.Kind == KindTransitGateway {
		r.stats.TGW++
	}
	return nil
}

// tryTGW parses a line that failed as the implicit default format with the
// Transit Gateway default format, so that headerless TGW records mixed into
// VPC input are kept apart instead of rejected. Only lines with the TGW
// field count are tried, and only when no format was given or read from a
// header.
func (r *Reader) tryTGW(line []byte, rec *Record) bool {
	if r.opts.Format != nil || !r.implicit || countTokens(line) != len(tgwDefaultFields) {
		return false
	}
	if r.tgw == nil {
		r.tgw = newParser(TGWDefaultFormat(), r.in)
	}
	return r.tgw.Parse(line, rec) == nil
}

// bad records a bad line; it returns the error when Strict, nil when the
// line is skipped.
func (r *Reader) bad(pe *ParseError) error {
	if r.opts.Strict {
		return pe
	}
	r.stats.Skipped++
	if len(r.stats.Examples) < r.opts.MaxExamples {
		r.stats.Examples = append(r.stats.Examples, pe)
	}
	return nil
}

// header handles a header line: it sets the format unless one was given.
func (r *Reader) header(line []byte) error {
	f, unknown, err := ParseHeader(string(line))
	if err != nil {
		return r.bad(&ParseError{File: r.name, Line: r.line, Err: err})
	}
	r.stats.Headers++
	if r.opts.Format != nil {
		if !f.Equal(r.opts.Format) && !r.warnedFmt {
			r.warnedFmt = true
			r.warn(fmt.Sprintf("%s:%d: header line %q differs from the given log format; using the given format", r.name, r.line, f.short()))
		}
		return nil
	}
	for _, u := range unknown {
		if r.warned == nil {
			r.warned = make(map[string]bool)
		}
		if !r.warned[u] {
			r.warned[u] = true
			r.warn(fmt.Sprintf("%s:%d: unknown field %q in header line: its values are kept as an extra column", r.name, r.line, u))
		}
	}
	if !f.IsTransitGateway() {
		for _, m := range [...]struct {
			field Field
			cost  string
		}{
			{FieldInterfaceID, "records cannot be told apart by network interface, so explain and review see them all as one unnamed ENI"},
			{FieldAction, "no record can show a rejection, so explain will find nothing blocked whatever happened"},
		} {
			if f.Has(m.field) {
				continue
			}
			key := "\x00missing " + m.field.String()
			if r.warned == nil {
				r.warned = make(map[string]bool)
			}
			if !r.warned[key] {
				r.warned[key] = true
				r.warn(fmt.Sprintf("%s:%d: the header has no %s field: %s (add ${%s} to the flow log's format)", r.name, r.line, m.field, m.cost, m.field))
			}
		}
	}
	if r.parser == nil || !r.parser.f.Equal(f) {
		r.parser = newParser(f, r.in)
	}
	r.implicit = false
	return nil
}

func (r *Reader) warn(msg string) {
	if r.opts.Warn != nil {
		r.opts.Warn(msg)
	}
}

// readLine returns the next line without its "\n" or "\r\n". A line longer
// than MaxLineBytes is consumed without being kept and reported with tooLong.
// The returned slice is valid until the next call.
func (r *Reader) readLine() (line []byte, tooLong bool, err error) {
	if r.inMem {
		return r.memLine()
	}
	line, err = r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		line, tooLong, err = r.readLong(line)
	}
	switch {
	case err == io.EOF && len(line) > 0:
		err = nil // last line without a terminator; EOF comes on the next call
	case err != nil:
		return nil, false, err
	}
	line = trimEOL(line)
	if len(line) > r.opts.MaxLineBytes {
		return nil, true, nil
	}
	return line, tooLong, nil
}

// memLine is readLine on lines held in memory: slices of mem, not copied.
func (r *Reader) memLine() ([]byte, bool, error) {
	if len(r.mem) == 0 {
		return nil, false, io.EOF
	}
	line := r.mem
	if i := bytes.IndexByte(r.mem, '\n'); i >= 0 {
		line, r.mem = r.mem[:i+1], r.mem[i+1:]
	} else {
		r.mem = nil
	}
	line = trimEOL(line)
	if len(line) > r.opts.MaxLineBytes {
		return nil, true, nil
	}
	return line, false, nil
}

// resetMem makes r read the lines of data, which must stay unchanged until
// the last Read; r keeps no reference to it afterwards beyond the records'
// own copies (the parser copies or interns what it keeps).
func (r *Reader) resetMem(data []byte) {
	r.mem, r.inMem = data, true
}

// readLong continues a line that did not fit the buffer, keeping at most
// MaxLineBytes+2 bytes of it.
func (r *Reader) readLong(first []byte) ([]byte, bool, error) {
	limit := r.opts.MaxLineBytes + 2 // room for "\r\n"
	tooLong := len(first) > limit
	r.long = append(r.long[:0], first...)
	for {
		part, err := r.br.ReadSlice('\n')
		if !tooLong {
			if len(r.long)+len(part) > limit {
				tooLong = true
				r.long = r.long[:0]
			} else {
				r.long = append(r.long, part...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if tooLong {
			if err == io.EOF {
				err = nil
			}
			return nil, true, err
		}
		return r.long, false, err
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}
