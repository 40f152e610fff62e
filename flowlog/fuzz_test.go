package flowlog

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// seedLines adds the sample files' lines to a fuzz corpus.
func seedLines(f *testing.F, add func(format string, line []byte)) {
	files, _ := filepath.Glob("testdata/*/*.log")
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		format := ""
		for _, l := range bytes.Split(data, []byte("\n")) {
			if LooksLikeHeader(l) {
				format = string(l)
				continue
			}
			add(format, l)
		}
	}
}

// FuzzParseLine: parsing never panics, errors carry a position inside the
// line, and a parsed record formats to a line that parses to the same
// record (and formats identically again).
func FuzzParseLine(f *testing.F) {
	seedLines(f, func(format string, line []byte) { f.Add(format, line) })
	f.Add("", []byte("2 unknown eni-1 ::ffff:10.0.0.1 2001:db8::1 65535 0 255 0 0 0 0 accept ok"))
	f.Add("version srcaddr x-new", []byte("3 - -"))
	f.Fuzz(func(t *testing.T, format string, line []byte) {
		fm := DefaultFormat()
		if format != "" {
			var err error
			if fm, _, err = ParseHeader(format); err != nil {
				return
			}
		}
		p := NewParser(fm)
		var rec Record
		err := p.Parse(line, &rec)
		if err != nil {
			var fe *FieldError
			var ce *FieldCountError
			switch {
			case errors.As(err, &fe):
				if fe.Column < 1 || fe.Column > len(line) || fe.Field == "" || fe.Expected == "" {
					t.Fatalf("bad FieldError %+v for %q", fe, line)
				}
			case errors.As(err, &ce):
				if ce.Got == ce.Want || ce.Want != fm.Len() {
					t.Fatalf("bad FieldCountError %+v for %q", ce, line)
				}
			default:
				t.Fatalf("Parse(%q) returned %T %v", line, err, err)
			}
			return
		}
		out := fm.AppendRecord(nil, &rec)
		var rec2 Record
		if err := NewParser(fm).Parse(out, &rec2); err != nil {
			t.Fatalf("reparse of %q (from %q): %v", out, line, err)
		}
		if !sameRecord(&rec, &rec2) || strings.Join(rec.Extra, "\x00") != strings.Join(rec2.Extra, "\x00") {
			t.Fatalf("round trip differs:\n line %q\n out  %q\n rec  %+v\n rec2 %+v", line, out, rec, rec2)
		}
		if out2 := fm.AppendRecord(nil, &rec2); !bytes.Equal(out, out2) {
			t.Fatalf("format not stable: %q then %q", out, out2)
		}
	})
}

// FuzzParseFormat: ParseFormat, ParseHeader and LooksLikeHeader never
// panic, and an accepted format survives its own String and LogFormat.
func FuzzParseFormat(f *testing.F) {
	seedLines(f, func(format string, _ []byte) {
		if format != "" {
			f.Add(format)
		}
	})
	for _, s := range []string{"${version} ${account-id}", "${version}${vpc-id}", "Account_ID ${srcaddr}", "${", "}", "version version", "x-new y_new", "dst-port"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		LooksLikeHeader([]byte(s))
		if fm, err := ParseFormat(s); err == nil {
			if fm.Len() == 0 {
				t.Fatalf("ParseFormat(%q) = %q with %d extra", s, fm, len(fm.Extra()))
			}
			for _, again := range []string{fm.String(), fm.LogFormat()} {
				g, err := ParseFormat(again)
				if err != nil || !g.Equal(fm) {
					t.Fatalf("ParseFormat(%q) = %v, %v; want %q", again, g, err, fm)
				}
			}
		} else if !strings.HasPrefix(err.Error(), "--log-format: ") {
			t.Fatalf("error without prefix: %v", err)
		}
		fm, unknown, err := ParseHeader(s)
		if err != nil {
			return
		}
		if len(unknown) != len(fm.Extra()) {
			t.Fatalf("unknown %q, Extra %q", unknown, fm.Extra())
		}
		g, _, err := ParseHeader(fm.String())
		if err != nil || !g.Equal(fm) {
			t.Fatalf("ParseHeader(%q) = %v, %v; want %q", fm.String(), g, err, fm)
		}
		if fm.Len() > 0 && !strings.HasPrefix(strings.ToLower(fm.String()), "version") {
			// A header of known names only must be recognised as a header.
			if len(fm.Extra()) == 0 && !LooksLikeHeader([]byte(fm.String())) && strings.ToLower(fm.String()) == fm.String() {
				t.Fatalf("LooksLikeHeader(%q) = false", fm.String())
			}
		}
	})
}

// FuzzParseAddr: the allocation-free address parser agrees with netip.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "::ffff:1.2.3.4", "2001:db8::1", "1::", "::", "1.2.3.04", "fe80::1%eth0", "1:2:3:4:5:6:7:8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseAddr([]byte(s))
		want, err := netip.ParseAddr(s)
		if err == nil && want.Zone() != "" {
			if ok {
				t.Fatalf("parseAddr(%q) accepted a zone", s)
			}
			return
		}
		if ok != (err == nil) || ok && got != want.Unmap() {
			t.Fatalf("parseAddr(%q) = %v, %v; netip.ParseAddr = %v, %v", s, got, ok, want, err)
		}
	})
}

// Reading arbitrary bytes never panics and accounts for every line.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.log")
	for _, path := range files {
		data, _ := os.ReadFile(path)
		f.Add(data, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, strict bool) {
		rd := NewReader(bytes.NewReader(data), "fuzz.log", ReaderOptions{Strict: strict, MaxLineBytes: 4096})
		var rec Record
		bad := int64(0)
		for {
			err := rd.Read(&rec)
			if err == nil {
				continue
			}
			if err.Error() == "EOF" {
				break
			}
			var pe *ParseError
			if !strict || !errors.As(err, &pe) {
				t.Fatalf("Read: %v", err)
			}
			bad++
		}
		st := rd.Stats()
		// Every line is exactly one of: record, skipped (or a strict error),
		// header, blank.
		if st.Records+st.Skipped+st.Headers+st.Blank+bad != st.Lines {
			t.Fatalf("lines not accounted for: %+v (strict errors %d)", st, bad)
		}
	})
}

// parseV2, the default format's fast path, either declines a line or gives
// exactly the Record the general loop gives.
func FuzzParseV2MatchesGeneral(f *testing.F) {
	seedLines(f, func(format string, line []byte) {
		if format == "" {
			f.Add(line)
		}
	})
	f.Add([]byte("2 123456789012 eni-0a1b2c3d4e5f6a7b8 10.0.1.5 10.0.2.9 51234 443 6 10 840 1700000000 1700000060 ACCEPT OK"))
	f.Add([]byte("2 123456789012 eni-1 ::ffff:10.0.0.1 2001:db8::1 65535 0 255 0 0 0 0 accept ok"))
	f.Add([]byte("2\t123 eni-1 10.0.0.1 10.0.0.2 1 2 17 1 1 5 4 REJECT OK"))
	// One pair of parsers for every input, so that their caches of recent
	// values are exercised too.
	fast, general := NewParser(DefaultFormat()), NewParser(DefaultFormat())
	general.v2 = false
	f.Fuzz(func(t *testing.T, line []byte) {
		var got Record
		if !fast.parseV2(line, &got) {
			return
		}
		var want Record
		if err := general.Parse(line, &want); err != nil {
			t.Fatalf("parseV2 accepted %q, the general parser says %v", line, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nparseV2 %+v\ngeneral %+v", line, got, want)
		}
	})
}
