package review

import (
	"github.com/flowdiag/flowdiag/internal/loc"

	"errors"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/flowdiag/flowdiag/flowlog"
	"github.com/flowdiag/flowdiag/rules"
	"github.com/flowdiag/flowdiag/topology"
)

// Pos is a position in a policy or topology file (1-based; 0 unknown).
type Pos = rules.Pos

// Direction says who initiates the prohibited traffic.
type Direction uint8

// Directions.
const (
	// Outbound: the sources (from) initiate connections to the destination
	// set (to); ports are the destination's.
	Outbound Direction = iota
	// Inbound: peers in the destination set initiate connections to the
	// sources; ports are the sources' listening ports.
	Inbound
)

func (d Direction) String() string {
	if d == Inbound {
		return "inbound"
	}
	return "outbound"
}

// Policy is a loaded, validated review policy.
type Policy struct {
	File         string
	Sets         []*DestSet // user-defined sets, file order
	Prohibitions []*Prohibition
	Exceptions   []*Exception
}

// DestSet is a set of destinations: addresses in Include and in no Exclude
// (plus, for Internet, outside every VPC CIDR of the topology), on one of
// Ports (all when empty) and one of Protocols (all when empty).
type DestSet struct {
	Name      string
	Builtin   bool
	Include   []netip.Prefix
	Exclude   []netip.Prefix
	Internet  bool
	Ports     []topology.PortRange
	Protocols []flowlog.Proto
	Pos       Pos
}

// Selector picks sources: everything, or ENIs, subnets, security groups and
// CIDRs (any of them matches).
type Selector struct {
	All     bool
	ENIs    []string
	Subnets []string
	SGs     []string
	CIDRs   []netip.Prefix
	Pos     Pos
	// positions of the listed ids, for errors found against a topology
	idPos map[string]Pos
}

// Prohibition forbids sources from reaching a union of destination sets.
type Prohibition struct {
	ID        string
	Title     string
	Reason    string
	Severity  rules.Severity
	Direction Direction
	From      Selector
	To        []*DestSet
	When      string // extra expr condition over rules.Env, "" for none
	WhenPos   Pos
	Pos       Pos
}

// Exception suppresses findings of one prohibition for some sources and
// destinations, on behalf of an owner, until it expires.
type Exception struct {
	ID          string
	Prohibition *Prohibition
	Owner       string
	Reason      string
	Expires     time.Time // the last day it holds (UTC); zero: never expires
	From        Selector  // All when not given
	To          *DestSet  // narrows the prohibition's destinations; nil: all of them
	Pos         Pos
}

// Expired reports whether the exception no longer holds at now: after the
// end (UTC) of its expiry day.
func (e *Exception) Expired(now time.Time) bool {
	return !e.Expires.IsZero() && !now.Before(e.Expires.Add(24*time.Hour))
}

// Error is one problem in a policy file.
type Error struct {
	Pos   Pos
	Item  string // prohibition or exception id, set name; "" for the file
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.Item != "" {
		b.WriteString(e.Item)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem of a policy, sorted by position.
type Errors []*Error

func (es Errors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	lines := []string{fmt.Sprintf("%d problems in the policy:", len(es))}
	for _, e := range es {
		lines = append(lines, e.Error())
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each problem to errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func (es Errors) sort() { loc.SortByPos(es, func(e *Error) Pos { return e.Pos }) }

// LoadFile reads and validates a policy file.
func LoadFile(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Load(path, b)
}

// Load parses and validates a policy; name is used in positions. Every
// problem is reported at once, as Errors sorted by position.
func Load(name string, src []byte) (*Policy, error) {
	l := &loader{p: &Policy{File: name}, name: name, sets: map[string]*DestSet{}, lines: strings.Split(string(src), "\n")}
	for _, s := range builtinSets() {
		l.sets[s.Name] = s
	}
	doc, second, err := loc.Decode(src)
	if err != nil {
		return nil, Errors{yamlError(name, err, src)}
	}
	if len(doc.Content) == 0 {
		return nil, Errors{{Pos: Pos{File: name}, Msg: "empty policy: want a mapping with prohibitions:"}}
	}
	if second != nil {
		// Its prohibitions would go unchecked: say so rather than review without them.
		l.errorf(second, "", "", "a second YAML document is not supported: put all destinations, prohibitions and exceptions in one mapping")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		l.errorf(root, "", "", "want a mapping with destinations:, prohibitions: and exceptions:, got %s", loc.KindName(root))
		return nil, l.errs
	}
	f := l.fields(root, "", []string{"destinations", "prohibitions", "exceptions"})
	if n := f["destinations"]; n != nil {
		l.list(n, "destinations", l.destSet)
	}
	if n := f["prohibitions"]; n != nil {
		l.list(n, "prohibitions", l.prohibition)
	} else {
		l.errorf(root, "", "", "missing prohibitions: list")
	}
	if n := f["exceptions"]; n != nil {
		l.list(n, "exceptions", l.exception)
	}
	if len(l.errs) > 0 {
		l.errs.sort()
		return nil, l.errs
	}
	return l.p, nil
}

type loader struct {
	p      *Policy
	name   string
	sets   map[string]*DestSet
	prohib map[string]*Prohibition
	excIDs map[string]Pos
	lines  []string
	errs   Errors
}

func (l *loader) pos(n *yaml.Node) Pos { return Pos{File: l.name, Line: n.Line, Col: n.Column} }

func (l *loader) errorf(n *yaml.Node, item, field, format string, args ...any) {
	l.errs = append(l.errs, &Error{Pos: l.pos(n), Item: item, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// fields checks a mapping's keys against known and returns the values.
func (l *loader) fields(n *yaml.Node, item string, known []string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !contains(known, k.Value):
			l.errorf(k, item, "", "unknown key %q: want one of %s", k.Value, strings.Join(known, ", "))
		case out[k.Value] != nil:
			l.errorf(k, item, "", "key %q given twice", k.Value)
		default:
			out[k.Value] = v
		}
	}
	return out
}

func (l *loader) list(n *yaml.Node, field string, f func(i int, n *yaml.Node)) {
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "", field, "want a list, got %s", loc.KindName(n))
		return
	}
	for i, it := range n.Content {
		if it.Kind != yaml.MappingNode {
			l.errorf(it, "", fmt.Sprintf("%s[%d]", field, i), "want a mapping, got %s", loc.KindName(it))
			continue
		}
		f(i, it)
	}
}

func (l *loader) str(n *yaml.Node, item, field string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || strings.TrimSpace(n.Value) == "" {
		l.errorf(n, item, field, "want a non-empty string, got %s", loc.KindName(n))
		return ""
	}
	return n.Value
}

func scalars(n *yaml.Node) []*yaml.Node {
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

func (l *loader) strs(n *yaml.Node, item, field string) []string {
	var out []string
	for _, it := range scalars(n) {
		if s := l.str(it, item, field); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (l *loader) id(n *yaml.Node, item, field string) string {
	s := l.str(n, item, field)
	if s != "" && !validID(s) {
		l.errorf(n, item, field, "%q: want lower-case letters, digits and single dashes, starting with a letter", s)
		return ""
	}
	return s
}

var setKeys = []string{"name", "cidrs", "include", "ports", "protocols", "description"}

func (l *loader) destSet(i int, n *yaml.Node) {
	item := fmt.Sprintf("destinations[%d]", i)
	if name := lookup(n, "name"); name != nil && validID(name.Value) {
		item = "destination " + name.Value
	}
	f := l.fields(n, item, setKeys)
	s := &DestSet{Pos: l.pos(n)}
	if v := f["name"]; v != nil {
		s.Name = l.id(v, item, "name")
		if s.Name != "" {
			item = "destination " + s.Name
			s.Pos = l.pos(v)
			if prev, dup := l.sets[s.Name]; dup {
				if prev.Builtin {
					l.errorf(v, item, "name", "%q is a built-in destination set; choose another name", s.Name)
				} else {
					l.errorf(v, item, "name", "duplicate name (first defined at %s)", prev.Pos)
				}
				s.Name = ""
			}
		}
	} else {
		l.errorf(n, item, "", "missing name")
	}
	l.setBody(s, f, item, true)
	if s.Name != "" {
		l.sets[s.Name] = s
		l.p.Sets = append(l.p.Sets, s)
	}
}

// setBody fills cidrs, include, ports and protocols of s.
func (l *loader) setBody(s *DestSet, f map[string]*yaml.Node, item string, needAddrs bool) {
	if v := f["cidrs"]; v != nil {
		for _, it := range scalars(v) {
			if p, ok := l.prefix(it, item, "cidrs"); ok {
				s.Include = append(s.Include, p)
			}
		}
	}
	if v := f["include"]; v != nil {
		for _, it := range scalars(v) {
			name := l.str(it, item, "include")
			if name == "" {
				continue
			}
			o, ok := l.sets[name]
			if !ok {
				l.errorf(it, item, "include", "unknown destination set %q: want one of %s", name, l.setNames())
				continue
			}
			if len(o.Ports) > 0 || len(o.Protocols) > 0 {
				l.errorf(it, item, "include", "set %q restricts ports or protocols; include takes address sets only", name)
				continue
			}
			if len(o.Exclude) > 0 || o.Internet {
				if len(s.Include) > 0 || s.Internet || len(s.Exclude) > 0 {
					l.errorf(it, item, "include", "%q can only be combined with nothing else: define a second set and list both in the prohibition's to:", name)
					continue
				}
				s.Exclude = append(s.Exclude, o.Exclude...)
				s.Internet = o.Internet
			}
			s.Include = append(s.Include, o.Include...)
		}
	}
	if needAddrs && len(s.Include) == 0 && f["cidrs"] == nil && f["include"] == nil {
		l.errorf(firstNode(f), item, "", "missing cidrs or include: a destination set needs addresses (use include: [internet] for the internet)")
	}
	if v := f["ports"]; v != nil {
		for _, it := range scalars(v) {
			if it.Kind != yaml.ScalarNode {
				l.errorf(it, item, "ports", "want a port or a range such as 443 or 1024-65535, got %s", loc.KindName(it))
				continue
			}
			r, err := topology.ParsePortRange(it.Value)
			if err != nil {
				l.errorf(it, item, "ports", "%v", err)
				continue
			}
			s.Ports = append(s.Ports, r)
		}
	}
	if v := f["protocols"]; v != nil {
		for _, it := range scalars(v) {
			p, err := flowlog.ParseProto(it.Value)
			if err != nil || it.Kind != yaml.ScalarNode {
				l.errorf(it, item, "protocols", "%q is not a protocol: want tcp, udp, icmp, icmpv6, another name or a number 0-255", it.Value)
				continue
			}
			s.Protocols = append(s.Protocols, p)
		}
	}
}

// lookup returns the value of key in mapping n, or nil.
func lookup(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func firstNode(f map[string]*yaml.Node) *yaml.Node {
	var best *yaml.Node
	for _, n := range f {
		if best == nil || n.Line < best.Line || n.Line == best.Line && n.Column < best.Column {
			best = n
		}
	}
	if best == nil {
		return &yaml.Node{}
	}
	return best
}

func (l *loader) prefix(n *yaml.Node, item, field string) (netip.Prefix, bool) {
	if n.Kind != yaml.ScalarNode {
		l.errorf(n, item, field, "want a CIDR such as 203.0.113.0/24, got %s", loc.KindName(n))
		return netip.Prefix{}, false
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(n.Value))
	if err != nil {
		if a, aerr := netip.ParseAddr(strings.TrimSpace(n.Value)); aerr == nil {
			return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), true
		}
		l.errorf(n, item, field, "%q is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32", n.Value)
		return netip.Prefix{}, false
	}
	if p.Masked() != p {
		l.errorf(n, item, field, "%q has host bits set: did you mean %s?", n.Value, p.Masked())
		return netip.Prefix{}, false
	}
	return p, true
}

func (l *loader) setNames() string {
	names := make([]string, 0, len(l.sets))
	for n := range l.sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

var selectorKeys = []string{"enis", "subnets", "security_groups", "cidrs"}

// selector reads from: everything, or a mapping of selectorKeys.
func (l *loader) selector(n *yaml.Node, item, field string) Selector {
	s := Selector{Pos: l.pos(n), idPos: map[string]Pos{}}
	if n.Kind == yaml.ScalarNode {
		if n.Value == "everything" || n.Value == "all" {
			s.All = true
		} else {
			l.errorf(n, item, field, "%q: want everything, or a mapping of %s", n.Value, strings.Join(selectorKeys, ", "))
		}
		return s
	}
	if n.Kind != yaml.MappingNode {
		l.errorf(n, item, field, "want everything, or a mapping of %s; got %s", strings.Join(selectorKeys, ", "), loc.KindName(n))
		return s
	}
	f := l.fields(n, item+": "+field, selectorKeys)
	ids := func(key, prefix string, dst *[]string) {
		v := f[key]
		if v == nil {
			return
		}
		for _, it := range scalars(v) {
			id := l.str(it, item, field+"."+key)
			if id == "" {
				continue
			}
			if !strings.HasPrefix(id, prefix) {
				l.errorf(it, item, field+"."+key, "%q is not an id of the form %s...", id, prefix)
				continue
			}
			*dst = append(*dst, id)
			s.idPos[id] = l.pos(it)
		}
	}
	ids("enis", "eni-", &s.ENIs)
	ids("subnets", "subnet-", &s.Subnets)
	ids("security_groups", "sg-", &s.SGs)
	if v := f["cidrs"]; v != nil {
		for _, it := range scalars(v) {
			if p, ok := l.prefix(it, item, field+".cidrs"); ok {
				s.CIDRs = append(s.CIDRs, p)
			}
		}
	}
	if len(s.ENIs)+len(s.Subnets)+len(s.SGs)+len(s.CIDRs) == 0 && len(f) == 0 {
		l.errorf(n, item, field, "empty selector: list enis, subnets, security_groups or cidrs, or write everything")
	}
	return s
}

var prohibitionKeys = []string{"id", "title", "severity", "reason", "direction", "from", "to", "when"}

func (l *loader) prohibition(i int, n *yaml.Node) {
	item := fmt.Sprintf("prohibitions[%d]", i)
	if id := lookup(n, "id"); id != nil && validID(id.Value) {
		item = "prohibition " + id.Value
	}
	f := l.fields(n, item, prohibitionKeys)
	p := &Prohibition{Pos: l.pos(n), Severity: rules.SeverityError}
	if v := f["id"]; v != nil {
		p.ID = l.id(v, item, "id")
		if p.ID != "" {
			item = "prohibition " + p.ID
			p.Pos = l.pos(v)
			if strings.Contains(p.ID, "--") {
				l.errorf(v, item, "id", "must not contain \"--\" (reserved for the compiled rules)")
			}
		}
	} else {
		l.errorf(n, item, "", "missing id")
	}
	if v := f["title"]; v != nil {
		p.Title = l.str(v, item, "title")
	}
	if v := f["reason"]; v != nil {
		p.Reason = l.str(v, item, "reason")
	} else {
		l.errorf(n, item, "", "missing reason: say why the destination is prohibited")
	}
	if v := f["severity"]; v != nil {
		sev, err := rules.ParseSeverity(v.Value)
		if err != nil || v.Kind != yaml.ScalarNode {
			l.errorf(v, item, "severity", "%q is not a severity: want info, warning, error or critical", v.Value)
		}
		p.Severity = sev
	}
	if v := f["direction"]; v != nil {
		switch v.Value {
		case "outbound", "egress":
			p.Direction = Outbound
		case "inbound", "ingress":
			p.Direction = Inbound
		default:
			l.errorf(v, item, "direction", "%q: want outbound or inbound", v.Value)
		}
	}
	if v := f["from"]; v != nil {
		p.From = l.selector(v, item, "from")
	} else {
		l.errorf(n, item, "", "missing from: (everything, or enis/subnets/security_groups/cidrs)")
	}
	if v := f["to"]; v != nil {
		for _, it := range scalars(v) {
			name := l.str(it, item, "to")
			if name == "" {
				continue
			}
			s, ok := l.sets[name]
			if !ok {
				l.errorf(it, item, "to", "unknown destination set %q: want one of %s", name, l.setNames())
				continue
			}
			p.To = append(p.To, s)
		}
	} else {
		l.errorf(n, item, "", "missing to: (a destination set name or a list of them)")
	}
	if v := f["when"]; v != nil {
		p.When = l.str(v, item, "when")
		p.WhenPos = whenPos(l.name, v, l.lines)
		if p.When != "" {
			l.checkWhen(p.ID, p.When, p.WhenPos)
		}
	}
	if p.ID == "" {
		return
	}
	if l.prohib == nil {
		l.prohib = map[string]*Prohibition{}
	}
	if prev, dup := l.prohib[p.ID]; dup {
		l.errorf(f["id"], item, "id", "duplicate id (first defined at %s)", prev.Pos)
		return
	}
	l.prohib[p.ID] = p
	l.p.Prohibitions = append(l.p.Prohibitions, p)
}

// whenPos is where the first character of a when: scalar is: after the
// quote of a quoted scalar, on the line after the indicator of a literal
// block. Folded and multi-line plain scalars only keep their line.
func whenPos(file string, n *yaml.Node, lines []string) Pos {
	p := Pos{File: file, Line: n.Line, Col: n.Column}
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if strings.Contains(n.Value, "\n") || n.Style == yaml.DoubleQuotedStyle && strings.Contains(n.Value, `\`) {
			p.Col = 0
		} else {
			p.Col++
		}
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// Content starts on the line after the indicator, at the block's
		// indentation. A folded block maps exactly only when it is one line.
		p.Line++
		p.Col = 0
		if p.Line-1 < len(lines) {
			s := lines[p.Line-1]
			ind := len(s) - len(strings.TrimLeft(s, " "))
			next := ""
			if p.Line < len(lines) {
				next = lines[p.Line]
			}
			nind := len(next) - len(strings.TrimLeft(next, " "))
			if n.Style == yaml.LiteralStyle || strings.TrimSpace(next) == "" || nind < ind {
				p.Col = ind + 1
			}
		}
	default:
		if strings.Contains(n.Value, "\n") {
			p.Col = 0
		}
	}
	return p
}

// checkWhen compiles a prohibition's own condition alone, so its errors
// point into the policy file.
func (l *loader) checkWhen(id, src string, at Pos) {
	if id == "" {
		id = "when"
	}
	_, err := rules.Build([]rules.Def{{ID: "check", Title: "check", Verdict: rules.VerdictInfo, When: src,
		Message: "-", Pos: at, WhenPos: at}})
	var es rules.Errors
	if errors.As(err, &es) {
		for _, e := range es {
			l.errs = append(l.errs, &Error{Pos: e.Pos, Item: "prohibition " + id, Field: "when", Msg: e.Msg})
		}
	} else if err != nil {
		l.errs = append(l.errs, &Error{Pos: at, Item: "prohibition " + id, Field: "when", Msg: err.Error()})
	}
}

var exceptionKeys = []string{"id", "prohibition", "owner", "reason", "expires", "from", "to"}

func (l *loader) exception(i int, n *yaml.Node) {
	item := fmt.Sprintf("exception exception-%d", i+1)
	if id := lookup(n, "id"); id != nil && validID(id.Value) {
		item = "exception " + id.Value
	}
	f := l.fields(n, item, exceptionKeys)
	e := &Exception{Pos: l.pos(n), ID: fmt.Sprintf("exception-%d", i+1), From: Selector{All: true}}
	if v := f["id"]; v != nil {
		if id := l.id(v, item, "id"); id != "" {
			e.ID = id
			e.Pos = l.pos(v)
		}
	}
	item = "exception " + e.ID
	if l.excIDs == nil {
		l.excIDs = map[string]Pos{}
	}
	if prev, dup := l.excIDs[e.ID]; dup {
		l.errorf(n, item, "id", "duplicate id (first defined at %s)", prev)
	}
	l.excIDs[e.ID] = e.Pos
	if v := f["prohibition"]; v != nil {
		name := l.str(v, item, "prohibition")
		if p, ok := l.prohib[name]; ok {
			e.Prohibition = p
		} else if name != "" {
			var ids []string
			for _, p := range l.p.Prohibitions {
				ids = append(ids, p.ID)
			}
			l.errorf(v, item, "prohibition", "unknown prohibition %q: want one of %s", name, strings.Join(ids, ", "))
		}
	} else {
		l.errorf(n, item, "", "missing prohibition: the id of the prohibition it relaxes")
	}
	if v := f["owner"]; v != nil {
		e.Owner = l.str(v, item, "owner")
	} else {
		l.errorf(n, item, "", "missing owner: who answers for the exception")
	}
	if v := f["reason"]; v != nil {
		e.Reason = l.str(v, item, "reason")
	} else {
		l.errorf(n, item, "", "missing reason")
	}
	if v := f["expires"]; v != nil {
		t, err := parseDate(v.Value)
		if err != nil || v.Kind != yaml.ScalarNode {
			l.errorf(v, item, "expires", "%q is not a date: want YYYY-MM-DD", v.Value)
		}
		e.Expires = t
	}
	if v := f["from"]; v != nil {
		e.From = l.selector(v, item, "from")
	}
	if v := f["to"]; v != nil {
		if v.Kind != yaml.MappingNode {
			l.errorf(v, item, "to", "want a mapping of cidrs, include, ports, protocols, got %s", loc.KindName(v))
		} else {
			s := &DestSet{Name: e.ID, Pos: l.pos(v)}
			l.setBody(s, l.fields(v, item+": to", []string{"cidrs", "include", "ports", "protocols"}), item+": to", false)
			e.To = s
		}
	}
	l.p.Exceptions = append(l.p.Exceptions, e)
}

// parseDate accepts YYYY-MM-DD (UTC).
func parseDate(s string) (time.Time, error) {
	return time.Parse("2006-01-02", strings.TrimSpace(s))
}

func yamlError(name string, err error, src []byte) *Error {
	line, msg := loc.YAMLError(err, src)
	return &Error{Pos: Pos{File: name, Line: line}, Msg: "invalid YAML: " + msg}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func validID(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return !strings.HasSuffix(s, "-")
}

// builtinSets are the destination sets every policy can name.
func builtinSets() []*DestSet {
	pf := func(ss ...string) []netip.Prefix {
		out := make([]netip.Prefix, len(ss))
		for i, s := range ss {
			out[i] = netip.MustParsePrefix(s)
		}
		return out
	}
	return []*DestSet{
		{Name: "internet", Builtin: true, Internet: true, Include: pf("0.0.0.0/0", "::/0"), Exclude: nonInternet()},
		{Name: "link-local", Builtin: true, Include: pf("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128")},
		{Name: "metadata", Builtin: true, Include: pf("169.254.169.254/32", "169.254.170.2/32", "fd00:ec2::254/128")},
		{Name: "rfc1918", Builtin: true, Include: pf("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")},
	}
}

// nonInternet lists what the internet set excludes besides the VPCs:
// private (RFC 1918, CGNAT, ULA), loopback, link-local, multicast, "this
// network" and reserved space.
func nonInternet() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}
