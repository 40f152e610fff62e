//go:build !linux

package flowlog

import "os"

// fileMap is unused outside Linux: text inputs are read into buffers.
type fileMap struct {
	data []byte
}

func mapFile(*os.File, int64) *fileMap { return nil }
func (*fileMap) release(int, int)      {}
func (*fileMap) unmap()                {}
