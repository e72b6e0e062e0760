//go:build !linux

package store

// freeBytes is not measured on this system; the health check relies on its write alone.
func freeBytes(string) (uint64, bool) { return 0, false }
