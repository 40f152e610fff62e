//go:build unix

package correlate

import "syscall"

func (m *offheap) alloc(size int) []byte {
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, size)
	}
	m.regions = append(m.regions, b)
	return b
}

func (m *offheap) free() {
	for _, b := range m.regions {
		_ = syscall.Munmap(b)
	}
	m.regions = nil
}
