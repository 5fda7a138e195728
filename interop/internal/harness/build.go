package harness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// MainModule is the module path of Sidewire itself.
const MainModule = "github.com/sidewire/sidewire"

// FindModule walks up from dir to the directory whose go.mod declares
// module path mod.
func FindModule(dir, mod string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find module %s: %w", mod, err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if modulePath(filepath.Join(d, "go.mod")) == mod {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("find module %s: no go.mod declaring it in %s or above", mod, dir)
		}
	}
}

// modulePath returns the module line of a go.mod file, "" if unreadable.
func modulePath(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// Build runs `go build -o out [flags] pkg` in module directory dir with
// GOFLAGS=-mod=mod, returning the compiler output in the error.
func Build(dir, pkg, out string, flags ...string) error {
	args := append([]string{"build", "-o", out}, flags...)
	args = append(args, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s in %s: %w\n%s", pkg, dir, err, buf.String())
	}
	return nil
}

// SidewireBinary returns a sidewire binary to run: $SIDEWIRE_BIN when
// set, otherwise one built from the main module (found above dir) into
// outDir, with the race detector when race is true.
func SidewireBinary(dir, outDir string, race bool) (string, error) {
	if bin := os.Getenv("SIDEWIRE_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("sidewire binary from SIDEWIRE_BIN: %w", err)
		}
		return bin, nil
	}
	root, err := FindModule(dir, MainModule)
	if err != nil {
		return "", err
	}
	out := filepath.Join(outDir, "sidewire")
	var flags []string
	if race {
		flags = append(flags, "-race")
	}
	if err := Build(root, "./cmd/sidewire", out, flags...); err != nil {
		return "", errors.Join(errors.New("build sidewire (go build ./cmd/sidewire in the main module)"), err)
	}
	return out, nil
}
