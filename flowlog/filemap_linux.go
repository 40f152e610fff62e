package flowlog

import (
	"os"
	"syscall"
)

// fileMap is a read-only memory mapping of a whole plain-text input. Chunk
// workers parse straight from it, which saves copying every byte from the
// page cache into a buffer (with two busy cores that copy costs as much as
// a tenth of a run).
type fileMap struct {
	data []byte
}

// mapFile maps f if it is a regular file of at least minSize bytes; nil if
// it is not, or cannot be mapped (the caller then reads it).
func mapFile(f *os.File, minSize int64) *fileMap {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() < minSize || st.Size() <= 0 || int64(int(st.Size())) != st.Size() {
		return nil
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	_ = syscall.Madvise(data, syscall.MADV_SEQUENTIAL) // a hint: read-ahead, early reclaim
	return &fileMap{data: data}
}

// release tells the kernel the whole pages of data[from:to] are no longer
// needed by this process, so that they stop counting in its resident set:
// peak memory stays flat whatever the file size. The bytes stay readable
// (a later access faults them in again from the page cache).
func (m *fileMap) release(from, to int) {
	page := os.Getpagesize()
	from, to = from&^(page-1), to&^(page-1)
	if to > from {
		_ = syscall.Madvise(m.data[from:to], syscall.MADV_DONTNEED)
	}
}

// unmap ends the mapping; no slice of it may be used afterwards.
func (m *fileMap) unmap() {
	if m.data != nil {
		_ = syscall.Munmap(m.data)
		m.data = nil
	}
}
