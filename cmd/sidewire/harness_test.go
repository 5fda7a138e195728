package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the sidewire binary the end-to-end tests run, built once by
// TestMain with the race detector.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sidewire-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, "make temp dir:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "sidewire")
	build := exec.Command("go", "build", "-race", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build sidewire:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running sidewire process.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	admin  string
	cfg    string
	mu     sync.Mutex
	logs   []string
	exited chan struct{}
	err    error
}

// startSidewire writes bootstrap to a file and runs `sidewire run -c` on
// it, waiting until /ready answers 200. The process is stopped (and its
// exit checked) at test cleanup.
func startSidewire(t *testing.T, bootstrap string, args ...string) *proc {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "bootstrap.yaml")
	if err := os.WriteFile(cfg, []byte(bootstrap), 0o600); err != nil {
		t.Fatal(err)
	}
	return startSidewireFile(t, cfg, args...)
}

func startSidewireFile(t *testing.T, cfg string, args ...string) *proc {
	t.Helper()
	return startSidewireArgs(t, cfg, append([]string{"run", "-c", cfg, "--log-level", "debug"}, args...)...)
}

// startSidewireArgs runs the binary with exactly args (cfg is remembered
// for tests that rewrite the file).
func startSidewireArgs(t *testing.T, cfg string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, cfg: cfg, exited: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start sidewire: %v", err)
	}
	adminCh := make(chan string, 1)
	go p.readLogs(stderr, adminCh)
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.stop)
	select {
	case p.admin = <-adminCh:
	case <-p.exited:
		t.Fatalf("sidewire exited early: %v\n%s", p.err, p.logText())
	case <-time.After(30 * time.Second):
		t.Fatalf("sidewire did not report its admin address\n%s", p.logText())
	}
	p.waitReady()
	return p
}

var adminRE = regexp.MustCompile(`"msg":"admin listening".*"address":"([^"]+)"`)

func (p *proc) readLogs(r io.Reader, adminCh chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.logs = append(p.logs, line)
		p.mu.Unlock()
		if m := adminRE.FindStringSubmatch(line); m != nil {
			adminCh <- m[1]
		}
	}
}

func (p *proc) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// hasLog reports whether a log line contains every substring.
func (p *proc) hasLog(subs ...string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.logs {
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(l, s)
		}
		if ok {
			return true
		}
	}
	return false
}

func (p *proc) waitReady() {
	p.t.Helper()
	eventually(p.t, 30*time.Second, "sidewire /ready", func() error {
		code, body := p.get("/ready")
		if code != 200 {
			return fmt.Errorf("status %d: %s", code, body)
		}
		return nil
	})
}

func (p *proc) get(path string) (int, string) {
	p.t.Helper()
	resp, err := http.Get("http://" + p.admin + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (p *proc) post(path string) int {
	p.t.Helper()
	resp, err := http.Post("http://"+p.admin+path, "text/plain", nil)
	if err != nil {
		p.t.Fatalf("POST %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// stat reads one counter or gauge from /stats.
func (p *proc) stat(name string) int64 {
	p.t.Helper()
	code, body := p.get("/stats?filter=" + url.QueryEscape("^"+regexp.QuoteMeta(name)+"$"))
	if code != 200 {
		p.t.Fatalf("/stats: %d %s", code, body)
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				p.t.Fatalf("stat %s: parse %q: %v", name, v, err)
			}
			return n
		}
	}
	return 0
}

// listener returns the bound address of the named listener and fails the
// test when there is none.
func (p *proc) listener(name string) string {
	p.t.Helper()
	addr := p.listenerAddr(name)
	if addr == "" {
		_, body := p.get("/listeners")
		p.t.Fatalf("listener %q not in /listeners:\n%s", name, body)
	}
	return addr
}

func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

// stop terminates the process and fails the test if it did not exit
// cleanly or the race detector reported anything.
func (p *proc) stop() {
	select {
	case <-p.exited:
	default:
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
			p.t.Errorf("sidewire did not exit within 30s of SIGTERM\n%s", p.logText())
		}
	}
	if strings.Contains(p.logText(), "WARNING: DATA RACE") {
		p.t.Errorf("race detector report:\n%s", p.logText())
	}
	if p.err != nil && !p.t.Failed() {
		p.t.Errorf("sidewire exited with %v\n%s", p.err, p.logText())
	}
}

// eventually polls f until it returns nil or the timeout passes.
// waitStat waits up to 5s for the stat name to reach at least min.
func (p *proc) waitStat(name string, min int64) {
	p.t.Helper()
	eventually(p.t, 5*time.Second, name, func() error {
		if got := p.stat(name); got < min {
			return fmt.Errorf("= %d, want >= %d", got, min)
		}
		return nil
	})
}

func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not true after %v: %v", what, timeout, err)
}

// refusedAddr names a loopback port that refused a
// connection a moment ago (for "upstream refused" cases).
func refusedAddr(t *testing.T) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return "127.0.0.1", port
}
