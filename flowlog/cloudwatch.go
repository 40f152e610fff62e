package flowlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// msgParser parses record lines that arrive one by one (CloudWatch
// messages, prefixed text lines, Parquet rows rendered as lines), with the
// same policy as Reader: header lines re-set the format unless one was
// given, bad lines are skipped and counted (or returned in strict mode).
type msgParser struct {
	opts     ReaderOptions
	explicit bool
	parser   *Parser
	stats    ReadStats
	warned   map[string]bool
	sources  map[string]string // stream name -> "file#stream"
}

// errSkip says the message produced no record (blank, header, or a bad
// line skipped in lenient mode).
var errSkip = errors.New("skip")

func newMsgParser(opts ReaderOptions) msgParser {
	if opts.MaxExamples <= 0 {
		opts.MaxExamples = defaultMaxExamples
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = 1 << 20
	}
	m := msgParser{opts: opts, explicit: opts.Format != nil, warned: map[string]bool{}, sources: map[string]string{}}
	f := opts.Format
	if f == nil {
		f = DefaultFormat()
	}
	m.parser = NewParser(f)
	return m
}

// source returns "file#stream", or file when stream is empty, without
// allocating for a stream seen before.
func (m *msgParser) source(file string, stream []byte) string {
	if len(stream) == 0 {
		return file
	}
	if s, ok := m.sources[string(stream)]; ok {
		return s
	}
	s := file + "#" + string(stream)
	m.sources[string(stream)] = s
	return s
}

// parse parses one line. It returns nil when rec holds a record, errSkip when
// the line yields none, or a *ParseError in strict mode. n is the line of
// the file the message is on; col is the file column of line[0] (1-based),
// or 0 when the message's columns are not the file's (an escaped JSON
// string, a Parquet row): errors then name the line alone.
func (m *msgParser) parse(line []byte, src string, n int64, col int, rec *Record) error {
	m.stats.Lines++
	whole := len(line)
	line = bytes.TrimPrefix(line, utf8BOM)
	line = bytes.TrimLeft(line, " \t")
	if col > 0 {
		col += whole - len(line) // columns count from the untrimmed start
	}
	line = bytes.TrimRight(line, " \t\r\n")
	if len(line) == 0 {
		m.stats.Blank++
		return errSkip
	}
	if len(line) > m.opts.MaxLineBytes {
		return m.bad(&ParseError{File: src, Line: n, Err: &LineTooLongError{Limit: m.opts.MaxLineBytes}})
	}
	if LooksLikeHeader(line) {
		if m.explicit {
			m.stats.Headers++
			return errSkip
		}
		f, unknown, err := ParseHeader(string(line))
		if err != nil {
			return m.bad(&ParseError{File: src, Line: n, Err: err})
		}
		m.stats.Headers++
		for _, u := range unknown {
			if !m.warned[u] && m.opts.Warn != nil {
				m.opts.Warn(fmt.Sprintf("%s:%d: unknown field %q in header kept as an extra column", src, n, u))
			}
			m.warned[u] = true
		}
		if !f.Equal(m.parser.Format()) {
			m.parser = NewParser(f)
		}
		return errSkip
	}
	if err := m.parser.Parse(line, rec); err != nil {
		pe := &ParseError{File: src, Line: n, Err: err}
		var fe *FieldError
		if errors.As(err, &fe) {
			pe.Field = fe.Field
			if col > 0 && fe.Column > 0 {
				pe.Column = col + fe.Column - 1
			}
		}
		return m.bad(pe)
	}
	rec.Pos = Pos{Source: src, Line: n}
	m.stats.Records++
	if rec.IsGap() {
		m.stats.Gaps++
	}
	if rec.Kind == KindTransitGateway {
		m.stats.TGW++
	}
	return nil
}

func (m *msgParser) bad(pe *ParseError) error {
	if m.opts.Strict {
		return pe
	}
	m.stats.Skipped++
	if len(m.stats.Examples) < m.opts.MaxExamples {
		m.stats.Examples = append(m.stats.Examples, pe)
	}
	return errSkip
}

func (m *msgParser) Stats() ReadStats {
	st := m.stats
	st.Examples = append([]error(nil), m.stats.Examples...)
	return st
}

// prefixedReader reads text whose lines carry a CloudWatch prefix:
// `aws logs tail` prints "<timestamp> <stream> <record>", a console export
// "<timestamp> <record>". Lines without a timestamp are read as plain
// record lines.
type prefixedReader struct {
	name   string
	br     *bufio.Reader
	m      msgParser
	info   SourceInfo
	closer *multiCloser
	line   int64
	long   []byte // scratch for lines longer than the buffer
	shape  int    // shapeUnknown until a line tells which
}

func newPrefixedReader(name string, br *bufio.Reader, opts ReaderOptions, info SourceInfo, closer *multiCloser) *prefixedReader {
	return &prefixedReader{name: name, br: br, m: newMsgParser(opts), info: info, closer: closer}
}

func (p *prefixedReader) SourceInfo() SourceInfo { return p.info }
func (p *prefixedReader) Stats() ReadStats       { return p.m.Stats() }
func (p *prefixedReader) Close() error           { return p.closer.Close() }

func (p *prefixedReader) Read(rec *Record) error {
	for {
		line, err := p.readLine()
		if len(line) == 0 && err != nil {
			return err
		}
		p.line++
		if line == nil { // too long: counted as a bad line
			perr := p.m.bad(&ParseError{File: p.name, Line: p.line, Err: &LineTooLongError{Limit: p.m.opts.MaxLineBytes}})
			p.m.stats.Lines++
			if perr != errSkip {
				return perr
			}
			continue
		}
		stream, msg := p.split(line)
		// msg is a subslice of line: its file column is its offset + 1.
		perr := p.m.parse(msg, p.m.source(p.name, stream), p.line, cap(line)-cap(msg)+1, rec)
		if perr == nil || perr != errSkip {
			return perr
		}
		if err != nil {
			return err
		}
	}
}

// readLine returns the next line without its newline; nil (with a nil
// error) for a line over MaxLineBytes, which is consumed and dropped.
func (p *prefixedReader) readLine() ([]byte, error) {
	line, err := p.br.ReadSlice('\n')
	if err == nil || err == io.EOF {
		if err == io.EOF && len(line) == 0 {
			return nil, io.EOF
		}
		return bytes.TrimSuffix(line, []byte("\n")), err
	}
	if err != bufio.ErrBufferFull {
		return line, err
	}
	p.long = append(p.long[:0], line...)
	for {
		line, err = p.br.ReadSlice('\n')
		if len(p.long) <= p.m.opts.MaxLineBytes {
			p.long = append(p.long, line...)
		}
		if err != bufio.ErrBufferFull {
			break
		}
	}
	if len(p.long) > p.m.opts.MaxLineBytes {
		if err != nil && err != io.EOF {
			return nil, err
		}
		return nil, nil
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	return bytes.TrimSuffix(p.long, []byte("\n")), nil
}

// split strips the timestamp and, when present, the stream name from a
// prefixed line. A stream name is recognized when the line has exactly one
// more field than the current format, or when a header follows it.
func (p *prefixedReader) split(line []byte) (stream, msg []byte) {
	b := bytes.TrimPrefix(line, utf8BOM)
	if !isTimestampPrefix(b) {
		return nil, line
	}
	_, rest := cutField(b)
	first, after := cutField(rest)
	switch p.shape {
	case shapeTail:
		return first, after
	case shapeExport:
		return nil, rest
	}
	if len(after) == 0 {
		return nil, rest
	}
	// Decide once per input, on the first line that tells: a header or a
	// record right after the first field, or a record with one field more
	// than the format, means `aws logs tail` output.
	switch {
	case LooksLikeHeader(rest):
		p.shape = shapeExport
		return nil, rest
	case LooksLikeHeader(after):
		p.shape = shapeTail
		return first, after
	}
	switch fieldCount(rest) - p.m.parser.Format().Len() {
	case 0:
		p.shape = shapeExport
		return nil, rest
	case 1:
		p.shape = shapeTail
		return first, after
	}
	return nil, rest
}

// Shapes of timestamp-prefixed lines.
const (
	shapeUnknown = iota
	shapeTail    // <timestamp> <stream> <record>
	shapeExport  // <timestamp> <record>
)

// cutField splits off the first white-space separated field of b.
func cutField(b []byte) (field, rest []byte) {
	b = bytes.TrimLeft(b, " \t")
	i := bytes.IndexAny(b, " \t")
	if i < 0 {
		return b, nil
	}
	return b[:i], bytes.TrimLeft(b[i:], " \t")
}

func fieldCount(b []byte) int {
	n := 0
	for len(b) > 0 {
		var f []byte
		f, b = cutField(b)
		if len(f) > 0 {
			n++
		}
		b = bytes.TrimRight(b, " \t\r")
	}
	return n
}

// cwEvent is one CloudWatch log event: get-log-events and filter-log-events
// output (events[]), subscription payloads (logEvents[]), or a bare
// {"message": ...} object.
type cwEvent struct {
	LogStreamName string  `json:"logStreamName"`
	Message       *string `json:"message"`
	// Timestamp is the record's start in milliseconds (DOMAIN 1.11); it
	// stands in for start and end when the log format has neither. Kept
	// raw: an event whose timestamp is not an integer still has a record.
	Timestamp json.RawMessage `json:"timestamp"`
	bad       string          // why the event has the wrong shape, e.g. "message must be a string, found number"
	// line is the file line of the event's message (of the event when it
	// has none); col the file column of the message's first character, 0
	// when an escape comes first and the message's columns are not the
	// file's.
	line int64
	col  int
}

// cwObject is the state of one JSON object being walked.
type cwObject struct {
	messageType string
	stream      string // logStream (subscription payload)
	message     *string
	hasMessage  bool
	msgLine     int64 // where message is: file line and column (as cwEvent's)
	msgCol      int
	badMessage  string    // why message is unusable, when it is not a string
	pending     []cwEvent // logEvents seen before messageType/logStream were known
	direct      bool      // logEvents being streamed straight out
	// known is set by a key that makes the object CloudWatch Logs output
	// (events, logEvents, pages, messageType, message); start is where it
	// began, to name an object without any.
	known bool
	start int64
}

// cloudWatchReader reads CloudWatch Logs JSON: the output of
// `aws logs filter-log-events` and `get-log-events` (several pages may be
// concatenated), subscription payloads (one or many concatenated, as Firehose
// delivers them; CONTROL_MESSAGE payloads are skipped and counted), and one
// {"message": "..."} object per line. It walks the JSON with a token decoder,
// so a large events array is never held in memory. Each message is a record
// line without a header unless it is itself a header line.
type cloudWatchReader struct {
	name   string
	dec    *json.Decoder
	lt     *lineTracker
	m      msgParser
	info   SourceInfo
	closer *multiCloser

	stack   []cwFrame
	queue   []cwEvent // events ready to be parsed, with their stream
	qstream []string
	lines   [][]byte // remaining lines of a multi-line message
	lsrc    string
	lline   int64 // the split event's file line
	lts     int64 // the split event's timestamp (eventTime)
	err     error
}

type cwFrame struct {
	kind byte // 'o' object, 'a' array of values, 'e' events array, 'l' logEvents array (direct)
	obj  *cwObject
}

func newCloudWatchReader(name string, br *bufio.Reader, opts ReaderOptions, info SourceInfo, closer *multiCloser) *cloudWatchReader {
	// Skip a UTF-8 BOM, which encoding/json rejects.
	if b, _ := br.Peek(3); bytes.Equal(b, utf8BOM) {
		br.Discard(3)
	}
	lt := &lineTracker{r: br}
	dec := json.NewDecoder(lt)
	dec.UseNumber()
	return &cloudWatchReader{name: name, dec: dec, lt: lt, m: newMsgParser(opts), info: info, closer: closer}
}

// lineTracker passes bytes through to the JSON decoder and remembers where
// the recent lines start, so that the byte offset of a JSON error can be
// told as line:column (AWS CLI output is pretty-printed, one key a line).
type lineTracker struct {
	r       io.Reader
	read    int64   // bytes passed on
	nl      []int64 // offsets of the newlines seen, but the forgotten ones
	dropped int64   // newlines forgotten (the oldest), to bound memory
}

const maxTrackedLines = 1 << 16

func (t *lineTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			break
		}
		t.nl = append(t.nl, t.read+int64(i+j))
		i += j + 1
	}
	t.read += int64(n)
	if len(t.nl) > maxTrackedLines {
		half := len(t.nl) / 2
		t.dropped += int64(half)
		t.nl = append(t.nl[:0], t.nl[half:]...)
	}
	return n, err
}

// lineCol returns the 1-based line and column of byte offset off; col is 0
// when the start of its line was forgotten (the line is always exact).
func (c *cloudWatchReader) lineCol(off int64) (line int64, col int) {
	t := c.lt
	i := sort.Search(len(t.nl), func(i int) bool { return t.nl[i] >= off })
	line = t.dropped + int64(i) + 1
	if i == 0 && t.dropped > 0 {
		return line, 0
	}
	start := int64(0)
	if i > 0 {
		start = t.nl[i-1] + 1
	}
	return line, int(off - start + 1)
}

// at renders offset off as "name:line:col", or "name:line" when the start
// of its line was forgotten.
func (c *cloudWatchReader) at(off int64) string {
	line, col := c.lineCol(off)
	if col == 0 {
		return fmt.Sprintf("%s:%d", c.name, line)
	}
	return fmt.Sprintf("%s:%d:%d", c.name, line, col)
}

func (c *cloudWatchReader) SourceInfo() SourceInfo { return c.info }
func (c *cloudWatchReader) Stats() ReadStats       { return c.m.Stats() }
func (c *cloudWatchReader) Close() error           { return c.closer.Close() }

func (c *cloudWatchReader) Read(rec *Record) error {
	for {
		if len(c.lines) > 0 {
			l := c.lines[0]
			c.lines = c.lines[1:]
			err := c.m.parse(l, c.lsrc, c.lline, 0, rec) // lines of one escaped string: no file columns
			if err == nil {
				stampRecord(rec, c.lts)
			}
			if err != errSkip {
				return err
			}
			continue
		}
		if len(c.queue) > 0 {
			ev, stream := c.queue[0], c.qstream[0]
			c.queue, c.qstream = c.queue[1:], c.qstream[1:]
			if err := c.emit(ev, stream, rec); err != errSkip {
				return err
			}
			continue
		}
		if c.err != nil {
			return c.err
		}
		if err := c.step(); err != nil {
			c.err = err
		}
	}
}

// emit parses one event's message; a message holding several lines is split
// and each line parsed with the event's position.
func (c *cloudWatchReader) emit(ev cwEvent, stream string, rec *Record) error {
	if ev.LogStreamName != "" {
		stream = ev.LogStreamName
	}
	src := c.m.source(c.name, []byte(stream))
	if ev.Message == nil {
		c.m.stats.Lines++
		why := "event has no message"
		if ev.bad != "" {
			why = ev.bad
		}
		return c.m.bad(&ParseError{File: src, Line: ev.line, Field: "message", Err: errors.New(why)})
	}
	msg := []byte(*ev.Message)
	ts := eventTime(ev.Timestamp)
	if i := bytes.IndexByte(msg, '\n'); i >= 0 && i < len(bytes.TrimRight(msg, "\r\n"))-1 {
		c.lines = bytes.Split(bytes.TrimRight(msg, "\r\n"), []byte("\n"))
		c.lsrc, c.lline, c.lts = src, ev.line, ts
		return errSkip
	}
	err := c.m.parse(msg, src, ev.line, ev.col, rec)
	if err == nil {
		stampRecord(rec, ts)
	}
	return err
}

// eventTime reads an event's timestamp (milliseconds) into Unix seconds;
// -1 when it is absent or not an integer.
func eventTime(raw json.RawMessage) int64 {
	ms, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || ms < 0 {
		return -1
	}
	return ms / 1000
}

// stampRecord gives a record whose log format has no start (or end) the
// event's timestamp, which CloudWatch Logs sets to the record's start, so
// that it has a time to correlate and report by.
func stampRecord(rec *Record, ts int64) {
	if ts < 0 || rec.IsGap() {
		return
	}
	if !rec.Has(FieldStart) {
		rec.Start = ts
		if rec.Has(FieldEnd) && rec.End < ts {
			rec.Start = rec.End // never after the record's own end
		}
		rec.Present.Add(FieldStart)
	}
	if !rec.Has(FieldEnd) && rec.Start <= ts {
		rec.End = ts
		rec.Present.Add(FieldEnd)
	}
}

// step advances the JSON walk by one token, queueing any events found.
func (c *cloudWatchReader) step() error {
	if len(c.stack) == 0 {
		tok, err := c.dec.Token()
		if err != nil {
			return c.jsonErr(err)
		}
		return c.open(tok, 'a')
	}
	top := &c.stack[len(c.stack)-1]
	switch top.kind {
	case 'a': // array of top-level values
		if !c.dec.More() {
			if _, err := c.dec.Token(); err != nil {
				return c.jsonErr(err)
			}
			c.stack = c.stack[:len(c.stack)-1]
			return nil
		}
		tok, err := c.dec.Token()
		if err != nil {
			return c.jsonErr(err)
		}
		return c.open(tok, 'a')
	case 'e', 'l': // events arrays, streamed one event at a time
		if !c.dec.More() {
			if _, err := c.dec.Token(); err != nil {
				return c.jsonErr(err)
			}
			c.stack = c.stack[:len(c.stack)-1]
			return nil
		}
		var ev cwEvent
		if err := c.decodeEvent(&ev); err != nil {
			return err
		}
		stream := ""
		if top.kind == 'l' {
			stream = top.obj.stream
		}
		c.queue = append(c.queue, ev)
		c.qstream = append(c.qstream, stream)
		return nil
	}
	// object
	obj := top.obj
	tok, err := c.dec.Token()
	if err != nil {
		return c.jsonErr(err)
	}
	if d, ok := tok.(json.Delim); ok && d == '}' {
		c.stack = c.stack[:len(c.stack)-1]
		return c.closeObject(obj)
	}
	key, _ := tok.(string)
	switch key {
	case "events", "logEvents", "pages", "messageType", "message":
		obj.known = true
	}
	switch key {
	case "pages":
		// Several get-log-events / filter-log-events pages collected in
		// one object (as flowlogs-reader's fixtures are): each page is an
		// object of its own.
		t, err := c.dec.Token()
		if err != nil {
			return c.jsonErr(err)
		}
		if d, ok := t.(json.Delim); !ok || d != '[' {
			return c.typeErr(key, "an array of get-log-events or filter-log-events pages")
		}
		c.stack = append(c.stack, cwFrame{kind: 'a'})
		return nil
	case "events", "logEvents":
		t, err := c.dec.Token()
		if err != nil {
			return c.jsonErr(err)
		}
		if d, ok := t.(json.Delim); !ok || d != '[' {
			return c.typeErr(key, "an array of log events")
		}
		if key == "events" {
			c.stack = append(c.stack, cwFrame{kind: 'e', obj: obj})
			return nil
		}
		if obj.messageType == "DATA_MESSAGE" && obj.stream != "" {
			obj.direct = true
			c.stack = append(c.stack, cwFrame{kind: 'l', obj: obj})
			return nil
		}
		// Order of keys unknown yet: hold this payload's events (a
		// subscription payload is bounded in size) until the object ends.
		for c.dec.More() {
			var ev cwEvent
			if err := c.decodeEvent(&ev); err != nil {
				return err
			}
			obj.pending = append(obj.pending, ev)
		}
		if _, err := c.dec.Token(); err != nil {
			return c.jsonErr(err)
		}
		return nil
	case "messageType", "logStream", "logStreamName", "message":
		var s *string
		if key == "message" {
			obj.msgLine, obj.msgCol = c.valueAt()
		}
		if err := c.dec.Decode(&s); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				return c.jsonErr(err)
			}
			// Not a string: the value was consumed; the key counts as
			// absent, and a message of the wrong type is a bad event.
			s = nil
			if key == "message" {
				obj.badMessage = "message must be a string, found " + te.Value
			}
		}
		switch key {
		case "messageType":
			if s != nil {
				obj.messageType = *s
			}
		case "logStream", "logStreamName":
			if s != nil {
				obj.stream = *s
			}
		case "message":
			obj.message, obj.hasMessage = s, true
		}
		return nil
	}
	return c.skipValue()
}

// open handles a token that starts a top-level value or an array element.
func (c *cloudWatchReader) open(tok json.Token, _ byte) error {
	switch tok {
	case json.Delim('{'):
		c.stack = append(c.stack, cwFrame{kind: 'o', obj: &cwObject{start: c.dec.InputOffset() - 1}})
		return nil
	case json.Delim('['):
		c.stack = append(c.stack, cwFrame{kind: 'a'})
		return nil
	}
	return fmt.Errorf("%s: want a JSON object or array of CloudWatch Logs events, found %v",
		c.at(c.dec.InputOffset()), tok)
}

func (c *cloudWatchReader) closeObject(obj *cwObject) error {
	if !obj.known {
		// Not CloudWatch Logs output: reading it as no records would
		// report "nothing blocked" for the wrong file.
		return fmt.Errorf("%s: a JSON object without events, logEvents, pages or message: want CloudWatch Logs output (aws logs get-log-events or filter-log-events JSON, a subscription payload, or one {\"message\": ...} object per line)",
			c.at(obj.start))
	}
	if obj.messageType == "CONTROL_MESSAGE" {
		c.info.Control++
		return nil
	}
	for _, ev := range obj.pending {
		c.queue = append(c.queue, ev)
		c.qstream = append(c.qstream, obj.stream)
	}
	if obj.hasMessage && !obj.direct && len(obj.pending) == 0 {
		line, col := obj.msgLine, obj.msgCol
		if line == 0 {
			line, _ = c.lineCol(obj.start)
		}
		if obj.message == nil {
			col = 0
		}
		c.queue = append(c.queue, cwEvent{Message: obj.message, bad: obj.badMessage, line: line, col: col})
		c.qstream = append(c.qstream, obj.stream)
	}
	return nil
}

// decodeEvent decodes one element of an events array. An element of the
// wrong shape is a bad event, skipped in lenient mode. The event keeps the
// file line of its message, so that evidence and errors point into the
// file (AWS CLI output is pretty-printed, one key a line).
func (c *cloudWatchReader) decodeEvent(ev *cwEvent) error {
	var raw json.RawMessage
	if err := c.dec.Decode(&raw); err != nil {
		return c.jsonErr(err)
	}
	start := c.dec.InputOffset() - int64(len(raw))
	err := json.Unmarshal(raw, ev)
	if err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return c.jsonErr(err)
		}
		// Report it as a bad event.
		*ev = cwEvent{bad: badShape(te)}
	}
	at, escaped := messageAt(raw)
	if at < 0 {
		ev.line, _ = c.lineCol(start)
		return nil
	}
	ev.line, ev.col = c.lineCol(start + int64(at))
	if escaped || ev.Message == nil {
		ev.col = 0
	}
	return nil
}

// messageAt returns the offset in a raw JSON object of the first character
// of its top-level "message" string value (or of the value, when it is not a
// string), -1 when there is none, and whether the string holds an escape
// (its columns are then not the file's).
func messageAt(raw []byte) (at int, escaped bool) {
	depth := 0
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			end := stringEnd(raw, i)
			if depth == 1 && string(raw[i:end]) == `"message"` {
				j := end
				for j < len(raw) && (isSpace(raw[j]) || raw[j] == '\n' || raw[j] == '\r') {
					j++
				}
				if j < len(raw) && raw[j] == ':' {
					j++
					for j < len(raw) && (isSpace(raw[j]) || raw[j] == '\n' || raw[j] == '\r') {
						j++
					}
					if j < len(raw) && raw[j] == '"' {
						e := stringEnd(raw, j)
						return j + 1, bytes.IndexByte(raw[j:e], '\\') >= 0
					}
					return j, false
				}
			}
			i = end - 1
		}
	}
	return -1, false
}

// stringEnd returns the offset just past the JSON string starting at
// raw[i] == '"' (len(raw) when it is not closed).
func stringEnd(raw []byte, i int) int {
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(raw)
}

// valueAt returns the file line and column of the next JSON value, the one
// after the key the decoder just returned: of its first character inside the
// quotes for a string. col is 0 when the string holds an escape, or is not
// yet in the decoder's buffer, so that its columns cannot be trusted.
func (c *cloudWatchReader) valueAt() (line int64, col int) {
	off := c.dec.InputOffset()
	var b [4096]byte
	n, _ := io.ReadFull(c.dec.Buffered(), b[:]) // a peek: the decoder keeps its buffer
	i := 0
	for i < n && (isSpace(b[i]) || b[i] == '\n' || b[i] == '\r' || b[i] == ':') {
		i++
	}
	if i == n || b[i] != '"' {
		line, _ = c.lineCol(off + int64(i))
		return line, 0
	}
	i++
	line, col = c.lineCol(off + int64(i))
	if e := stringEnd(b[:n], i-1); e == n || bytes.IndexByte(b[i:e], '\\') >= 0 {
		col = 0
	}
	return line, col
}

// badShape says which key of an event has a value of the wrong JSON type.
func badShape(te *json.UnmarshalTypeError) string {
	field := te.Field
	if field == "" {
		return "an event must be a JSON object, found " + te.Value
	}
	return fmt.Sprintf("%s must be a string, found %s", field, te.Value)
}

// skipValue consumes one JSON value of any shape.
func (c *cloudWatchReader) skipValue() error {
	depth := 0
	for {
		tok, err := c.dec.Token()
		if err != nil {
			return c.jsonErr(err)
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

func (c *cloudWatchReader) typeErr(key, want string) error {
	return fmt.Errorf("%s: %q must be %s", c.at(c.dec.InputOffset()), key, want)
}

func (c *cloudWatchReader) jsonErr(err error) error {
	if err == io.EOF {
		if len(c.stack) == 0 {
			return io.EOF
		}
		err = io.ErrUnexpectedEOF
	}
	var g *GzipError
	if errors.As(err, &g) {
		return err
	}
	if err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%s: JSON ends early: %w", c.at(c.dec.InputOffset()), err)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s: invalid JSON: %w", c.at(se.Offset), err)
	}
	return fmt.Errorf("%s: %w", c.at(c.dec.InputOffset()), err)
}
