package rules

import "testing"

func TestLoadBuiltin(t *testing.T) {
	s, err := LoadBuiltin()
	if err != nil {
		t.Fatalf("LoadBuiltin: %v", err)
	}
	if s.Len() < 15 {
		t.Errorf("LoadBuiltin: %d rules, want >= 15", s.Len())
	}
}
