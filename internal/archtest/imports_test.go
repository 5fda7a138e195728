package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/sidewire/sidewire"

// rule forbids packages under dir (module-relative) from importing any
// path with one of the given prefixes, unless allowed.
type rule struct {
	dir    string
	forbid []string
	allow  []string
	why    string
}

var rules = []rule{
	{
		dir:    "codecs",
		forbid: []string{module + "/", "github.com/", "golang.org/", "google.golang.org/", "go.opentelemetry.io/", "gopkg.in/", "sigs.k8s.io/"},
		allow:  []string{module + "/codecs", "github.com/twmb/franz-go/pkg/kmsg", "github.com/apache/dubbo-go-hessian2"},
		why:    "codecs are leaf packages: stdlib, codecs and their wire library only",
	},
	{
		dir:    "proxy",
		forbid: []string{"github.com/envoyproxy/", "github.com/cncf/xds", "github.com/prometheus/", "go.opentelemetry.io/", module + "/xds"},
		why:    "proxy/ never touches Envoy protos or Prometheus: xds translates, telemetry measures",
	},
	{
		dir:    "telemetry",
		forbid: []string{"github.com/envoyproxy/", module + "/proxy/", module + "/xds", module + "/codecs/"},
		allow:  []string{module + "/proxy/config"},
		why:    "telemetry sees only the config IR",
	},
	{
		dir:    "cmd",
		forbid: []string{"github.com/envoyproxy/", "github.com/prometheus/"},
		why:    "the binary wires packages together; protos stay in xds, Prometheus in telemetry",
	},
}

func TestImportBoundaries(t *testing.T) {
	root := repoRoot(t)
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "interop") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		checked++
		for _, imp := range imports(t, path) {
			for _, r := range rules {
				if violates(r, filepath.ToSlash(rel), imp) {
					t.Errorf("%s imports %q: %s", rel, imp, r.why)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk tree: %v", err)
	}
	if checked < 10 {
		t.Fatalf("checked only %d files under %s: is the walk rooted right?", checked, root)
	}
}

func violates(r rule, rel, imp string) bool {
	if !strings.HasPrefix(rel, r.dir+"/") {
		return false
	}
	for _, a := range r.allow {
		if imp == a || strings.HasPrefix(imp, a+"/") {
			return false
		}
	}
	for _, f := range r.forbid {
		if strings.HasPrefix(imp, f) {
			return true
		}
	}
	return false
}

func imports(t *testing.T, path string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	var out []string
	for _, s := range f.Imports {
		p, _ := strconv.Unquote(s.Path.Value)
		out = append(out, p)
	}
	return out
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// TestRulesCatchViolations keeps the rules honest: each must reject a
// known-bad import and accept a known-good one.
func TestRulesCatchViolations(t *testing.T) {
	cases := []struct {
		rel, imp string
		bad      bool
	}{
		{"codecs/redis/codec.go", module + "/proxy/session", true},
		{"codecs/redis/codec.go", module + "/codecs", false},
		{"codecs/kafka/codec.go", "github.com/twmb/franz-go/pkg/kmsg", false},
		{"codecs/kafka/codec.go", "github.com/twmb/franz-go/pkg/kgo", true},
		{"proxy/server/server.go", "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3", true},
		{"proxy/server/server.go", "github.com/prometheus/client_golang/prometheus", true},
		{"proxy/server/server.go", module + "/telemetry", false},
		{"telemetry/store.go", module + "/proxy/config", false},
		{"telemetry/store.go", module + "/proxy/cluster", true},
	}
	for _, c := range cases {
		got := false
		for _, r := range rules {
			got = got || violates(r, c.rel, c.imp)
		}
		if got != c.bad {
			t.Errorf("%s importing %s: violation=%v, want %v", c.rel, c.imp, got, c.bad)
		}
	}
}
