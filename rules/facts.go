package rules

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/flowdiag/flowdiag/internal/loc"
	"gopkg.in/yaml.v3"
)

type factError struct {
	node *yaml.Node
	msg  string
}

// decodeFacts fills env from a YAML mapping keyed by the expr tags, so
// example facts are written exactly as rules read them. Unknown keys and
// values of the wrong type are reported with their node.
func decodeFacts(n *yaml.Node, env *Env) []factError {
	var errs []factError
	decodeValue(n, reflect.ValueOf(env).Elem(), "", &errs)
	return errs
}

func decodeValue(n *yaml.Node, v reflect.Value, path string, errs *[]factError) {
	fail := func(format string, args ...any) {
		p := path
		if p == "" {
			p = "facts"
		}
		*errs = append(*errs, factError{n, p + ": " + fmt.Sprintf(format, args...)})
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			fail("want a mapping, got %s", loc.KindName(n))
			return
		}
		t := v.Type()
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			idx := -1
			var names []string
			for f := 0; f < t.NumField(); f++ {
				tag := t.Field(f).Tag.Get("expr")
				names = append(names, tag)
				if tag == k.Value {
					idx = f
				}
			}
			sub := k.Value
			if path != "" {
				sub = path + "." + k.Value
			}
			if idx < 0 {
				*errs = append(*errs, factError{k, fmt.Sprintf("%s: unknown field%s", sub, suggestOr(k.Value, names))})
				continue
			}
			decodeValue(val, v.Field(idx), sub, errs)
		}
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil {
			fail("want true or false, got %s", loc.KindName(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			fail("want an integer, got %s", loc.KindName(n))
			return
		}
		v.SetInt(i)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			fail("want a string, got %s", loc.KindName(n))
			return
		}
		v.SetString(n.Value)
	default:
		fail("unsupported field type %s", v.Type())
	}
}

func suggestOr(s string, known []string) string {
	if h := didYouMean(s, known); h != "" {
		return h
	}
	return ": want one of " + strings.Join(known, ", ")
}

// defaultFacts is the starting point of example facts: everything zero
// except tcp-flags, which start as -1 (the format has no tcp-flags field),
// so an example states flags only when it is about them.
func defaultFacts() Env {
	var e Env
	for _, s := range []*Side{&e.Client, &e.Server, &e.Transit, &e.Unknown} {
		s.Request.Flags, s.Request.RejectFlags = -1, -1
		s.Reply.Flags, s.Reply.RejectFlags = -1, -1
	}
	return e
}

// normalizeFacts derives the summary flags an engine would set, so examples
// stay short and consistent: a leg with an action, records or packets is
// seen; a side with a seen leg, or with an ENI id and no gap of its own, is
// seen (a side whose ENI logged only NODATA or SKIPDATA is not); a side's
// gap is a gap of the conversation; gaps with a kind or a count exist.
func normalizeFacts(e *Env) {
	for _, s := range []*Side{&e.Client, &e.Server, &e.Transit, &e.Unknown} {
		for _, l := range []*Leg{&s.Request, &s.Reply} {
			if l.Accepted || l.Rejected || l.Records > 0 || l.Packets > 0 {
				l.Seen = true
			}
		}
		if s.Request.Seen || s.Reply.Seen || s.ENI != "" && !s.NoData && !s.SkipData {
			s.Seen = true
		}
		e.Gaps.NoData = e.Gaps.NoData || s.NoData
		e.Gaps.SkipData = e.Gaps.SkipData || s.SkipData
	}
	if e.Gaps.NoData || e.Gaps.SkipData || e.Gaps.Count > 0 {
		e.Gaps.Any = true
	}
}
