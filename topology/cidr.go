package topology

import (
	"encoding/binary"
	"net/netip"
)

// key is an address prepared for repeated prefix tests: its 128 bits in
// two words (IPv4 in the IPv4-mapped form) and its family.
type key struct {
	hi, lo uint64
	v6     bool
}

func keyOf(a netip.Addr) key {
	b := a.As16()
	return key{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:]), v6: a.Is6()}
}

// cidr is a compiled prefix: network bits and mask, both in 128-bit form.
type cidr struct {
	hi, lo, mhi, mlo uint64
	v6               bool
}

func cidrOf(p netip.Prefix) cidr {
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	var mhi, mlo uint64
	switch {
	case bits >= 128:
		mhi, mlo = ^uint64(0), ^uint64(0)
	case bits >= 64:
		mhi, mlo = ^uint64(0), ^(^uint64(0) >> uint(bits-64))
	case bits > 0:
		mhi = ^(^uint64(0) >> uint(bits))
	}
	k := keyOf(p.Masked().Addr())
	return cidr{hi: k.hi & mhi, lo: k.lo & mlo, mhi: mhi, mlo: mlo, v6: k.v6}
}

// contains reports whether k lies in c; families never cross.
func (c *cidr) contains(k key) bool {
	return c.v6 == k.v6 && k.hi&c.mhi == c.hi && k.lo&c.mlo == c.lo
}
