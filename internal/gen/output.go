package gen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"
)

// FileInfo describes one written flow log file.
type FileInfo struct {
	Path    string `json:"path"` // relative to the output directory, slash-separated
	Records int64  `json:"records"`
	Bytes   int64  `json:"bytes"` // uncompressed text bytes, header included
}

// output writes record lines into one file or an S3-like tree of files,
// plain or gzip, with an optional header line in each.
type output struct {
	dir     string
	opts    *Options
	header  []byte
	perFile int64
	names   *rand.Rand // object name hashes, separate from the record stream

	files []FileInfo
	f     *os.File
	gz    *gzip.Writer
	bw    *bufio.Writer
	cur   *FileInfo
	err   error
}

func newOutput(dir string, o *Options, header string, seed uint64) *output {
	per := o.Records
	if o.Files > 1 {
		per = (o.Records + int64(o.Files) - 1) / int64(o.Files)
	}
	w := &output{dir: dir, opts: o, perFile: per, names: rand.New(rand.NewPCG(seed, 0x6f626a656374))}
	if header != "" {
		w.header = []byte(header + "\n")
	}
	return w
}

// name returns the path of the next file, relative to dir. A single file is
// flows.log; several follow AWS's S3 key layout, named after the 5-minute
// window of their first record.
func (w *output) name(first int64) string {
	ext := ".log"
	if w.opts.Gzip {
		ext += ".gz"
	}
	if w.opts.Files <= 1 {
		return "flows" + ext
	}
	ts := time.Unix(first-first%300, 0).UTC()
	return fmt.Sprintf("AWSLogs/%s/vpcflowlogs/%s/%s/%s_vpcflowlogs_%s_fl-0%016x_%s_%08x%s",
		AccountID, Region, ts.Format("2006/01/02"), AccountID, Region, w.opts.Seed,
		ts.Format("20060102T1504Z"), w.names.Uint32(), ext)
}

// line writes one record line (without newline); start is the record's
// start time, used to name a new file.
func (w *output) line(b []byte, start int64) {
	if w.err != nil {
		return
	}
	if w.cur == nil || (w.opts.Files > 1 && w.cur.Records >= w.perFile) {
		w.rotate(start)
		if w.err != nil {
			return
		}
	}
	w.bw.Write(b)
	w.cur.Records++
	w.cur.Bytes += int64(len(b))
}

func (w *output) rotate(start int64) {
	w.closeCurrent()
	if w.err != nil {
		return
	}
	rel := w.name(start)
	path := filepath.Join(w.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		w.err = err
		return
	}
	f, err := os.Create(path)
	if err != nil {
		w.err = err
		return
	}
	w.f = f
	var dst io.Writer = f
	if w.opts.Gzip {
		w.gz, _ = gzip.NewWriterLevel(f, gzip.DefaultCompression) // the level is valid
		dst = w.gz
	}
	if w.bw == nil {
		w.bw = bufio.NewWriterSize(dst, 1<<20)
	} else {
		w.bw.Reset(dst)
	}
	w.files = append(w.files, FileInfo{Path: rel})
	w.cur = &w.files[len(w.files)-1]
	if w.header != nil {
		w.bw.Write(w.header)
		w.cur.Bytes += int64(len(w.header))
	}
}

func (w *output) closeCurrent() {
	if w.f == nil {
		return
	}
	if err := w.bw.Flush(); err != nil && w.err == nil {
		w.err = err
	}
	if w.gz != nil {
		if err := w.gz.Close(); err != nil && w.err == nil {
			w.err = err
		}
		w.gz = nil
	}
	if err := w.f.Close(); err != nil && w.err == nil {
		w.err = err
	}
	w.f = nil
}

// close finishes the last file. With zero records a single empty file (with
// its header) is still written, so the output always exists.
func (w *output) close(start int64) error {
	if w.cur == nil && w.err == nil {
		w.rotate(start)
	}
	w.closeCurrent()
	return w.err
}
