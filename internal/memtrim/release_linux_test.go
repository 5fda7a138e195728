package memtrim

import (
	"os"
	"path/filepath"
	"testing"
)

// exeRSS is the resident size of the test binary's releasable mappings.
func exeRSS(t *testing.T) int64 {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ms, err := parseSmaps(f)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, m := range ms {
		if m.releasable(exe) {
			n += m.rss
		}
	}
	return n
}

func TestReleaseCode(t *testing.T) {
	before := exeRSS(t)
	if before == 0 {
		t.Fatal("the test binary has no resident read-only mapping: cannot check ReleaseCode")
	}
	released, err := ReleaseCode()
	if err != nil {
		t.Fatal(err)
	}
	if released <= 0 {
		t.Fatalf("ReleaseCode released %d bytes with %d resident", released, before)
	}
	// The code runs on: what it needs faults back in from the page cache.
	after := exeRSS(t)
	if after >= before {
		t.Errorf("resident read-only mappings %d bytes before, %d after", before, after)
	}
	if _, err := ReleaseCode(); err != nil {
		t.Fatalf("second ReleaseCode: %v", err)
	}
}
