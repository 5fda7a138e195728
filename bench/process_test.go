package bench

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func newTestEnv(t *testing.T, opts Options) *Env {
	t.Helper()
	env, err := NewEnv(opts)
	if err != nil {
		t.Fatalf("NewEnv: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Errorf("Env.Close: %v", err)
		}
	})
	return env
}

// gone reports whether no process has pid (it exited and was reaped).
func gone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func TestProcessStop(t *testing.T) {
	env := newTestEnv(t, Options{})
	p, err := env.Start("sleeper", []string{"/bin/sleep", "60"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if gone(p.PID()) {
		t.Fatalf("process %d not running after Start", p.PID())
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !gone(p.PID()) {
		t.Errorf("process %d still exists after Stop", p.PID())
	}
	if err := p.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestProcessStopKillsAfterGrace(t *testing.T) {
	env := newTestEnv(t, Options{})
	p, err := env.Start("stubborn", []string{"/bin/sh", "-c", `trap "" TERM; echo armed; while :; do sleep 1; done`})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	p.grace = 200 * time.Millisecond
	// Wait until the trap is installed, or SIGTERM could land before it.
	err = waitReady(context.Background(), p, 5*time.Second, "trap", func(context.Context) error {
		if !strings.Contains(p.Output(), "armed") {
			return errors.New("not armed yet")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("waitReady: %v", err)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !gone(p.PID()) {
		t.Errorf("process %d survived SIGKILL", p.PID())
	}
}

func TestWaitReadyReportsEarlyExit(t *testing.T) {
	env := newTestEnv(t, Options{})
	p, err := env.Start("crasher", []string{"/bin/sh", "-c", "echo bad config >&2; exit 3"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	never := func(context.Context) error { return errors.New("not ready") }
	err = waitReady(context.Background(), p, 10*time.Second, "crasher", never)
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "bad config") {
		t.Errorf("waitReady error = %v, want the exit status and the output", err)
	}
}

func TestWaitReadyTimesOut(t *testing.T) {
	start := time.Now()
	err := waitReady(context.Background(), nil, 100*time.Millisecond, "nothing", func(context.Context) error { return errors.New("refused") })
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "refused") {
		t.Errorf("waitReady error = %v, want deadline exceeded quoting the last check error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("waitReady took %v for a 100ms deadline", time.Since(start))
	}
}

func TestEnvCloseStopsAll(t *testing.T) {
	env, err := NewEnv(Options{})
	if err != nil {
		t.Fatalf("NewEnv: %v", err)
	}
	var pids []int
	for i := 0; i < 3; i++ {
		p, err := env.Start("sleeper", []string{"/bin/sleep", "60"})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		pids = append(pids, p.PID())
	}
	if err := env.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, pid := range pids {
		if !gone(pid) {
			t.Errorf("process %d still exists after Close", pid)
		}
	}
	if _, err := os.Stat(env.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("bench dir %s still exists after Close (stat: %v)", env.Dir, err)
	}
	if _, err := env.Start("late", []string{"/bin/sleep", "60"}); err == nil {
		t.Errorf("Start after Close succeeded")
	}
}

func TestStartMissingBinaryNamesInstall(t *testing.T) {
	env := newTestEnv(t, Options{})
	_, err := env.Start("haproxy", []string{"/nonexistent/haproxy", "-db"})
	if err == nil || !strings.Contains(err.Error(), "apt-get install -y haproxy") {
		t.Errorf("Start of a missing haproxy: error = %v, want the install command", err)
	}
}

func TestTailBuffer(t *testing.T) {
	b := newTailBuffer(8)
	for _, s := range []string{"abc", "defg", "hijkl"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := b.String(); got != "efghijkl" {
		t.Errorf("tail = %q, want %q", got, "efghijkl")
	}
	_, _ = b.Write([]byte("0123456789"))
	if got := b.String(); got != "23456789" {
		t.Errorf("tail after a long write = %q, want %q", got, "23456789")
	}
}

func TestNewEnvResolvesBinaries(t *testing.T) {
	t.Chdir("/bin")
	env := newTestEnv(t, Options{Sidewire: "./sleep", Haproxy: "sh"})
	if env.Opts.Sidewire != "/bin/sleep" {
		t.Errorf("relative -sidewire ./sleep resolved to %q, want /bin/sleep", env.Opts.Sidewire)
	}
	if !strings.HasSuffix(env.Opts.Haproxy, "/sh") || !strings.HasPrefix(env.Opts.Haproxy, "/") {
		t.Errorf("bare name sh resolved to %q, want an absolute path from PATH", env.Opts.Haproxy)
	}
	// The child runs in env.Dir, where ./sleep does not exist.
	p, err := env.Start("sleeper", []string{env.Opts.Sidewire, "60"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}
