package flowlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// StreamOptions configure how a Stream and its inputs are read. The embedded
// ReaderOptions apply to every input: Format (from --log-format) is used for
// text lines and CloudWatch messages that carry no header; Strict stops the
// stream at the first bad line or unreadable input instead of skipping it.
type StreamOptions struct {
	ReaderOptions

	// TempDir is where a Parquet input that is not a plain file (standard
	// input, or Parquet inside gzip) is spooled so it can be read by row
	// group; "" means os.TempDir().
	TempDir string

	// MergeByTime reads several inputs as one stream in time order (by
	// record start) instead of one input after the other, so that logs split
	// per ENI (one CloudWatch stream exported per file) or overlapping
	// exports interleave as the traffic did. Inputs are opened only when the
	// merge reaches the time of their first record, so a long S3 series of
	// consecutive files is still read one file at a time.
	MergeByTime bool
}

// Content is the kind of data found in an input, detected from its bytes.
type Content uint8

// Contents.
const (
	ContentUnknown    Content = iota
	ContentText               // flow log lines, with or without S3 header lines
	ContentPrefixed           // lines of `aws logs tail` or a CloudWatch console export
	ContentCloudWatch         // CloudWatch Logs JSON (API output, subscription payloads, {"message":...} lines)
	ContentParquet            // S3 Parquet delivery
)

func (c Content) String() string {
	switch c {
	case ContentText:
		return "text"
	case ContentPrefixed:
		return "cloudwatch-text"
	case ContentCloudWatch:
		return "cloudwatch-json"
	case ContentParquet:
		return "parquet"
	}
	return "unknown"
}

// RecordReader reads the records of one input. Read returns io.EOF at the
// end; a *ParseError (strict mode only) for a bad line; any other error when
// the input cannot be read further (records delivered before stay valid).
type RecordReader interface {
	Read(rec *Record) error
	Stats() ReadStats
	Close() error
}

// SourceInfo describes how an input was decoded.
type SourceInfo struct {
	Content Content
	Gzip    bool  // the input was gzip-compressed (any number of members)
	Control int64 // CloudWatch subscription CONTROL_MESSAGE payloads skipped
}

// sourceInfoer is implemented by the RecordReaders of this package.
type sourceInfoer interface{ SourceInfo() SourceInfo }

// Input is one unit of input: a file, or standard input ("-"). Inputs are
// independent, so workers may open and read them in parallel.
type Input struct {
	Path string // file path; "-" for standard input
}

// ListInputs expands paths into inputs: "-" is standard input (at most once),
// a file is itself, a directory is walked recursively in lexical order, which
// for the S3 layout AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/
// is time order. Hidden files and directories (".name") under a walked
// directory are ignored. A path that does not exist, or a directory holding
// no files, is an error.
func ListInputs(paths []string) ([]Input, error) {
	var out []Input
	stdin := false
	for _, p := range paths {
		if p == "-" {
			if stdin {
				return nil, errors.New(`"-" (standard input) given more than once`)
			}
			stdin = true
			out = append(out, Input{Path: "-"})
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, Input{Path: p})
			continue
		}
		n := len(out)
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				st, err := os.Stat(path)
				if err != nil || !st.Mode().IsRegular() {
					return nil // dangling link or link to a directory: not followed
				}
			} else if !d.Type().IsRegular() {
				return nil
			}
			out = append(out, Input{Path: path})
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: directory holds no files", p)
		}
	}
	return out, nil
}

// Name returns the input's name as used in positions and errors.
func (in Input) Name() string { return in.Path }

// sniffBytes is how much of an input is examined to detect its content.
const sniffBytes = 4096

// Open opens the input and detects its content from its bytes: gzip (any
// number of members; decompressed, then detected again), Parquet ("PAR1"),
// JSON (first non-space byte "{" or "["), lines starting with an ISO 8601
// timestamp (aws logs tail, console export), else flow log text. stdin is
// read when the path is "-".
func (in Input) Open(stdin io.Reader, opts StreamOptions) (RecordReader, error) {
	var (
		r      io.Reader
		file   *os.File
		closer multiCloser
	)
	if in.Path == "-" {
		if stdin == nil {
			return nil, errors.New("-: no standard input")
		}
		r = stdin
	} else {
		f, err := os.Open(in.Path)
		if err != nil {
			return nil, err
		}
		file = f
		r = f
		closer = append(closer, f)
	}
	rr, err := openReader(in.Name(), r, file, opts, &closer)
	if err != nil {
		closer.Close()
		return nil, err
	}
	return rr, nil
}

func openReader(name string, r io.Reader, file *os.File, opts StreamOptions, closer *multiCloser) (RecordReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := peek(br)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	info := SourceInfo{}
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: corrupt gzip header: %w", name, err)
		}
		closer.add(zr)
		info.Gzip = true
		file = nil // the decompressed bytes are not the file's
		br = bufio.NewReaderSize(&gzipErrReader{zr}, 64<<10)
		if head, err = peek(br); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	info.Content = detect(head)
	switch info.Content {
	case ContentParquet:
		pr, err := openParquet(name, br, file, opts, closer)
		if err != nil {
			return nil, err
		}
		pr.info.Gzip = info.Gzip
		return pr, nil
	case ContentCloudWatch:
		return newCloudWatchReader(name, br, opts.ReaderOptions, info, closer), nil
	case ContentPrefixed:
		return newPrefixedReader(name, br, opts.ReaderOptions, info, closer), nil
	}
	tr := &textReader{Reader: NewReader(br, name, opts.ReaderOptions), info: info, closer: closer}
	if file != nil && tr.Reader.br == br {
		tr.file = file // plain text straight from the file: ReadParallel may map it
	}
	return tr, nil
}

// peek returns up to sniffBytes of br without consuming them.
func peek(br *bufio.Reader) ([]byte, error) {
	b, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		if len(b) > 0 {
			// Detect on what was read; the error comes back on Read.
			return b, nil
		}
		return nil, err
	}
	return b, nil
}

// detect tells the content of an (uncompressed) input from its first bytes.
func detect(head []byte) Content {
	if bytes.HasPrefix(head, []byte("PAR1")) {
		return ContentParquet
	}
	b := bytes.TrimPrefix(head, utf8BOM)
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return ContentCloudWatch
	}
	if isTimestampPrefix(b) {
		return ContentPrefixed
	}
	return ContentText
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// isTimestampPrefix reports whether b starts with an ISO 8601 date-time
// ("2024-01-02T03:04:05...").
func isTimestampPrefix(b []byte) bool {
	const pat = "dddd-dd-ddTdd:dd"
	if len(b) < len(pat) {
		return false
	}
	for i := 0; i < len(pat); i++ {
		c := b[i]
		if pat[i] == 'd' {
			if c < '0' || c > '9' {
				return false
			}
		} else if c != pat[i] {
			return false
		}
	}
	return true
}

// GzipError is the cause of a read failure inside a gzip stream: a truncated
// file, a bad checksum or garbage after a member.
type GzipError struct{ Err error }

func (e *GzipError) Error() string { return "truncated or corrupt gzip: " + e.Err.Error() }

// Unwrap returns the decompressor's error.
func (e *GzipError) Unwrap() error { return e.Err }

type gzipErrReader struct{ r io.Reader }

func (g *gzipErrReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		err = &GzipError{Err: err}
	}
	return n, err
}

// InputError reports an input that could not be opened or read to its end.
// Records read from it before the failure were delivered.
type InputError struct {
	File    string
	Records int64 // records delivered from the input before the failure
	Err     error
}

func (e *InputError) Error() string {
	msg := e.Err.Error()
	// Do not repeat the file name when the cause already starts with it.
	if !strings.HasPrefix(msg, e.File+":") {
		msg = e.File + ": " + msg
	}
	if e.Records > 0 || isGzip(e.Err) {
		msg += fmt.Sprintf(" (after %d records)", e.Records)
	}
	return msg
}

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

func isGzip(err error) bool {
	var g *GzipError
	return errors.As(err, &g)
}

type multiCloser []io.Closer

func (m *multiCloser) add(c io.Closer) { *m = append(*m, c) }

// Close closes in reverse order and returns the first error.
func (m multiCloser) Close() error {
	var first error
	for i := len(m) - 1; i >= 0; i-- {
		if err := m[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// textReader is a Reader over a (possibly decompressed) text input.
type textReader struct {
	*Reader
	info   SourceInfo
	closer *multiCloser
	file   *os.File // the file Reader reads undecoded through its buffer; nil if any other
}

func (t *textReader) SourceInfo() SourceInfo { return t.info }
func (t *textReader) Close() error           { return t.closer.Close() }

// InputStats are the counts of one input of a Stream.
type InputStats struct {
	Name string
	SourceInfo
	ReadStats
	Err error // why the input could not be opened or read to its end; nil if it was
}

// StreamStats are the totals of a Stream and the counts of each input opened
// so far, in order.
type StreamStats struct {
	ReadStats               // totals; Examples holds the first MaxExamples bad lines over all inputs
	Control   int64         // CloudWatch CONTROL_MESSAGE payloads skipped
	Inputs    []InputStats  // per input
	Failed    []*InputError // inputs that could not be read to their end (lenient mode)
}

// Stream reads many inputs, one after the other, as one record stream.
// In lenient mode (the default) a bad line is skipped and counted, and an
// input that cannot be opened or read further is recorded in Stats().Failed
// and the stream goes on with the next input; in strict mode the first such
// error ends the stream.
type Stream struct {
	inputs []Input
	stdin  io.Reader
	opts   StreamOptions
	next   int
	cur    RecordReader
	done   []InputStats
	err    error   // sticky, strict mode
	merge  *merger // with MergeByTime and several inputs; see merge.go
}

// OpenStream lists the inputs named by paths (see ListInputs; "-" is stdin)
// and returns a Stream over them. Inputs are opened one at a time as the
// stream reaches them.
func OpenStream(paths []string, stdin io.Reader, opts StreamOptions) (*Stream, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input: give files, directories, or - for standard input")
	}
	inputs, err := ListInputs(paths)
	if err != nil {
		return nil, err
	}
	if opts.MaxExamples <= 0 {
		opts.MaxExamples = defaultMaxExamples
	}
	return &Stream{inputs: inputs, stdin: stdin, opts: opts}, nil
}

const defaultMaxExamples = 5

// Inputs returns the inputs of the stream, in reading order.
func (s *Stream) Inputs() []Input { return append([]Input(nil), s.inputs...) }

// Read reads the next record into rec. It returns io.EOF after the last
// record of the last input.
func (s *Stream) Read(rec *Record) error {
	if s.err != nil {
		return s.err
	}
	if s.opts.MergeByTime && len(s.inputs) > 1 {
		return s.readMerged(rec)
	}
	for {
		if s.cur == nil {
			if s.next >= len(s.inputs) {
				return io.EOF
			}
			in := s.inputs[s.next]
			s.next++
			rr, err := in.Open(s.stdin, s.opts)
			if err != nil {
				ie := &InputError{File: in.Name(), Err: err}
				s.done = append(s.done, InputStats{Name: in.Name(), Err: ie})
				if s.opts.Strict {
					s.err = ie
					return ie
				}
				continue // in Stats().Failed for the caller's summary
			}
			s.cur = rr
		}
		err := s.cur.Read(rec)
		if err == nil {
			return nil
		}
		name := s.inputs[s.next-1].Name()
		if err == io.EOF {
			s.finish(name, nil)
			continue
		}
		var pe *ParseError
		if errors.As(err, &pe) {
			s.finish(name, nil)
			s.err = err
			return err
		}
		ie := &InputError{File: name, Records: s.cur.Stats().Records, Err: err}
		s.finish(name, ie)
		if s.opts.Strict {
			s.err = ie
			return ie
		}
		// Lenient: the failure is in Stats().Failed for the caller's
		// summary; go on with the next input.
	}
}

func (s *Stream) warn(err error) {
	if s.opts.Warn != nil {
		s.opts.Warn(err.Error())
	}
}

// finish closes the current input and records its stats.
func (s *Stream) finish(name string, ie *InputError) {
	s.finishReader(name, s.cur, ie)
	s.cur = nil
}

// finishReader closes rr and records its stats.
func (s *Stream) finishReader(name string, rr RecordReader, ie *InputError) {
	st := inputStats(name, rr)
	if ie != nil {
		st.Err = ie
	}
	if err := rr.Close(); err != nil && st.Err == nil {
		st.Err = &InputError{File: name, Records: st.Records, Err: err}
	}
	s.done = append(s.done, st)
}

func inputStats(name string, rr RecordReader) InputStats {
	st := InputStats{Name: name, ReadStats: rr.Stats()}
	if si, ok := rr.(sourceInfoer); ok {
		st.SourceInfo = si.SourceInfo()
	}
	return st
}

// Stats returns the totals and per-input counts so far.
func (s *Stream) Stats() StreamStats {
	var out StreamStats
	out.Inputs = append(out.Inputs, s.done...)
	if s.cur != nil {
		out.Inputs = append(out.Inputs, inputStats(s.inputs[s.next-1].Name(), s.cur))
	}
	out.Inputs = append(out.Inputs, s.merge.openStats(s.inputs)...)
	for _, in := range out.Inputs {
		addStats(&out.ReadStats, &in.ReadStats, s.opts.MaxExamples)
		out.Control += in.Control
		var ie *InputError
		if errors.As(in.Err, &ie) {
			out.Failed = append(out.Failed, ie)
		}
	}
	return out
}

// Close closes the input being read, if any. Reading after Close returns
// io.EOF.
func (s *Stream) Close() error {
	if s.merge != nil {
		return s.closeMerged()
	}
	if s.cur == nil {
		s.next = len(s.inputs)
		return nil
	}
	name := s.inputs[s.next-1].Name()
	s.next = len(s.inputs)
	err := s.cur.Close()
	s.done = append(s.done, inputStats(name, s.cur))
	s.cur = nil
	return err
}
