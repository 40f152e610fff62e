package review

import (
	"net/url"
	"strings"
	"testing"
)

func TestSARIFURI(t *testing.T) {
	tests := []struct{ path, want string }{
		{"topology.yaml", "topology.yaml"},
		{"./testdata/topology.yaml", "testdata/topology.yaml"},
		{"dir with space/t#1.yaml", "dir%20with%20space/t%231.yaml"},
		{"a:b/policy.yaml", "./a:b/policy.yaml"}, // not read as a scheme
		{"/tmp/dir with space/t#1.yaml", "file:///tmp/dir%20with%20space/t%231.yaml"},
		{"/srv/100%/p.yaml", "file:///srv/100%25/p.yaml"},
	}
	for _, tt := range tests {
		got := uri(tt.path)
		if got != tt.want {
			t.Errorf("uri(%q) = %q, want %q", tt.path, got, tt.want)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Errorf("uri(%q) = %q does not parse: %v", tt.path, got, err)
			continue
		}
		back := u.Path
		if u.Scheme == "" {
			back = strings.TrimPrefix(back, "./")
		}
		if want := strings.TrimPrefix(tt.path, "./"); back != want {
			t.Errorf("uri(%q) decodes to %q", tt.path, back)
		}
	}
}
