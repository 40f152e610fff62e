package topology

import "testing"

func TestJSONPositions(t *testing.T) {
	data := []byte(`{"NetworkAcls": [
  {"NetworkAclId": "acl-1", "Entries": [
      {"RuleNumber": 100, "Egress": false},
      {"RuleNumber": 110,
       "Egress": true}
    ], "Tags": []},
  {"NetworkAclId": "acl-2", "Entries": [{"RuleNumber": 5}]}
],
"Vpcs": [1, 2, {"VpcId": "vpc-1"}]}`)
	got := jsonPositions("f.json", data)
	for path, want := range map[string]Pos{
		"NetworkAcls/0":           {File: "f.json", Line: 2, Col: 3},
		"NetworkAcls/0/Entries/0": {File: "f.json", Line: 3, Col: 7},
		"NetworkAcls/0/Entries/1": {File: "f.json", Line: 4, Col: 7},
		"NetworkAcls/1":           {File: "f.json", Line: 7, Col: 3},
		"NetworkAcls/1/Entries/0": {File: "f.json", Line: 7, Col: 41},
		"Vpcs/2":                  {File: "f.json", Line: 9, Col: 16},
	} {
		if got[path] != want {
			t.Errorf("%s: %+v, want %+v", path, got[path], want)
		}
	}
	if len(got) != 6 {
		t.Errorf("%d positions: %v", len(got), got)
	}
	if jsonPositions("bad.json", []byte(`{"a": [`)) == nil {
		t.Error("nil map for a truncated document")
	}
}
