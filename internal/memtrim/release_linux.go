package memtrim

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ReleaseCode drops the executable's releasable mappings from the
// process's resident set and returns how many bytes were resident in
// them. It is safe to call at any time, from any goroutine; mappings it
// cannot release are left as they are.
func ReleaseCode() (int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("release code: %w", err)
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, fmt.Errorf("release code: %w", err)
	}
	ms, err := parseSmaps(f)
	f.Close()
	if err != nil {
		return 0, fmt.Errorf("release code: %w", err)
	}
	var released int64
	for _, m := range ms {
		if !m.releasable(exe) {
			continue
		}
		if err := madvise(m.start, m.end-m.start, syscall.MADV_DONTNEED); err != nil {
			return released, fmt.Errorf("release code: madvise %x-%x: %w", m.start, m.end, err)
		}
		released += m.rss
	}
	return released, nil
}

func madvise(addr, n uintptr, advice int) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, n, uintptr(advice)); errno != 0 {
		return errno
	}
	return nil
}
