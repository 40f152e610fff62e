package flowlog

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// parquetReader reads a Parquet file as S3 Parquet delivery writes it: one
// column per field, named with underscores (account_id, log_status, ...),
// INT32, INT64 or STRING typed. Null, empty and "-" values are absent; in a
// file written by pandas (its "pandas" metadata key), so are the strings
// "None" and "nan" that pandas leaves for missing values in object columns. Rows
// are read one row group at a time, a batch of rows at a time.
//
// Each row is rendered as a record line in column order and parsed with the
// text parser, so Parquet values get exactly the same validation as text
// (a protocol of 8080 is an error, not a wrapped-around byte). Pos.Line is
// the 1-based row number.
type parquetReader struct {
	name    string
	file    *parquet.File
	m       msgParser
	info    SourceInfo
	closer  *multiCloser
	names   []string // column names as in the schema
	groups  []parquet.RowGroup
	group   int
	rows    parquet.Rows
	buf     []parquet.Row
	n, i    int
	row     int64
	line    []byte
	badCol  string
	lineErr error
	pandas  bool // written by pandas: "None" and "nan" strings are stringified nulls
}

const parquetBatch = 128

func openParquet(name string, br *bufio.Reader, file *os.File, opts StreamOptions, closer *multiCloser) (*parquetReader, error) {
	var (
		ra   io.ReaderAt
		size int64
	)
	if file != nil {
		st, err := file.Stat()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if st.Mode().IsRegular() {
			ra, size = file, st.Size()
		}
	}
	if ra == nil {
		// Standard input, a pipe or decompressed bytes: Parquet needs random
		// access (the footer is at the end), so spool to a temporary file.
		tmp, err := os.CreateTemp(opts.TempDir, "flowdiag-*.parquet")
		if err != nil {
			return nil, fmt.Errorf("%s: spooling Parquet input: %w", name, err)
		}
		closer.add(removeOnClose{tmp})
		n, err := io.Copy(tmp, br)
		if err != nil {
			return nil, fmt.Errorf("%s: spooling Parquet input: %w", name, err)
		}
		ra, size = tmp, n
	}
	pf, err := openParquetFile(ra, size)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", name, err)
	}
	p := &parquetReader{name: name, file: pf, closer: closer, info: SourceInfo{Content: ContentParquet}}
	for _, col := range pf.Schema().Columns() {
		if len(col) != 1 {
			return nil, fmt.Errorf("%s: Parquet column %q is nested; want a flat schema of flow log fields",
				name, strings.Join(col, "."))
		}
		p.names = append(p.names, col[0])
	}
	if len(p.names) == 0 {
		return nil, fmt.Errorf("%s: Parquet file has no columns", name)
	}
	ro := opts.ReaderOptions
	ro.Format = nil // the schema is the format
	p.m = newMsgParser(ro)
	f, unknown, err := ParseHeader(strings.Join(p.names, " "))
	if err != nil {
		return nil, fmt.Errorf("%s: Parquet columns: %w", name, err)
	}
	for _, u := range unknown {
		if opts.Warn != nil {
			opts.Warn(fmt.Sprintf("%s: unknown Parquet column %q kept as an extra column", name, u))
		}
	}
	p.m.parser = NewParser(f)
	p.groups = pf.RowGroups()
	_, p.pandas = pf.Lookup("pandas")
	return p, nil
}

// openParquetFile guards against a panic in the Parquet library on a
// corrupt file: input bytes must never crash the program.
func openParquetFile(ra io.ReaderAt, size int64) (f *parquet.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("corrupt Parquet file (%v)", r)
		}
	}()
	return parquet.OpenFile(ra, size, parquet.SkipBloomFilters(true))
}

type removeOnClose struct{ f *os.File }

func (r removeOnClose) Close() error {
	err := r.f.Close()
	if rerr := os.Remove(r.f.Name()); err == nil {
		err = rerr
	}
	return err
}

func (p *parquetReader) SourceInfo() SourceInfo { return p.info }
func (p *parquetReader) Stats() ReadStats       { return p.m.Stats() }

func (p *parquetReader) Close() error {
	var err error
	if p.rows != nil {
		err = p.rows.Close()
		p.rows = nil
	}
	if cerr := p.closer.Close(); err == nil {
		err = cerr
	}
	return err
}

func (p *parquetReader) Read(rec *Record) error {
	for {
		if p.i >= p.n {
			if err := p.fill(); err != nil {
				return err
			}
			continue
		}
		row := p.buf[p.i]
		p.i++
		p.row++
		if !p.render(row) {
			p.m.stats.Lines++
			err := p.m.bad(&ParseError{File: p.name, Line: p.row, Field: p.badCol, Err: p.lineErr})
			if err != errSkip {
				return err
			}
			continue
		}
		err := p.m.parse(p.line, p.name, p.row, 0, rec) // a row has no file columns
		if err == errSkip {
			continue
		}
		return err
	}
}

// fill reads the next batch of rows, moving to the next row group as needed.
func (p *parquetReader) fill() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: row %d: corrupt Parquet data (%v)", p.name, p.row+1, r)
		}
	}()
	for {
		if p.rows == nil {
			if p.group >= len(p.groups) {
				return io.EOF
			}
			p.rows = p.groups[p.group].Rows()
			p.group++
		}
		if p.buf == nil {
			p.buf = make([]parquet.Row, parquetBatch)
		}
		n, err := p.rows.ReadRows(p.buf)
		if n > 0 {
			p.n, p.i = n, 0
			return nil
		}
		if err == nil {
			continue
		}
		if err != io.EOF {
			return fmt.Errorf("%s: row %d: %w", p.name, p.row+1, err)
		}
		if cerr := p.rows.Close(); cerr != nil {
			return fmt.Errorf("%s: %w", p.name, cerr)
		}
		p.rows = nil
	}
}

// render writes row as a record line into p.line. It reports false, with
// p.badCol and p.lineErr set, for a value that cannot be a flow log field.
func (p *parquetReader) render(row parquet.Row) bool {
	p.line = p.line[:0]
	next := 0
	for _, v := range row {
		c := v.Column()
		if c < 0 || c >= len(p.names) || c != next {
			p.badCol, p.lineErr = "", fmt.Errorf("row has values out of schema order")
			return false
		}
		next++
		if c > 0 {
			p.line = append(p.line, ' ')
		}
		if v.IsNull() {
			p.line = append(p.line, '-')
			continue
		}
		switch v.Kind() {
		case parquet.Int32:
			p.line = strconv.AppendInt(p.line, int64(v.Int32()), 10)
		case parquet.Int64:
			p.line = strconv.AppendInt(p.line, v.Int64(), 10)
		case parquet.Boolean:
			p.line = strconv.AppendBool(p.line, v.Boolean())
		case parquet.Float, parquet.Double:
			d := v.Double()
			if v.Kind() == parquet.Float {
				d = float64(v.Float())
			}
			if d != math.Trunc(d) || math.IsInf(d, 0) {
				p.badCol, p.lineErr = p.names[c], fmt.Errorf("%v is not an integer", d)
				return false
			}
			p.line = strconv.AppendFloat(p.line, d, 'f', -1, 64)
		case parquet.ByteArray, parquet.FixedLenByteArray:
			b := v.ByteArray()
			if len(b) == 0 || p.pandas && (string(b) == "None" || string(b) == "nan") {
				p.line = append(p.line, '-')
				continue
			}
			for _, ch := range b {
				if ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f' {
					p.badCol, p.lineErr = p.names[c], fmt.Errorf("%q holds white space", cut(b))
					return false
				}
			}
			p.line = append(p.line, b...)
		default:
			p.badCol, p.lineErr = p.names[c], fmt.Errorf("unsupported Parquet type %v", v.Kind())
			return false
		}
	}
	if next != len(p.names) {
		p.badCol, p.lineErr = "", fmt.Errorf("row has %d values, schema has %d columns", next, len(p.names))
		return false
	}
	return true
}

func cut(b []byte) string {
	if len(b) > maxValueInError {
		return string(b[:maxValueInError]) + "..."
	}
	return string(b)
}
