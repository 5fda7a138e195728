package dubbo

import (
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the package a leaf: the standard library, codecs
// and dubbo-go-hessian2 only (tests may use more).
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(gotoken.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			if strings.Contains(first, ".") && path != "github.com/sidewire/sidewire/codecs" &&
				!strings.HasPrefix(path, "github.com/apache/dubbo-go-hessian2") {
				t.Errorf("%s imports %q: codecs/dubbo may import only the standard library, codecs and dubbo-go-hessian2", name, path)
			}
		}
	}
}
