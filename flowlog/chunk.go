package flowlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
)

// chunkBytes is the size of the pieces a text input is cut into (at line
// boundaries) for parallel parsing: large enough that a worker spends its
// time parsing, small enough that a few in flight per worker stay a few MB.
const chunkBytes = 1 << 20

// ReadParallel reads every input of s, as Read would, with parsing spread
// over workers goroutines, and hands the records to deliver in input order.
//
// Text inputs (plain or gzip) are cut into chunks at line boundaries; the
// reading goroutine counts each chunk's lines and follows its header lines,
// so every worker knows the absolute line number of its first line and the
// format in effect there, and positions, errors, warnings and statistics
// are those a serial Read gives. Other inputs (CloudWatch JSON, Parquet) are
// read by the reading goroutine.
//
// keep runs on the worker goroutines, once per record: it copies what the
// caller needs from r into *out and reports whether to keep it (r is reused
// afterwards). deliver runs on the calling goroutine with consecutive kept
// records and the number of records read to produce them (kept or not); it
// must not retain recs. An error from deliver stops reading and is returned.
// Otherwise ReadParallel returns nil at the end of the inputs or, in strict
// mode, the error Read would have returned. Stats reports on the stream
// afterwards; Read then returns io.EOF. It must be called before any Read.
func ReadParallel[T any](s *Stream, workers int, keep func(r *Record, out *T) bool, deliver func(recs []T, read int64) error) error {
	return readParallel(s, workers, chunking{size: chunkBytes, mapMin: 4 * chunkBytes}, keep, deliver)
}

// chunking says how text inputs are cut: into chunks of size bytes, read
// into buffers, or sliced from a memory mapping of the file for plain files
// of at least mapMin bytes (0: never mapped); and, for inputs merged by
// time, how long their batches are (zero: the default).
type chunking struct {
	size   int
	mapMin int64
	merge  mergeSizing
}

func readParallel[T any](s *Stream, workers int, ck chunking, keep func(r *Record, out *T) bool, deliver func(recs []T, read int64) error) error {
	if s.err != nil {
		return s.err
	}
	if s.next > 0 || s.cur != nil || s.merge != nil {
		return errors.New("flowlog: ReadParallel on a stream already being read with Read")
	}
	if s.opts.MergeByTime && len(s.inputs) > 1 {
		// Several inputs merged by time: one reader keeps them in step.
		return readMergedParallel(s, workers, ck.merge, keep, deliver)
	}
	workers = max(workers, 1)
	chunk := ck.size
	p := &parallel[T]{
		s:      s,
		chunk:  chunk,
		mapMin: ck.mapMin,
		keep:   keep,
		quit:   make(chan struct{}),
		work:   make(chan *chunkJob[T], workers),
		order:  make(chan *chunkJob[T], 2*workers+2),
	}
	p.bufs.New = func() any { b := make([]byte, 0, chunk); return &b }
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.worker()
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(p.order)
		defer close(p.work)
		p.produce()
	}()
	err := p.consume(deliver)
	close(p.quit)
	for range p.order { // let the producer finish
	}
	wg.Wait()
	for _, m := range p.maps { // of inputs not read to their end
		m.unmap()
	}
	s.next = len(s.inputs)
	if err != nil && s.err == nil {
		s.err = err
	}
	return err
}

type parallel[T any] struct {
	s      *Stream
	chunk  int
	mapMin int64
	maps   []*fileMap // mappings made by the producer; unmapped at their input's end, or at the end
	keep   func(*Record, *T) bool
	quit   chan struct{}
	work   chan *chunkJob[T]
	order  chan *chunkJob[T]
	bufs   sync.Pool // *[]byte chunk buffers
	recs   sync.Pool // *[]T record slices, handed back after deliver
}

// chunkJob is one piece of one input: a chunk of text to parse, or records
// read serially, and, on an input's last job, how the input ended.
type chunkJob[T any] struct {
	name      string
	data      *[]byte  // text to parse; nil when recs were read serially
	fmap      *fileMap // data is fmap.data[off:...]; else a buffer of the pool
	off       int
	firstLine int64   // line number of data's first line
	parser    *Format // format in effect at the first line; nil: none yet
	implicit  bool    // the format is the default one, not from a header or the options

	info  SourceInfo // of the input (text inputs: known when opened)
	warns []lineWarn // warnings of this job's lines, given out in order by the consumer

	recs  []T
	read  int64
	stats ReadStats
	err   error // *ParseError in strict mode: the stream stops after recs
	fault bool  // the mapped file shrank under the worker: the input ends after recs
	done  chan struct{}

	end *inputEnd
}

// lineWarn is a warning about a line (0: about the input as a whole).
type lineWarn struct {
	line int64
	msg  string
}

// inputEnd closes an input: its source info, the statistics of a serially
// read input, and why it ended early.
type inputEnd struct {
	info    SourceInfo
	stats   *ReadStats  // nil for chunked text: the jobs carried them
	readErr error       // read error of chunked text (wrapped by the consumer)
	openErr *InputError // could not be opened, or read further (serial inputs)
	closeEr error
	fmap    *fileMap // the input's mapping, unmapped once the input is consumed
	// parseErr: a serially read input stopped at a bad line (strict).
	parseErr bool
}

func (p *parallel[T]) send(j *chunkJob[T], toWorkers bool) bool {
	select {
	case p.order <- j:
	case <-p.quit:
		return false
	}
	if !toWorkers {
		return true
	}
	select {
	case p.work <- j:
		return true
	case <-p.quit:
		return false
	}
}

func (p *parallel[T]) produce() {
	s := p.s
	opts := s.opts
	var pending []lineWarn // warnings of the reader while the producer reads
	opts.Warn = func(msg string) { pending = append(pending, lineWarn{0, msg}) }
	for _, in := range s.inputs {
		rr, err := in.Open(s.stdin, opts)
		if err != nil {
			ie := &InputError{File: in.Name(), Err: err}
			j := &chunkJob[T]{name: in.Name(), done: closedChan, end: &inputEnd{openErr: ie}}
			j.warns = pending // the failure itself is reported once, from Stats().Failed
			pending = nil
			if !p.send(j, false) || s.opts.Strict {
				return
			}
			continue
		}
		var end *inputEnd
		var ok bool
		if tr, isText := rr.(*textReader); isText {
			var m *fileMap
			if tr.file != nil && p.mapMin > 0 {
				m = mapFile(tr.file, p.mapMin)
			}
			if m != nil {
				p.maps = append(p.maps, m)
				end, ok = p.chunkMapped(in.Name(), tr, m, &pending)
			} else {
				end, ok = p.chunkText(in.Name(), tr, &pending)
			}
		} else {
			end, ok = p.serial(in.Name(), rr, &pending)
		}
		if ok {
			end.closeEr = rr.Close()
		} else {
			rr.Close()
			return
		}
		j := &chunkJob[T]{name: in.Name(), done: closedChan, end: end, info: end.info, warns: pending}
		pending = nil
		if !p.send(j, false) {
			return
		}
		if s.opts.Strict && (end.readErr != nil || end.openErr != nil || end.parseErr) {
			return
		}
	}
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// serial reads a non-text input on the producing goroutine.
func (p *parallel[T]) serial(name string, rr RecordReader, pending *[]lineWarn) (*inputEnd, bool) {
	const batch = 4096
	var rec Record
	j := &chunkJob[T]{name: name, done: closedChan}
	end := &inputEnd{}
	if si, ok := rr.(sourceInfoer); ok {
		end.info = si.SourceInfo()
	}
	for {
		err := rr.Read(&rec)
		if err == nil {
			j.read++
			var x T
			if p.keep(&rec, &x) {
				j.recs = append(j.recs, x)
			}
			if j.read == batch {
				j.warns, *pending = *pending, nil
				if !p.send(j, false) {
					return nil, false
				}
				j = &chunkJob[T]{name: name, done: closedChan}
			}
			continue
		}
		st := rr.Stats()
		end.stats = &st
		var pe *ParseError
		switch {
		case err == io.EOF:
		case errors.As(err, &pe):
			j.err = err
			end.parseErr = true
		default:
			end.openErr = &InputError{File: name, Records: st.Records, Err: err}
		}
		if si, ok := rr.(sourceInfoer); ok {
			end.info = si.SourceInfo()
		}
		j.info = end.info
		j.warns, *pending = *pending, nil
		if !p.send(j, false) {
			return nil, false
		}
		return end, true
	}
}

// chunkText cuts a text input into chunks at line boundaries and queues
// them for the workers. tr's Reader follows the header lines (warnings,
// format) but parses nothing.
func (p *parallel[T]) chunkText(name string, tr *textReader, pending *[]lineWarn) (*inputEnd, bool) {
	shadow := tr.Reader
	shadow.opts.Warn = func(msg string) { *pending = append(*pending, lineWarn{shadow.line, msg}) }
	src := shadow.br
	end := &inputEnd{info: tr.info}
	var carry []byte // an incomplete last line, moved to the next chunk
	line := int64(0) // lines before the next chunk
	for {
		bp := p.bufs.Get().(*[]byte)
		buf := append((*bp)[:0], carry...)
		n, err := io.ReadFull(src, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			end.readErr = err
		}
		cut := len(buf)
		if !eof {
			cut = bytes.LastIndexByte(buf, '\n') + 1
			if cut == 0 && end.readErr == nil {
				// A line longer than the chunk: grow it until it ends
				// (the Reader reports it when beyond MaxLineBytes).
				more, rerr := readLine(src, buf, shadow.opts.MaxLineBytes)
				buf = more
				cut = len(buf)
				if rerr != nil && rerr != io.EOF {
					end.readErr = rerr
				}
				eof = rerr == io.EOF
			}
			if end.readErr != nil {
				cut = bytes.LastIndexByte(buf, '\n') + 1 // the partial line is lost, as in Read
			}
		}
		carry = append(carry[:0], buf[cut:]...)
		data := buf[:cut]
		*bp = data
		if len(data) > 0 {
			j := &chunkJob[T]{name: name, data: bp, firstLine: line + 1, info: tr.info, done: make(chan struct{})}
			if !p.sendText(j, shadow, &line, pending) {
				return nil, false
			}
		} else {
			p.bufs.Put(bp)
		}
		if eof || end.readErr != nil {
			return end, true
		}
	}
}

// sendText queues a job of text whose data starts after line lines, with
// the format in effect there, and advances line past its lines.
func (p *parallel[T]) sendText(j *chunkJob[T], shadow *Reader, line *int64, pending *[]lineWarn) bool {
	if shadow.parser != nil {
		j.parser = shadow.parser.f
	}
	j.implicit = shadow.implicit
	*line += p.followHeaders(shadow, *j.data, *line)
	j.warns, *pending = *pending, nil
	return p.send(j, true)
}

// chunkMapped is chunkText on a plain file mapped in memory: the chunks
// are slices of the mapping, cut at line boundaries, and nothing is copied.
// A line longer than a chunk goes whole into one (the worker reports it
// when beyond MaxLineBytes). Should the file shrink while mapped, reading
// past its new end faults: that ends the input with a read error instead
// of crashing the process.
func (p *parallel[T]) chunkMapped(name string, tr *textReader, m *fileMap, pending *[]lineWarn) (end *inputEnd, ok bool) {
	shadow := tr.Reader
	shadow.opts.Warn = func(msg string) { *pending = append(*pending, lineWarn{shadow.line, msg}) }
	end = &inputEnd{info: tr.info, fmap: m}
	// The file offset is past what the sniffing buffered but did not consume.
	at, err := tr.file.Seek(0, io.SeekCurrent)
	if err != nil || at < int64(shadow.br.Buffered()) || at > int64(len(m.data)) {
		end.readErr = fmt.Errorf("cannot tell the read position: %v", err)
		return end, true
	}
	off := int(at) - shadow.br.Buffered()
	line := int64(0)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if !isMemoryFault(r) {
				panic(r)
			}
			end, ok = &inputEnd{info: tr.info, fmap: m, readErr: errFileShrank}, true
		}
	}()
	data := m.data
	for off < len(data) {
		cut := min(off+p.chunk, len(data))
		if cut < len(data) {
			if i := bytes.LastIndexByte(data[off:cut], '\n'); i >= 0 {
				cut = off + i + 1
			} else if i := bytes.IndexByte(data[cut:], '\n'); i >= 0 {
				cut += i + 1
			} else {
				cut = len(data)
			}
		}
		chunk := data[off:cut]
		j := &chunkJob[T]{name: name, data: &chunk, fmap: m, off: off, firstLine: line + 1, info: tr.info, done: make(chan struct{})}
		if !p.sendText(j, shadow, &line, pending) {
			return nil, false
		}
		off = cut
	}
	return end, true
}

// errFileShrank is the read error of a mapped file cut short while read.
var errFileShrank = errors.New("the file shrank while being read (truncated or rewritten?)")

// isMemoryFault reports whether a recovered panic is a memory fault turned
// into a panic by debug.SetPanicOnFault.
func isMemoryFault(r any) bool {
	_, ok := r.(interface{ Addr() uintptr })
	return ok
}

// readLine extends buf with the rest of a line longer than a chunk: up to
// its "\n" or the end of input. Beyond limit bytes the middle is dropped
// (the line stays too long, and is reported so) to bound memory.
func readLine(src interface{ ReadSlice(byte) ([]byte, error) }, buf []byte, limit int) ([]byte, error) {
	if limit <= 0 {
		limit = textMaxLineBytes
	}
	for {
		part, err := src.ReadSlice('\n')
		if len(buf) <= limit+2 {
			buf = append(buf, part...)
		} else if n := len(part); n > 0 && part[n-1] == '\n' {
			buf = append(buf, '\n')
		}
		if err == nil {
			return buf, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return buf, err
		}
	}
}

// followHeaders updates the shadow reader's format from the header lines in
// data (whose first line follows line lines) and returns data's line count.
func (p *parallel[T]) followHeaders(shadow *Reader, data []byte, line int64) int64 {
	n := int64(0)
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		l := data
		if i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		n++
		if k := len(l); k > 0 && l[k-1] == '\r' {
			l = l[:k-1]
		}
		if len(l) > shadow.opts.MaxLineBytes {
			continue
		}
		if len(l) >= 3 && l[0] == 0xEF && l[1] == 0xBB && l[2] == 0xBF {
			l = l[3:]
		}
		if k := skipSpace(l, 0); k == len(l) || !isLetter(l[k]) {
			continue
		}
		if LooksLikeHeader(l) {
			shadow.line = line + n
			saved := shadow.stats
			_ = shadow.header(l)
			shadow.stats = saved
		}
	}
	return n
}

func (p *parallel[T]) worker() {
	opts := p.s.opts.ReaderOptions
	opts.Warn = nil
	rd := NewReader(bytes.NewReader(nil), "", opts)
	var rec Record
	for j := range p.work {
		p.parse(rd, j, &rec)
		close(j.done)
	}
}

func (p *parallel[T]) parse(rd *Reader, j *chunkJob[T], rec *Record) {
	if j.fmap != nil {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				if !isMemoryFault(r) {
					panic(r)
				}
				// What was parsed is delivered; the input ends there with
				// a read error (see consume).
				j.fault = true
				j.stats = rd.stats
				j.stats.Examples = append([]error(nil), rd.stats.Examples...)
			}
		}()
	}
	rd.resetMem(*j.data)
	defer rd.resetMem(nil)
	rd.name = j.name
	rd.line = j.firstLine - 1
	rd.stats = ReadStats{}
	rd.err, rd.last = nil, nil
	switch {
	case j.parser == nil:
		rd.parser = nil
	case rd.parser == nil || rd.parser.f != j.parser:
		rd.parser = newParser(j.parser, rd.in)
	}
	rd.implicit = j.implicit
	for {
		select {
		case <-p.quit:
			return
		default:
		}
		err := rd.Read(rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			j.err = err // *ParseError: strict mode
			break
		}
		j.read++
		if j.recs == nil {
			if rp, ok := p.recs.Get().(*[]T); ok {
				j.recs = (*rp)[:0]
			} else {
				j.recs = make([]T, 0, len(*j.data)/100+16)
			}
		}
		j.recs = append(j.recs, *new(T))
		if !p.keep(rec, &j.recs[len(j.recs)-1]) {
			j.recs = j.recs[:len(j.recs)-1]
		}
	}
	j.stats = rd.stats
	j.stats.Examples = append([]error(nil), rd.stats.Examples...)
}

// consume delivers the jobs in order and keeps the per-input statistics.
func (p *parallel[T]) consume(deliver func([]T, int64) error) error {
	s := p.s
	var cur InputStats
	started := false
	faulted := false // the current input's mapped file shrank: its other chunks are skipped
	for j := range p.order {
		<-j.done
		if !started {
			cur, started = InputStats{Name: j.name}, true
		}
		switch {
		case j.fmap != nil:
			j.fmap.release(j.off, j.off+len(*j.data))
		case j.data != nil:
			p.bufs.Put(j.data)
		}
		if faulted && j.end == nil {
			continue
		}
		faulted = faulted || j.fault
		var stopLine int64 = -1 // warnings of lines before it are given
		var pe *ParseError
		if j.err != nil && j.data != nil && errors.As(j.err, &pe) {
			stopLine = pe.Line
		}
		for _, w := range j.warns {
			if stopLine < 0 || w.line < stopLine {
				s.warn(stringError(w.msg))
			}
		}
		if len(j.recs) > 0 || j.read > 0 {
			if err := deliver(j.recs, j.read); err != nil {
				return err
			}
		}
		if j.data != nil && cap(j.recs) > 0 {
			r := j.recs[:0]
			p.recs.Put(&r)
		}
		addStats(&cur.ReadStats, &j.stats, s.opts.MaxExamples)
		if j.err != nil {
			cur.SourceInfo = j.info
			s.done = append(s.done, cur)
			return j.err
		}
		if j.end == nil {
			continue
		}
		e := j.end
		if e.fmap != nil {
			e.fmap.unmap() // every job of the input has been parsed and delivered
		}
		if faulted && e.readErr == nil {
			e.readErr = errFileShrank
		}
		faulted = false
		started = false
		cur.SourceInfo = e.info
		if e.stats != nil {
			cur.ReadStats = *e.stats
		}
		switch {
		case e.openErr != nil:
			cur.Err = e.openErr
		case e.readErr != nil:
			err := fmt.Errorf("%s: read error after line %d (%d records): %w", j.name, cur.Lines, cur.Records, e.readErr)
			cur.Err = &InputError{File: j.name, Records: cur.Records, Err: err}
		case e.closeEr != nil:
			cur.Err = &InputError{File: j.name, Records: cur.Records, Err: e.closeEr}
		}
		s.done = append(s.done, cur)
		if cur.Err != nil && (e.openErr != nil || e.readErr != nil) {
			if s.opts.Strict {
				return cur.Err
			}
			// Lenient: reported once, by the caller's summary of Failed.
		}
	}
	return nil
}

func addStats(t, a *ReadStats, maxExamples int) {
	t.Lines += a.Lines
	t.Records += a.Records
	t.Skipped += a.Skipped
	t.Headers += a.Headers
	t.Blank += a.Blank
	t.Gaps += a.Gaps
	t.TGW += a.TGW
	for _, e := range a.Examples {
		if len(t.Examples) < maxExamples {
			t.Examples = append(t.Examples, e)
		}
	}
}

// stringError gives a warning's text to Stream.warn.
type stringError string

func (e stringError) Error() string { return string(e) }
