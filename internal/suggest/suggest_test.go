package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"dstport", "dstport", 0},
		{"dst-port", "dstport", 1},
		{"srcadr", "srcaddr", 1},
		{"kitten", "sitting", 3},
		{"", "abc", 3},
		{"severty", "severity", 1},
		{"form", "from", 1}, // a swap is one edit
		{"form", "format", 2},
		{"ab", "ba", 1},
		{"abc", "ca", 3},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d; want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d; want %d (symmetry)", tc.b, tc.a, got, tc.want)
		}
	}
}
