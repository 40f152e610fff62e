package review

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowdiag/flowdiag/rules"
	"github.com/flowdiag/flowdiag/topology"
)

// TestLoadInvalid: every file under testdata/invalid has one defect, and
// the loader names its file:line:col, the item, the field and what it
// wanted.
func TestLoadInvalid(t *testing.T) {
	tests := []struct{ file, want string }{
		{"unknown-key.yaml", "unknown-key.yaml:6:5: prohibition no-internet: unknown key \"severty\": want one of id, title, severity, reason, direction, from, to, when"},
		{"bad-cidr.yaml", "bad-cidr.yaml:3:29: destination partners: cidrs: \"198.51.100.300/24\" is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32"},
		{"host-bits.yaml", "host-bits.yaml:4:20: prohibition no-db-from-app: from.cidrs: \"10.20.10.5/24\" has host bits set: did you mean 10.20.10.0/24?"},
		{"unknown-set.yaml", "unknown-set.yaml:5:20: prohibition no-internet: to: unknown destination set \"metdata\": want one of internet, link-local, metadata, rfc1918"},
		{"unknown-prohibition.yaml", "unknown-prohibition.yaml:8:18: exception backup: prohibition: unknown prohibition \"no-internt\": want one of no-internet"},
		{"bad-date.yaml", "bad-date.yaml:10:14: exception exception-1: expires: \"2026-02-30\" is not a date: want YYYY-MM-DD"},
		{"bad-expr.yaml", "bad-expr.yaml:6:17: prohibition no-internet: when: type rules.Flow has no field server_prot"},
		{"bad-expr-block.yaml", "bad-expr-block.yaml:8:30: prohibition no-internet: when: in_cidr: \"10.20.0.0/33\" is not a CIDR such as 10.0.0.0/8"},
		{"bad-port.yaml", "bad-port.yaml:4:17: destination mail: ports: port range \"587-465\" is inverted: the first port must not exceed the last"},
		{"builtin-name.yaml", "builtin-name.yaml:2:11: destination internet: name: \"internet\" is a built-in destination set; choose another name"},
		{"missing-fields.yaml", "missing-fields.yaml:2:5: prohibition no-internet: missing reason: say why the destination is prohibited"},
		{"bad-selector.yaml", "bad-selector.yaml:4:37: prohibition no-internet: from: unknown key \"vpcs\": want one of enis, subnets, security_groups, cidrs"},
		{"second-document.yaml", "second-document.yaml:11:1: a second YAML document is not supported: put all destinations, prohibitions and exceptions in one mapping"},
		{"yaml-syntax.yaml", "yaml-syntax.yaml:3: invalid YAML: did not find expected ',' or ']' around here: a list or mapping is not closed, or a line is indented wrongly"},
	}
	for _, tc := range tests {
		path := filepath.Join("testdata", "invalid", tc.file)
		_, err := LoadFile(path)
		if err == nil {
			t.Errorf("LoadFile(%s) = nil error; want %q", tc.file, tc.want)
			continue
		}
		var es Errors
		if !errors.As(err, &es) {
			t.Errorf("LoadFile(%s) error %T; want Errors", tc.file, err)
			continue
		}
		got := strings.TrimPrefix(es[0].Error(), filepath.Join("testdata", "invalid")+string(filepath.Separator))
		got, _, _ = strings.Cut(got, " (") // expr appends its own (line:col) and a snippet
		if got != tc.want {
			t.Errorf("LoadFile(%s) first error:\n got %s\nwant %s", tc.file, got, tc.want)
		}
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load("p.yaml", []byte(`
prohibitions:
  - id: a
    reason: r
    from: everything
    to: nowhere
  - id: a
    reason: r
    from: everything
    to: internet
    severity: fatal
`))
	var es Errors
	if !errors.As(err, &es) || len(es) != 3 {
		t.Fatalf("Load = %v; want 3 problems", err)
	}
	for i, want := range []string{"p.yaml:6:9:", "p.yaml:7:9:", "p.yaml:11:15:"} {
		if !strings.HasPrefix(es[i].Error(), want) {
			t.Errorf("problem %d = %q; want prefix %q", i, es[i], want)
		}
	}
}

// TestLoadDocumentMarkers: "---" that only starts or ends the one document
// loses nothing, so it is accepted (invalid/second-document.yaml is the error).
func TestLoadDocumentMarkers(t *testing.T) {
	const policy = `prohibitions:
  - id: no-internet
    reason: data tier stays private
    from: everything
    to: internet
`
	for _, src := range []string{"---\n" + policy, policy + "---\n"} {
		p, err := Load("p.yaml", []byte(src))
		if err != nil {
			t.Errorf("Load(%q): %v", src, err)
		} else if len(p.Prohibitions) != 1 {
			t.Errorf("Load(%q): %d prohibitions; want 1", src, len(p.Prohibitions))
		}
	}
}

func TestExpired(t *testing.T) {
	e := &Exception{Expires: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2026, 6, 30, 23, 59, 59, 0, time.UTC), false}, // the expiry day still holds
		{time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), false},
	}
	for _, tc := range tests {
		if got := e.Expired(tc.now); got != tc.want {
			t.Errorf("Expired(%s) = %v; want %v", tc.now, got, tc.want)
		}
	}
	if (&Exception{}).Expired(time.Now()) {
		t.Error("an exception without expires: expired")
	}
}

func TestCompileNeedsTopology(t *testing.T) {
	p, err := Load("p.yaml", []byte(`
prohibitions:
  - id: app-no-internet
    reason: r
    from: {security_groups: [sg-0app]}
    to: internet
  - id: ghost
    reason: r
    from: {enis: [eni-0ghost], subnets: [subnet-0gone]}
    to: internet
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(p, nil, reviewNow)
	if err == nil || err.Error() != "p.yaml:5:11: prohibition app-no-internet: from.security_groups: security group sources need a topology (--topology) to know which ENIs carry the groups" {
		t.Errorf("Compile without topology = %v", err)
	}
	topo, err := topology.Load(bundledTopology)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(p, topo, reviewNow)
	want := "2 problems in the policy:\n" +
		"p.yaml:9:19: prohibition ghost: from.enis: ENI eni-0ghost is not in the topology " + bundledTopology + "\n" +
		"p.yaml:9:42: prohibition ghost: from.subnets: subnet subnet-0gone is not in the topology " + bundledTopology
	if err == nil || err.Error() != want {
		t.Errorf("Compile with topology = %v\nwant %s", err, want)
	}
}

// TestCompiledConditions evaluates the compiled rules on hand-written facts:
// the prohibition's reached and blocked rules and an exception's.
func TestCompiledConditions(t *testing.T) {
	c := compileBundled(t, true)
	ev := c.Set.NewEvaluator()
	side := func(eni, subnet string, accepted, rejected bool) rules.Side {
		return rules.Side{Seen: true, ENI: eni, Subnet: subnet,
			Request: rules.Leg{Seen: true, Accepted: accepted, Rejected: rejected, Flags: -1, RejectFlags: -1}}
	}
	tests := []struct {
		name   string
		client rules.Side
		server rules.Side
		dst    string
		port   int
		want   []string
	}{
		{"db to internet https, accepted", side("eni-0db1", "subnet-0data", true, false), rules.Side{}, "203.0.113.50", 443,
			[]string{"data-no-internet--reached"}},
		{"db to internet, rejected", side("eni-0db1", "subnet-0data", false, true), rules.Side{}, "185.199.108.133", 80,
			[]string{"data-no-internet--blocked"}},
		{"db backup inside the exception", side("eni-0db1", "subnet-0data", true, false), rules.Side{}, "52.95.130.10", 443,
			[]string{"db-backup-upload--except--reached", "data-no-internet--reached"}},
		{"db backup on another port: not excepted", side("eni-0db1", "subnet-0data", true, false), rules.Side{}, "52.95.130.10", 80,
			[]string{"data-no-internet--reached"}},
		{"expired exception does not match", side("eni-0db1", "subnet-0data", true, false), rules.Side{}, "203.0.113.50", 443,
			[]string{"data-no-internet--reached"}},
		{"db inside the VPC", side("eni-0db1", "subnet-0data", true, false), side("eni-0app1", "subnet-0app", true, false), "10.20.10.31", 40000, nil},
		{"app to exfil host and SMTP port", side("eni-0app1", "subnet-0app", true, false), rules.Side{}, "198.51.100.77", 587,
			[]string{"no-exfil-hosts--reached", "no-direct-smtp--reached"}},
		{"app SMTP to the VPC is fine", side("eni-0app1", "subnet-0app", true, false), rules.Side{}, "10.20.0.10", 587, nil},
		{"server rejected the request: blocked although the client let it out", side("eni-0app1", "subnet-0app", true, false),
			side("eni-0x", "subnet-0x", false, true), "198.51.100.9", 443, []string{"no-exfil-hosts--blocked"}},
	}
	for _, tc := range tests {
		env := rules.Env{Client: tc.client, Server: tc.server}
		env.Transit.Request.Flags, env.Transit.Request.RejectFlags = -1, -1
		env.Flow = rules.Flow{Protocol: "tcp", ProtoNum: 6, Client: addrOf(tc.client.ENI), ClientPort: 50000, Server: tc.dst, ServerPort: tc.port}
		got, err := ev.Match(&env, 0, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var ids []string
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		if strings.Join(ids, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: matched %v; want %v", tc.name, ids, tc.want)
		}
	}
}

func addrOf(eni string) string {
	switch eni {
	case "eni-0db1":
		return "10.20.20.41"
	case "eni-0app1":
		return "10.20.10.31"
	}
	return "10.99.0.1"
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

// TestInboundConditions: for an inbound prohibition the destination set
// describes the peer that opens the connection and the sources are the
// servers.
func TestInboundConditions(t *testing.T) {
	p, err := Load("p.yaml", []byte(`
destinations:
  - {name: ssh-from-internet, include: [internet], ports: [22], protocols: [tcp]}
prohibitions:
  - {id: no-inbound-ssh, reason: r, direction: inbound, from: {subnets: [subnet-0pub]}, to: ssh-from-internet}
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p, nil, reviewNow)
	if err != nil {
		t.Fatal(err)
	}
	ev := c.Set.NewEvaluator()
	tests := []struct {
		client, server, subnet string
		accepted, rejected     bool
		want                   string
	}{
		{"198.51.100.23", "10.20.0.5", "subnet-0pub", true, false, "no-inbound-ssh--reached"},
		{"198.51.100.23", "10.20.0.5", "subnet-0pub", false, true, "no-inbound-ssh--blocked"},
		{"10.20.10.31", "10.20.0.5", "subnet-0pub", true, false, ""},    // from inside: not the internet
		{"198.51.100.23", "10.20.10.5", "subnet-0app", true, false, ""}, // another subnet
	}
	for _, tc := range tests {
		env := rules.Env{Flow: rules.Flow{Protocol: "tcp", ProtoNum: 6, Client: tc.client, ClientPort: 51022, Server: tc.server, ServerPort: 22}}
		env.Server = rules.Side{Seen: true, ENI: "eni-x", Subnet: tc.subnet,
			Request: rules.Leg{Seen: true, Accepted: tc.accepted, Rejected: tc.rejected, Flags: -1, RejectFlags: -1}}
		got, err := ev.Match(&env, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		id := ""
		if len(got) > 0 {
			id = got[0].ID
		}
		if id != tc.want || len(got) > 1 {
			t.Errorf("%s -> %s (%s) accepted=%v: matched %v; want %q", tc.client, tc.server, tc.subnet, tc.accepted, got, tc.want)
		}
	}
}
