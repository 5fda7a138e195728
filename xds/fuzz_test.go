package xds

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

// FuzzLoadBootstrap feeds arbitrary documents to the loader: it must never
// panic, a document it accepts must validate and dump, and every error it
// returns is either a parse error or a list of field errors with paths.
func FuzzLoadBootstrap(f *testing.F) {
	for _, dir := range []string{"good", "bad", "envoy-examples"} {
		files, _ := filepath.Glob(filepath.Join(bootstrapTestdata, dir, "*.yaml"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add(DefaultBootstrapYAML())
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := LoadBootstrap(data)
		if err != nil {
			if strings.HasPrefix(err.Error(), "parse bootstrap: ") {
				return
			}
			var l errList
			l.addErr(err)
			for _, e := range l.errs {
				var fe *config.FieldError
				if !errors.As(e, &fe) {
					t.Fatalf("error %q is not a *config.FieldError", e)
				}
			}
			return
		}
		if err := snap.Validate(); err != nil {
			t.Fatalf("accepted snapshot fails Validate: %v", err)
		}
		dumpSnapshot(snap)
		if _, err := BootstrapConfigDump(data, mustTime(t, "2026-01-01T00:00:00Z")); err != nil {
			t.Fatalf("accepted bootstrap has no config dump: %v", err)
		}
	})
}
