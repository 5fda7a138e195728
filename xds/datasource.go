package xds

import (
	"bytes"
	"fmt"
	"io"
	"os"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// maxDataSourceFile bounds a DataSource file. DataSources hold secrets and
// small documents; the bound keeps a mistaken path (a log, /dev/zero) from
// exhausting memory.
const maxDataSourceFile = 64 << 10

// dataSource reads a DataSource the way Envoy does, once, when the
// configuration loads: inline_string, inline_bytes, environment_variable
// (which must be set; it may be empty) or filename (a regular file of at
// most 64 KiB, relative paths from the working directory). The caller owns
// the returned bytes. ok is false when ds is unset or unreadable
// (reported).
func (t *translator) dataSource(path string, ds *corev3.DataSource) (b []byte, ok bool) {
	switch s := ds.GetSpecifier().(type) {
	case *corev3.DataSource_InlineString:
		return []byte(s.InlineString), true
	case *corev3.DataSource_InlineBytes:
		return bytes.Clone(s.InlineBytes), true
	case *corev3.DataSource_EnvironmentVariable:
		v, set := os.LookupEnv(s.EnvironmentVariable)
		if !set {
			t.errs.add(field(path, "environment_variable"), "environment variable %q is not set", s.EnvironmentVariable)
			return nil, false
		}
		return []byte(v), true
	case *corev3.DataSource_Filename:
		b, err := readSmallFile(s.Filename, maxDataSourceFile)
		if err != nil {
			t.errs.wrap(field(path, "filename"), err)
			return nil, false
		}
		return b, true
	}
	// Unset: reported by the validation rules.
	return nil, false
}

// readSmallFile reads the regular file name, failing if it is larger than
// limit bytes.
func readSmallFile(name string, limit int64) ([]byte, error) {
	// Stat first: opening a FIFO would block until a writer shows up.
	fi, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("read data source: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read data source: %s is not a regular file", name)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read data source: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read data source: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("read data source: %s is larger than %d bytes", name, limit)
	}
	return b, nil
}
