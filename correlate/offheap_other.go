//go:build !unix

package correlate

func (m *offheap) alloc(size int) []byte { return make([]byte, size) }

func (m *offheap) free() {}
