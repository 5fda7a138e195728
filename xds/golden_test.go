package xds

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/bootstrap")

const bootstrapTestdata = "../testdata/bootstrap"

// testFiles returns the YAML files in testdata/bootstrap/dir.
func testFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(bootstrapTestdata, dir, "*.yaml"))
	if err != nil {
		t.Fatalf("glob: %v", err)
	}
	if len(files) == 0 {
		t.Fatalf("no test files in %s/%s", bootstrapTestdata, dir)
	}
	return files
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatalf("write golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run go test ./xds -run %s -update to create it): %v", t.Name(), err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file %s\n--- got\n%s\n--- want\n%s", t.Name(), golden, got, want)
	}
}

func TestGoodBootstraps(t *testing.T) {
	for _, f := range testFiles(t, "good") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			snap, dyn, err := LoadBootstrapDynamic(data)
			if err != nil {
				t.Fatalf("LoadBootstrapDynamic: %v", err)
			}
			// The version hashes the file, comments included; it has its
			// own test.
			snap.Version = ""
			got := dumpSnapshot(snap)
			if dyn != nil {
				b, err := json.MarshalIndent(dyn, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				got = append(append(append(got, "dynamic_resources: "...), b...), '\n')
			}
			checkGolden(t, strings.TrimSuffix(f, ".yaml")+".golden", got)
		})
	}
}

func TestBadBootstraps(t *testing.T) {
	for _, f := range testFiles(t, "bad") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := LoadBootstrapFile(f)
			if err == nil {
				t.Fatal("LoadBootstrapFile succeeded, want an error")
			}
			checkGolden(t, strings.TrimSuffix(f, ".yaml")+".err", []byte(err.Error()+"\n"))
			if strings.HasPrefix(filepath.Base(f), "syntax-") {
				return
			}
			// Every configuration problem is a FieldError with a path.
			for _, e := range flatten(err) {
				var fe *config.FieldError
				if !errors.As(e, &fe) || fe.Path == "" {
					t.Errorf("error %q is not a *config.FieldError with a path", e)
				}
			}
		})
	}
}
