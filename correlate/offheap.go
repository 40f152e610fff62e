package correlate

import "unsafe"

// offheap owns the memory of a Correlator's slabs. The slabs hold no
// pointers, so on Unix they are mapped outside the Go heap: the garbage
// collector neither scans them nor counts them towards its goal, which
// would otherwise let the heap grow to twice the open conversations before
// a collection. The regions are unmapped by a cleanup once the Correlator
// is unreachable. Elsewhere, and if mapping fails, they are ordinary Go
// allocations.
type offheap struct {
	regions [][]byte
}

// chunkOf returns n zeroed values of T, which must contain no pointers.
func chunkOf[T any](m *offheap, n int) []T {
	var z T
	b := m.alloc(n * int(unsafe.Sizeof(z)))
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}
