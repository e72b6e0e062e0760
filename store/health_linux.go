package store

import (
	"path/filepath"
	"syscall"
)

// freeBytes returns the room left for an unprivileged writer on the file system holding path.
func freeBytes(path string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}
