package telemetry

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func newLogger(t *testing.T, cfg config.AccessLog) *AccessLogger {
	t.Helper()
	l, err := NewAccessLogger(cfg)
	if err != nil {
		t.Fatalf("NewAccessLogger(%+v): %v", cfg, err)
	}
	return l
}

// waitGoroutines waits for the goroutine count to come back to n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d, want <= %d\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAccessLoggerWritesOnClose(t *testing.T) {
	before := runtime.NumGoroutine()
	path := filepath.Join(t.TempDir(), "access.log")
	l := newLogger(t, config.AccessLog{Path: path, Text: "%UPSTREAM_CLUSTER% %BYTES_SENT%"})
	for i := range 3 {
		e := tcpEntry()
		e.BytesSent = uint64(i)
		l.Log(e)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	l.Log(tcpEntry()) // after Close: ignored
	got := readLines(t, path)
	want := []string{"backend 0", "backend 1", "backend 2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines = %q, want %q", got, want)
	}
	waitGoroutines(t, before)
}

func TestAccessLoggerFlushesPeriodically(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l := newLogger(t, config.AccessLog{Path: path, Text: "%CONNECTION_ID%"})
	defer l.Close()
	l.Log(tcpEntry())
	deadline := time.Now().Add(flushInterval + 2*time.Second)
	for len(readLines(t, path)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("line not written within %v without Close", flushInterval+2*time.Second)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := readLines(t, path); len(got) != 1 || got[0] != "42" {
		t.Errorf("lines = %q", got)
	}
}

func TestAccessLoggersShareAPath(t *testing.T) {
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	path := filepath.Join(dir, "shared.log")
	text := newLogger(t, config.AccessLog{Path: path, Text: "text %CONNECTION_ID%"})
	js := newLogger(t, config.AccessLog{Path: filepath.Join(dir, ".", "shared.log"), JSON: map[string]string{"id": "%CONNECTION_ID%"}})
	if text.w != js.w {
		t.Fatalf("two loggers of one path got two writers")
	}
	var wg sync.WaitGroup
	const per = 500
	for _, l := range []*AccessLogger{text, js} {
		wg.Go(func() {
			for i := range per {
				e := tcpEntry()
				e.ConnectionID = uint64(i)
				l.Log(e)
			}
		})
	}
	wg.Wait()
	if err := text.Close(); err != nil {
		t.Fatalf("close text: %v", err)
	}
	js.Log(tcpEntry()) // the file stays open for the other logger
	if err := js.Close(); err != nil {
		t.Fatalf("close json: %v", err)
	}
	lines := readLines(t, path)
	var nText, nJSON int
	for _, line := range lines {
		switch {
		case strings.HasPrefix(line, "text "):
			nText++
		case json.Valid([]byte(line)):
			nJSON++
		default:
			t.Fatalf("torn or unknown line %q", line)
		}
	}
	if nText != per || nJSON != per+1 {
		t.Errorf("text lines %d, json lines %d; want %d and %d", nText, nJSON, per, per+1)
	}
	waitGoroutines(t, before)
}

func TestReopenAccessLogs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	l := newLogger(t, config.AccessLog{Path: path, Text: "%BYTES_SENT%"})
	defer l.Close()
	e := tcpEntry()
	e.BytesSent = 1
	l.Log(e)
	rotated := path + ".1"
	if err := os.Rename(path, rotated); err != nil {
		t.Fatal(err)
	}
	if err := ReopenAccessLogs(); err != nil {
		t.Fatalf("ReopenAccessLogs: %v", err)
	}
	e.BytesSent = 2
	l.Log(e)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := readLines(t, rotated); len(got) != 1 || got[0] != "1" {
		t.Errorf("rotated file = %q, want [1]", got)
	}
	if got := readLines(t, path); len(got) != 1 || got[0] != "2" {
		t.Errorf("new file = %q, want [2]", got)
	}
}

func TestReopenFailureKeepsOldFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "access.log")
	l := newLogger(t, config.AccessLog{Path: path, Text: "%BYTES_SENT%"})
	defer l.Close()
	// Keep a handle on the inode: the directory is about to vanish.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	err = ReopenAccessLogs()
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "reopen access log") {
		t.Fatalf("ReopenAccessLogs = %v, want a wrapped not-exist error", err)
	}
	l.Log(tcpEntry())
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	got, err := bufio.NewReader(f).ReadString('\n')
	if err != nil || got != "77\n" {
		t.Errorf("old file got %q, %v; want the line logged after the failed reopen", got, err)
	}
}

func TestAccessLoggerErrors(t *testing.T) {
	if _, err := NewAccessLogger(config.AccessLog{Path: filepath.Join(t.TempDir(), "no", "such", "dir.log")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing directory: %v", err)
	}
	if _, err := NewAccessLogger(config.AccessLog{}); err == nil || !strings.Contains(err.Error(), "path is empty") {
		t.Errorf("empty path: %v", err)
	}
	_, err := NewAccessLogger(config.AccessLog{Path: filepath.Join(t.TempDir(), "x.log"), Text: "%NOPE%"})
	if !errors.Is(err, ErrUnknownOperator) || !strings.Contains(err.Error(), "%NOPE%") {
		t.Errorf("bad format: %v", err)
	}
	writers.mu.Lock()
	n := len(writers.m)
	writers.mu.Unlock()
	if n != 0 {
		t.Errorf("%d writers left open after failed constructions", n)
	}
}

func TestAccessLoggerDropsWhenBufferFull(t *testing.T) {
	oldMax, oldInterval := maxBuffered, flushInterval
	maxBuffered, flushInterval = 100, time.Hour
	defer func() { maxBuffered, flushInterval = oldMax, oldInterval }()
	path := filepath.Join(t.TempDir(), "full.log")
	l := newLogger(t, config.AccessLog{Path: path, Text: "0123456789012345678"}) // 20 bytes a line
	for range 8 {
		l.Log(tcpEntry())
	}
	if got := l.Dropped(); got != 3 {
		t.Errorf("Dropped = %d, want 3", got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := len(readLines(t, path)); got != 5 {
		t.Errorf("%d lines written, want 5", got)
	}
}

func TestAccessLoggerStdout(t *testing.T) {
	l := newLogger(t, config.AccessLog{Path: "/dev/stdout", Text: ""})
	if l.w.f != os.Stdout || !l.w.std {
		t.Fatalf("/dev/stdout not mapped to os.Stdout")
	}
	if err := ReopenAccessLogs(); err != nil {
		t.Errorf("reopen with stdout open: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	// os.Stdout must still work.
	if _, err := fmt.Fprint(os.Stdout, ""); err != nil {
		t.Errorf("stdout closed: %v", err)
	}
}
