package flowlog

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Filter selects records. Every non-empty criterion must match (AND); within
// one criterion any listed value may match (OR). The zero Filter matches
// every record.
//
// Gap records (NODATA and SKIPDATA) carry no addresses, ports, protocol or
// action, so only the ENI and time criteria apply to them: a gap on a matching
// ENI in the time window is kept whatever the other criteria say, because it
// tells the reader that evidence is missing.
type Filter struct {
	Actions []Action       // ACCEPT and/or REJECT
	ENIs    []string       // interface-id values, compared exactly
	Addrs   []netip.Prefix // srcaddr, dstaddr, pkt-srcaddr or pkt-dstaddr inside any prefix
	Ports   []uint16       // srcport or dstport equal to any
	Protos  []Proto        // protocol equal to any
	Since   int64          // Unix seconds; keep records whose end is at or after Since; 0 = unset
	Until   int64          // Unix seconds; keep records whose start is at or before Until; 0 = unset
}

// IsZero reports whether f matches every record.
func (f *Filter) IsZero() bool {
	return len(f.Actions) == 0 && len(f.ENIs) == 0 && len(f.Addrs) == 0 &&
		len(f.Ports) == 0 && len(f.Protos) == 0 && f.Since == 0 && f.Until == 0
}

// Match reports whether r passes the filter. It does not allocate.
//
// The time window keeps a record whose [start, end] interval overlaps
// [Since, Until]; a record without start/end passes the time criteria.
func (f *Filter) Match(r *Record) bool {
	if len(f.ENIs) > 0 && !f.matchENI(r) {
		return false
	}
	if f.Since != 0 && r.Has(FieldEnd) && r.End < f.Since {
		return false
	}
	if f.Until != 0 && r.Has(FieldStart) && r.Start > f.Until {
		return false
	}
	if r.IsGap() {
		return true
	}
	if len(f.Actions) > 0 {
		ok := false
		for _, a := range f.Actions {
			if r.Action == a && r.Has(FieldAction) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.Protos) > 0 {
		if !r.Has(FieldProtocol) {
			return false
		}
		ok := false
		for _, p := range f.Protos {
			if r.Protocol == p {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.Ports) > 0 {
		ok := false
		for _, p := range f.Ports {
			if (r.Has(FieldSrcPort) && r.SrcPort == p) || (r.Has(FieldDstPort) && r.DstPort == p) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.Addrs) > 0 {
		ok := false
		for _, p := range f.Addrs {
			if prefixHas(p, r.SrcAddr) || prefixHas(p, r.DstAddr) ||
				prefixHas(p, r.PktSrcAddr) || prefixHas(p, r.PktDstAddr) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (f *Filter) matchENI(r *Record) bool {
	for _, e := range f.ENIs {
		if r.InterfaceID == e {
			return true
		}
		// A Transit Gateway record names the ENIs on either side.
		if r.Kind == KindTransitGateway && (r.TGW.SrcENI == e || r.TGW.DstENI == e) {
			return true
		}
	}
	return false
}

// prefixHas is Prefix.Contains for a possibly invalid address.
func prefixHas(p netip.Prefix, a netip.Addr) bool {
	return a.IsValid() && p.Contains(a)
}

// ParsePrefix accepts a CIDR ("10.0.0.0/16", "2001:db8::/32") or a single
// address, which becomes a /32 or /128. Host bits set in a CIDR are an error,
// since "10.0.1.5/16" is more likely a typo than a wish for 10.0.0.0/16.
func ParsePrefix(s string) (netip.Prefix, error) {
	t := strings.TrimSpace(s)
	if strings.Contains(t, "/") {
		p, err := netip.ParsePrefix(t)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR prefix", s)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			if p.Bits() < 0 {
				return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR prefix", s)
			}
		}
		if p.Masked() != p {
			return netip.Prefix{}, fmt.Errorf("%q has host bits set: did you mean %s?", s, p.Masked())
		}
		return p, nil
	}
	a, err := netip.ParseAddr(t)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR prefix", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ParsePort accepts a port number from 0 to 65535.
func ParsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
	if err != nil {
		return 0, fmt.Errorf("%q is not a port number (0-65535)", s)
	}
	return uint16(n), nil
}

// ParseTime accepts an RFC 3339 time ("2024-01-02T03:04:05Z", fractional
// seconds allowed) or Unix seconds ("1704164645") and returns Unix seconds.
func ParseTime(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty time: want RFC 3339 (2024-01-02T03:04:05Z) or Unix seconds")
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		if n <= 0 {
			return 0, fmt.Errorf("%q is not a time: Unix seconds must be positive", s)
		}
		return n, nil
	}
	tm, err := time.Parse(time.RFC3339Nano, t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time: want RFC 3339 (2024-01-02T03:04:05Z) or Unix seconds", s)
	}
	return tm.Unix(), nil
}
