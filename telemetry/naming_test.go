package telemetry

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const telemetryImport = "github.com/sidewire/sidewire/telemetry"

var (
	segmentRE  = regexp.MustCompile(`^[a-z0-9_]+$`)
	statNameRE = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)
	familyRE   = regexp.MustCompile(`^sidewire_[a-z0-9_]*[a-z0-9]$`)
)

// namingProblems inspects one parsed file for stat and metric names given
// as string literals:
//   - x.Sub("..."), x.Tagged("...", v): segment / tag name [a-z0-9_]+;
//   - x.Counter("..."), x.Gauge("..."), x.Histogram("...", u): dotted
//     [a-z0-9_]+ parts;
//   - prometheus.XxxOpts{Name: "..."} (with Namespace/Subsystem): the full
//     family name must be sidewire_[a-z0-9_]*.
func namingProblems(fset *token.FileSet, f *ast.File) []string {
	var problems []string
	report := func(n ast.Node, format string, args ...any) {
		problems = append(problems, fset.Position(n.Pos()).String()+": "+sprintf(format, args...))
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok || len(n.Args) == 0 {
				return true
			}
			lit, ok := stringLit(n.Args[0])
			if !ok {
				return true
			}
			switch sel.Sel.Name {
			case "Sub", "Tagged":
				if len(n.Args) == 1 && sel.Sel.Name == "Sub" || len(n.Args) == 2 && sel.Sel.Name == "Tagged" {
					if !segmentRE.MatchString(lit) {
						report(n, "%s(%q): want [a-z0-9_]+", sel.Sel.Name, lit)
					}
				}
			case "Counter", "Gauge", "Histogram":
				if !statNameRE.MatchString(lit) {
					report(n, "%s(%q): want dot-separated [a-z0-9_]+", sel.Sel.Name, lit)
				}
			}
		case *ast.CompositeLit:
			sel, ok := n.Type.(*ast.SelectorExpr)
			if !ok || !strings.HasSuffix(sel.Sel.Name, "Opts") {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "prometheus" {
				return true
			}
			fields := map[string]string{}
			for _, e := range n.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				key, _ := kv.Key.(*ast.Ident)
				if v, ok := stringLit(kv.Value); ok && key != nil {
					fields[key.Name] = v
				}
			}
			name, ok := fields["Name"]
			if !ok {
				return true
			}
			full := name
			if s := fields["Subsystem"]; s != "" {
				full = s + "_" + full
			}
			if ns := fields["Namespace"]; ns != "" {
				full = ns + "_" + full
			}
			if !familyRE.MatchString(full) {
				report(n, "metric family %q: want sidewire_[a-z0-9_]+", full)
			}
		}
		return true
	})
	return problems
}

func sprintf(format string, args ...any) string {
	var b strings.Builder
	_, _ = fmt.Fprintf(&b, format, args...)
	return b.String()
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

// importsTelemetry reports whether f uses the stats API: it imports this
// package, or is a non-test file of it.
func importsTelemetry(f *ast.File, path string) bool {
	if f.Name.Name == "telemetry" && filepath.Base(filepath.Dir(path)) == "telemetry" {
		return !strings.HasSuffix(path, "_test.go")
	}
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == telemetryImport {
			return true
		}
	}
	return false
}

func TestNamingProblemsDetects(t *testing.T) {
	const src = `package p
import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sidewire/sidewire/telemetry"
)
func f(s *telemetry.Scope, name string) {
	s.Sub("cluster").Tagged("envoy_cluster_name", name).Counter("upstream_cx_total")
	s.Sub("health_check").Counter("attempt.total")
	s.Sub("Bad").Tagged("bad-tag", name).Counter("cx-total")
	s.Gauge("a..b")
	_ = prometheus.CounterOpts{Name: "sidewire_requests_total"}
	_ = prometheus.CounterOpts{Namespace: "sidewire", Subsystem: "redis", Name: "commands_total"}
	_ = prometheus.HistogramOpts{Name: "requests_seconds"}
	_ = prometheus.GaugeOpts{Namespace: "sidewire", Name: "Bad"}
	s.Counter(name) // not a literal: not checked
}`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if !importsTelemetry(f, "x/p/p.go") {
		t.Fatalf("import not detected")
	}
	got := namingProblems(fset, f)
	want := []string{`Sub("Bad")`, `Tagged("bad-tag")`, `Counter("cx-total")`, `Gauge("a..b")`, `"requests_seconds"`, `"sidewire_Bad"`}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	all := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("no problem mentions %s:\n%s", w, all)
		}
	}
}

// TestModuleStatNaming is the convention test: it scans every Go file of
// the module that uses this package and checks the literal stat names.
func TestModuleStatNaming(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	fset := token.NewFileSet()
	scanned := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil // another package's broken file is that package's test failure
		}
		if !importsTelemetry(f, path) {
			return nil
		}
		scanned++
		for _, p := range namingProblems(fset, f) {
			t.Error(p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	if scanned == 0 {
		t.Fatalf("scanned no files: the walk is broken")
	}
}
