package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// yamlBlock is a fenced YAML block of a markdown file.
var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// Every YAML example in README.md is a bootstrap `sidewire validate`
// accepts, so the examples users copy keep working as the code changes.
func TestReadmeExamplesValidate(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlBlock.FindAllSubmatch(readme, -1)
	if len(blocks) < 3 {
		t.Fatalf("found %d YAML examples in README.md, want at least 3", len(blocks))
	}
	dir := t.TempDir()
	for i, b := range blocks {
		path := filepath.Join(dir, "example.yaml")
		if err := os.WriteFile(path, b[1], 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := validateCmd()
		var out strings.Builder
		cmd.SetOut(&out)
		cmd.SetArgs([]string{path})
		if err := cmd.Execute(); err != nil {
			t.Errorf("README example %d does not validate: %v\n%s", i+1, err, b[1])
			continue
		}
		if !strings.Contains(out.String(), "valid") {
			t.Errorf("README example %d: validate printed %q", i+1, out.String())
		}
	}
}
