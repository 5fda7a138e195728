package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFindModule(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/top\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := FindModule(sub, "example.com/top")
	if err != nil || got != root {
		t.Errorf("FindModule = %q, %v; want %q", got, err, root)
	}
	if _, err := FindModule(sub, "example.com/none"); err == nil {
		t.Errorf("FindModule of an absent module succeeded")
	}
}

func TestProcessWaitLineAndStop(t *testing.T) {
	p, err := Start("sh", "/bin/sh", "-c", "echo one; echo two >&2; exec sleep 30")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"one", "two"} {
		if _, err := p.WaitLine(func(l string) bool { return l == want }, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Stop(5 * time.Second); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if _, err := p.WaitLine(func(l string) bool { return l == "never" }, 5*time.Second); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("WaitLine after exit = %v; want an exit error", err)
	}
}

func TestProcessExitFailure(t *testing.T) {
	p, err := Start("false", "/bin/sh", "-c", "exit 3")
	if err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	if err := p.Stop(time.Second); err == nil {
		t.Errorf("Stop of a process that exited 3 = nil; want its failure")
	}
}
