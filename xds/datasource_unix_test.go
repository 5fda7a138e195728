//go:build unix

package xds

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// TestDataSourceFIFO checks a FIFO is refused rather than opened: opening
// it would block until a writer shows up.
func TestDataSourceFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	var tr translator
	if _, ok := tr.dataSource("p", &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: fifo}}); ok {
		t.Fatal("dataSource read a FIFO")
	}
	if err := tr.errs.err(); err == nil || !strings.Contains(err.Error(), "is not a regular file") {
		t.Fatalf("err = %v, want \"is not a regular file\"", err)
	}
}
