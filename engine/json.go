package engine

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the JSON form of d (the schema of MarshalJSON, byte for
// byte the output of json.Marshal(d)) to buf. It exists for the hot path of
// `flowdiag explain --format json`, where reflection-based encoding of a
// million diagnoses dominated the run; it allocates only when buf grows.
func (d *Diagnosis) AppendJSON(buf []byte) []byte {
	b := append(buf, `{"rule":`...)
	b = appendJSONString(b, d.Rule)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, d.Title)
	b = append(b, `,"severity":`...)
	b = appendJSONString(b, d.Severity.String())
	b = append(b, `,"verdict":`...)
	b = appendJSONString(b, string(d.Verdict))
	b = append(b, `,"component":`...)
	b = appendJSONString(b, d.Component)
	if d.NACLRule != 0 {
		b = append(b, `,"nacl_rule_number":`...)
		b = strconv.AppendInt(b, int64(d.NACLRule), 10)
	}
	b = append(b, `,"direction":`...)
	b = appendJSONString(b, d.Direction)
	b = append(b, `,"leg":`...)
	b = appendJSONString(b, d.Leg)
	b = append(b, `,"eni":`...)
	b = appendJSONString(b, d.ENI)
	b = append(b, `,"subnet":`...)
	b = appendJSONString(b, d.Subnet)
	if d.VPC != "" {
		b = append(b, `,"vpc":`...)
		b = appendJSONString(b, d.VPC)
	}
	b = append(b, `,"flow":{"protocol":`...)
	b = appendJSONString(b, d.Flow.Protocol)
	b = append(b, `,"client":`...)
	b = appendJSONString(b, d.Flow.Client)
	b = append(b, `,"client_port":`...)
	b = strconv.AppendUint(b, uint64(d.Flow.ClientPort), 10)
	b = append(b, `,"server":`...)
	b = appendJSONString(b, d.Flow.Server)
	b = append(b, `,"server_port":`...)
	b = strconv.AppendUint(b, uint64(d.Flow.ServerPort), 10)
	b = append(b, `},"first_seen":"`...)
	b = appendRFC3339(b, d.First)
	b = append(b, `","last_seen":"`...)
	b = appendRFC3339(b, d.Last)
	b = append(b, `","packets":`...)
	b = strconv.AppendInt(b, d.Packets, 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, d.Bytes, 10)
	b = append(b, `,"evidence":[`...)
	for i, p := range d.Evidence {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONPos(b, p.Source, p.Line)
	}
	b = append(b, ']')
	if d.MoreEvidence != 0 {
		b = append(b, `,"more_evidence":`...)
		b = strconv.AppendInt(b, int64(d.MoreEvidence), 10)
	}
	if len(d.Gaps) > 0 {
		b = append(b, `,"gaps":[`...)
		for i := range d.Gaps {
			g := &d.Gaps[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"eni":`...)
			b = appendJSONString(b, g.ENI)
			b = append(b, `,"status":`...)
			b = appendJSONString(b, g.Status.String())
			b = append(b, `,"start":"`...)
			b = appendRFC3339(b, g.Start)
			b = append(b, `","end":"`...)
			b = appendRFC3339(b, g.End)
			b = append(b, `","record":`...)
			b = appendJSONPos(b, g.Pos.Source, g.Pos.Line)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"message":`...)
	b = appendJSONString(b, d.Message)
	b = append(b, `,"remediation":`...)
	b = appendJSONString(b, d.Remediation)
	b = append(b, `,"supporting":[`...)
	for i, s := range d.Supporting {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	b = append(b, `],"client_basis":`...)
	b = appendJSONString(b, d.Basis)
	b = append(b, `,"client_confidence":`...)
	b = appendJSONString(b, d.Confidence)
	if d.Topology {
		b = append(b, `,"topology":true`...)
	} else {
		b = append(b, `,"topology":false`...)
	}
	if d.CutEarly {
		b = append(b, `,"cut_early":true`...)
	}
	if d.Predicted {
		b = append(b, `,"predicted":true`...)
	}
	b = append(b, '}')
	return b
}

// appendRFC3339 appends Unix seconds as RFC 3339 UTC, as time.Format does.
func appendRFC3339(b []byte, unix int64) []byte {
	return time.Unix(unix, 0).UTC().AppendFormat(b, time.RFC3339)
}

// appendJSONPos appends "source:line" as a JSON string.
func appendJSONPos(b []byte, source string, line int64) []byte {
	b = appendJSONString(b, source)
	b = b[:len(b)-1] // reopen the string
	b = append(b, ':')
	b = strconv.AppendInt(b, line, 10)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string the way encoding/json does
// with HTML escaping on: <, > and & as \u003c..., control characters
// escaped, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight plain bytes at a time: most of a message needs no escape.
		for i+8 <= len(s) && jsonSafe8(le64(s, i)) {
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe(c) {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonSafe reports whether an ASCII byte is written as itself in an
// HTML-escaped JSON string.
// jsonSafe8 reports whether all eight bytes of x are jsonSafe: none is
// below 0x20 or from 0x80 up, and none is one of " \ < > &. A byte
// equal to c shows as a zero byte of x^(c*ones), found with the usual
// (v - ones) &^ v & highs test, which has no false positive for "some
// byte is zero".
// le64 loads s[i:i+8] little-endian (the compiler makes it one load).
func le64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

func jsonSafe8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) &^ v & highs }
	bad := x & highs                    // non-ASCII
	bad |= (x - 0x20*ones) &^ x & highs // below 0x20
	bad |= zero(x ^ '"'*ones)
	bad |= zero(x ^ '\\'*ones)
	bad |= zero(x ^ '<'*ones)
	bad |= zero(x ^ '>'*ones)
	bad |= zero(x ^ '&'*ones)
	return bad == 0
}

func jsonSafe(c byte) bool {
	return c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
}
