package telemetry

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Access log writer tuning. flushInterval bounds how long a line may sit
// in memory; flushThreshold wakes the flusher early; maxBuffered caps the
// memory a stuck disk can cost, after which lines are dropped and counted.
var (
	flushInterval  = time.Second
	flushThreshold = 64 << 10
	maxBuffered    = 16 << 20
)

// fileWriter is the one writer of an access log path, shared by every
// AccessLogger that names the path.
//
// Log lines are appended to buf under mu, which is all the data path
// waits for. A goroutine swaps buf out and writes it to the file under
// wmu, at least every flushInterval, sooner when buf passes
// flushThreshold, and on the last release.
type fileWriter struct {
	key string // registry key: cleaned absolute path, or /dev/stdout|stderr
	std bool   // os.Stdout or os.Stderr: never closed nor reopened

	mu      sync.Mutex // guards buf and closed
	buf     []byte
	closed  bool
	dropped atomic.Uint64

	wmu   sync.Mutex // serializes writes to f and reopening; guards f, spare, err
	f     *os.File
	spare []byte
	err   error // first write error since the last successful reopen

	refs    int // guarded by writers.mu
	kick    chan struct{}
	done    chan struct{}
	stopped chan struct{}
}

// writers maps a path to its live writer.
var writers = struct {
	mu sync.Mutex
	m  map[string]*fileWriter
}{m: make(map[string]*fileWriter)}

func writerKey(path string) (string, error) {
	switch path {
	case "":
		return "", errors.New("access log path is empty")
	case "/dev/stdout", "/dev/stderr":
		return path, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolve access log path %q: %w", path, err)
	}
	return abs, nil
}

// acquireWriter returns the writer for path, opening the file on first
// use. Each call must be paired with release.
func acquireWriter(path string) (*fileWriter, error) {
	key, err := writerKey(path)
	if err != nil {
		return nil, err
	}
	writers.mu.Lock()
	defer writers.mu.Unlock()
	if w := writers.m[key]; w != nil {
		w.refs++
		return w, nil
	}
	w := &fileWriter{
		key:     key,
		buf:     make([]byte, 0, initialBuffer),
		refs:    1,
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	switch key {
	case "/dev/stdout":
		w.f, w.std = os.Stdout, true
	case "/dev/stderr":
		w.f, w.std = os.Stderr, true
	default:
		if w.f, err = openLogFile(key); err != nil {
			return nil, err
		}
	}
	writers.m[key] = w
	go w.run()
	return w, nil
}

func openLogFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open access log: %w", err)
	}
	return f, nil
}

// write appends one formatted line. The writer copies p; the caller keeps
// ownership of it.
func (w *fileWriter) write(p []byte) {
	w.mu.Lock()
	if w.closed || len(w.buf)+len(p) > maxBuffered {
		w.mu.Unlock()
		w.dropped.Add(1)
		return
	}
	w.buf = append(w.buf, p...)
	full := len(w.buf) >= flushThreshold
	w.mu.Unlock()
	if full {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

func (w *fileWriter) run() {
	defer close(w.stopped)
	t := time.NewTicker(flushInterval)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-t.C:
		case <-w.kick:
		}
		w.flush()
	}
}

func (w *fileWriter) flush() {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.flushLocked()
}

// Buffer sizes: a fresh buffer holds two flush thresholds, so appends
// rarely grow it; one that grew past maxKeptBuffer in a burst is dropped
// after it was written instead of pinning the memory.
const (
	initialBuffer = 2 * 64 << 10
	maxKeptBuffer = 4 << 20
)

// flushLocked writes out what is buffered. w.wmu must be held.
func (w *fileWriter) flushLocked() {
	next := w.spare[:0]
	if cap(next) == 0 {
		next = make([]byte, 0, initialBuffer)
	}
	w.mu.Lock()
	if len(w.buf) == 0 {
		w.mu.Unlock()
		return
	}
	w.buf, w.spare = next, w.buf
	w.mu.Unlock()
	if _, err := w.f.Write(w.spare); err != nil && w.err == nil {
		w.err = fmt.Errorf("write access log %s: %w", w.key, err)
	}
	if cap(w.spare) > maxKeptBuffer {
		w.spare = nil
	}
}

// reopen flushes the buffered lines to the current file and then opens
// the path again, so that a rotated file is released. If the path cannot
// be opened the writer keeps the old file.
func (w *fileWriter) reopen() error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.flushLocked()
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if w.std || closed {
		return nil
	}
	f, err := openLogFile(w.key)
	if err != nil {
		return err
	}
	old := w.f
	w.f, w.err = f, nil
	if err := old.Close(); err != nil {
		return fmt.Errorf("close rotated access log %s: %w", w.key, err)
	}
	return nil
}

// release drops one reference. The last one stops the flusher, writes
// out what is buffered and closes the file.
func (w *fileWriter) release() error {
	writers.mu.Lock()
	w.refs--
	last := w.refs == 0
	if last {
		delete(writers.m, w.key)
	}
	writers.mu.Unlock()
	if !last {
		return nil
	}
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	close(w.done)
	<-w.stopped
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.flushLocked()
	err := w.err
	if !w.std {
		if cerr := w.f.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close access log %s: %w", w.key, cerr))
		}
	}
	return err
}

// ReopenAccessLogs reopens every open access log file (the SIGUSR1 log
// rotation of Envoy): buffered lines go to the old file, later lines to
// a new file at the same path. Standard output and error are left alone.
func ReopenAccessLogs() error {
	writers.mu.Lock()
	ws := make([]*fileWriter, 0, len(writers.m))
	for _, w := range writers.m {
		ws = append(ws, w)
	}
	writers.mu.Unlock()
	var errs []error
	for _, w := range ws {
		if err := w.reopen(); err != nil {
			errs = append(errs, fmt.Errorf("reopen access log: %w", err))
		}
	}
	return errors.Join(errs...)
}
