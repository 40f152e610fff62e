package review

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestDocsListEveryJSONField keeps docs/review.md in step with the JSON
// schema: every field of a finding has a row.
func TestDocsListEveryJSONField(t *testing.T) {
	b, err := os.ReadFile("../docs/review.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	typ := reflect.TypeOf(jsonFinding{})
	for i := 0; i < typ.NumField(); i++ {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("docs/review.md: no row for JSON field %q", name)
		}
	}
	for _, k := range []Kind{KindReached, KindBlocked, KindRulePermits, KindExpired, KindUnenforceable} {
		if !strings.Contains(doc, "`"+string(k)+"`") {
			t.Errorf("docs/review.md does not mention kind %s", k)
		}
	}
	for _, s := range builtinSets() {
		if !strings.Contains(doc, "| `"+s.Name+"` |") {
			t.Errorf("docs/review.md: no row for built-in set %s", s.Name)
		}
	}
}

func ExampleLoad() {
	_, err := Load("policy.yaml", []byte(`
prohibitions:
  - id: data-no-internet
    reason: PCI DSS 1.3.4
    from: {subnets: [subnet-0data], cidrs: [10.20.20.0/33]}
    to: internett
`))
	fmt.Println(err)
	// Output:
	// 2 problems in the policy:
	// policy.yaml:5:45: prohibition data-no-internet: from.cidrs: "10.20.20.0/33" is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32
	// policy.yaml:6:9: prohibition data-no-internet: to: unknown destination set "internett": want one of internet, link-local, metadata, rfc1918
}
