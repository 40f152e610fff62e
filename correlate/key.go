package correlate

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/flowdiag/flowdiag/flowlog"
)

// Key identifies a conversation: the protocol and the unordered pair of
// packet-level ends. It is packed and comparable, with no pointers, so that
// it can be a map key without costing the garbage collector. The ends are
// stored in a canonical order (lo < hi by address bytes, then port), so both
// directions of a flow give the same Key.
type Key struct {
	lo, hi         [16]byte // As16 form; IPv4 as IPv4-mapped IPv6
	loPort, hiPort uint16
	proto          flowlog.Proto
}

// keyOf builds the key of a record from its packet-level addresses. fwd
// reports whether the record's source is the key's lo end. ok is false when
// either address is absent.
func keyOf(r *Rec) (k Key, fwd bool, ok bool) {
	return keyFrom(r.PacketSrc(), r.PacketDst(), r.SrcPort, r.DstPort, r.Protocol)
}

func keyFrom(src, dst netip.Addr, sp, dp uint16, proto flowlog.Proto) (k Key, fwd bool, ok bool) {
	if !src.IsValid() || !dst.IsValid() {
		return Key{}, false, false
	}
	if proto.IsICMP() {
		sp, dp = 0, 0
	}
	s, d := src.As16(), dst.As16()
	k.proto = proto
	if lessEnd(&s, sp, &d, dp) {
		k.lo, k.hi, k.loPort, k.hiPort = s, d, sp, dp
		return k, true, true
	}
	k.lo, k.hi, k.loPort, k.hiPort = d, s, dp, sp
	return k, false, true
}

// lessEnd reports whether end (a, ap) sorts before or equal to (b, bp):
// by address bytes, then port.
func lessEnd(a *[16]byte, ap uint16, b *[16]byte, bp uint16) bool {
	a0, b0 := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])
	if a0 != b0 {
		return a0 < b0
	}
	a1, b1 := binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:])
	if a1 != b1 {
		return a1 < b1
	}
	return ap <= bp
}

// Lo returns the lower end of the key.
func (k Key) Lo() netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16(k.lo).Unmap(), k.loPort)
}

// Hi returns the higher end of the key.
func (k Key) Hi() netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16(k.hi).Unmap(), k.hiPort)
}

// Proto returns the key's protocol.
func (k Key) Proto() flowlog.Proto { return k.proto }

// String renders the key as "tcp 10.0.1.5:51234 <-> 10.0.2.9:443".
func (k Key) String() string { return fmt.Sprintf("%s %s <-> %s", k.proto, k.Lo(), k.Hi()) }

// compareKeys orders keys by protocol, then lo end, then hi end.
func compareKeys(a, b Key) int {
	if c := cmp.Compare(a.proto, b.proto); c != 0 {
		return c
	}
	if c := bytes.Compare(a.lo[:], b.lo[:]); c != 0 {
		return c
	}
	if c := cmp.Compare(a.loPort, b.loPort); c != 0 {
		return c
	}
	if c := bytes.Compare(a.hi[:], b.hi[:]); c != 0 {
		return c
	}
	return cmp.Compare(a.hiPort, b.hiPort)
}

// hash mixes the key into 64 bits; stable across runs and platforms so that
// partitioning is deterministic.
func (k *Key) hash() uint64 { return k.hashWith(0) }

// hashWith is hash with a seed mixed in before the key's words.
func (k *Key) hashWith(seed uint64) uint64 {
	const m = 0x9e3779b97f4a7c15
	h := seed ^ uint64(k.proto) ^ uint64(k.loPort)<<8 ^ uint64(k.hiPort)<<24
	for _, w := range [4]uint64{
		binary.LittleEndian.Uint64(k.lo[:8]), binary.LittleEndian.Uint64(k.lo[8:]),
		binary.LittleEndian.Uint64(k.hi[:8]), binary.LittleEndian.Uint64(k.hi[8:]),
	} {
		h = (h ^ w) * m
		h ^= h >> 29
	}
	return h
}

// AllPartitions is what Partition returns for gap (NODATA/SKIPDATA)
// records: they are facts about an ENI, not about one conversation, so the
// caller must give them to every partition's Correlator.
const AllPartitions = -1

// Partition returns the partition, in [0, n), that record r belongs to when
// correlation is split over n Correlators: a hash of the protocol and the
// unordered pair of packet-level ends, so both directions and every ENI's
// records of one conversation land in the same partition. Gap records return
// AllPartitions (-1) and must be added to every partition. Records without
// addresses, and Transit Gateway records (which a Correlator ignores), go
// to partition 0. For n <= 1 every record is in partition 0, gap records
// included.
func Partition(r *flowlog.Record, n int) int {
	if n <= 1 {
		return 0
	}
	if r.IsGap() {
		return AllPartitions
	}
	if r.Kind == flowlog.KindTransitGateway {
		return 0
	}
	k, _, ok := keyFrom(r.PacketSrc(), r.PacketDst(), r.SrcPort, r.DstPort, r.Protocol)
	if !ok {
		return 0
	}
	return int(k.hash() % uint64(n))
}
