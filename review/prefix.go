package review

import (
	"net/netip"
	"sort"
)

// subtract returns p minus q as disjoint prefixes, largest first.
func subtract(p, q netip.Prefix) []netip.Prefix {
	if !p.Overlaps(q) {
		return []netip.Prefix{p}
	}
	if q.Bits() <= p.Bits() {
		return nil // q covers p
	}
	out := make([]netip.Prefix, 0, q.Bits()-p.Bits())
	for b := p.Bits() + 1; b <= q.Bits(); b++ {
		cur, _ := q.Addr().Prefix(b)
		out = append(out, sibling(cur))
	}
	return out
}

// sibling returns the other half of p's parent prefix.
func sibling(p netip.Prefix) netip.Prefix {
	b := p.Bits()
	a := p.Addr().As16()
	bit := b - 1
	if p.Addr().Is4() {
		bit += 96
	}
	a[bit/8] ^= 0x80 >> (bit % 8)
	addr := netip.AddrFrom16(a)
	if p.Addr().Is4() {
		addr = addr.Unmap()
	}
	return netip.PrefixFrom(addr, b)
}

// minus returns the addresses of include outside every prefix of exclude,
// as disjoint prefixes sorted by address. The result is exact; its size
// grows with the number of excluded prefixes times their depth.
func minus(include, exclude []netip.Prefix) []netip.Prefix {
	cur := append([]netip.Prefix(nil), include...)
	for _, q := range exclude {
		var next []netip.Prefix
		for _, p := range cur {
			next = append(next, subtract(p, q)...)
		}
		cur = next
	}
	sortPrefixes(cur)
	return cur
}

// intersect returns the common part of two prefixes (one contains the other
// when they overlap).
func intersect(p, q netip.Prefix) (netip.Prefix, bool) {
	if !p.Overlaps(q) {
		return netip.Prefix{}, false
	}
	if p.Bits() >= q.Bits() {
		return p, true
	}
	return q, true
}

func sortPrefixes(ps []netip.Prefix) {
	sort.Slice(ps, func(i, j int) bool {
		if c := ps[i].Addr().Compare(ps[j].Addr()); c != 0 {
			return c < 0
		}
		return ps[i].Bits() < ps[j].Bits()
	})
}

// aggregate returns the fewest prefixes covering exactly the addresses of
// ps: contained prefixes dropped, sibling halves merged into their parent,
// repeatedly. The result is sorted by address.
func aggregate(ps []netip.Prefix) []netip.Prefix {
	cur := make([]netip.Prefix, 0, len(ps))
	for _, p := range ps {
		cur = append(cur, p.Masked())
	}
	for {
		sortPrefixes(cur)
		var out []netip.Prefix
		for _, p := range cur {
			if n := len(out); n > 0 && out[n-1].Overlaps(p) {
				if p.Bits() < out[n-1].Bits() {
					out[n-1] = p // sorted by address then size: p holds the last
				}
				continue
			}
			out = append(out, p)
		}
		merged := false
		var next []netip.Prefix
		for i := 0; i < len(out); i++ {
			p := out[i]
			if i+1 < len(out) && p.Bits() > 0 && out[i+1] == sibling(p) {
				parent, _ := p.Addr().Prefix(p.Bits() - 1)
				next = append(next, parent)
				i++
				merged = true
				continue
			}
			next = append(next, p)
		}
		cur = next
		if !merged {
			return cur
		}
	}
}
