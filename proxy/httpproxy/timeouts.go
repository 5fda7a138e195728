package httpproxy

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Why an exchange or an attempt was cancelled (context.Cause).
var (
	errRouteTimeout   = errors.New("route timeout")
	errPerTryTimeout  = errors.New("per try timeout")
	errIdleTimeout    = errors.New("stream idle timeout")
	errRequestTimeout = errors.New("request timeout")
)

// idleWatch fires when a stream has moved no bytes for d. Activity only
// stores a timestamp; the timer re-arms itself for what is left.
type idleWatch struct {
	d    time.Duration
	last atomic.Int64 // unix nanoseconds of the last activity
	fire func()

	mu      sync.Mutex
	t       *time.Timer
	stopped bool
}

func startIdleWatch(d time.Duration, fire func()) *idleWatch {
	w := &idleWatch{d: d, fire: fire}
	w.touch()
	w.mu.Lock()
	w.t = time.AfterFunc(d, w.check)
	w.mu.Unlock()
	return w
}

func (w *idleWatch) touch() { w.last.Store(time.Now().UnixNano()) }

func (w *idleWatch) check() {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return
	}
	idle := time.Duration(time.Now().UnixNano() - w.last.Load())
	if idle < w.d {
		w.t.Reset(w.d - idle)
		w.mu.Unlock()
		return
	}
	w.stopped = true
	w.mu.Unlock()
	w.fire()
}

func (w *idleWatch) stop() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.stopped = true
	w.t.Stop()
	w.mu.Unlock()
}

// timer is a one-shot timer that may be started late (the route timeout
// starts at the end of the request) and stopped from any goroutine.
type timer struct {
	mu      sync.Mutex
	t       *time.Timer
	stopped bool
}

// start arms the timer unless it was stopped or already started.
func (t *timer) start(d time.Duration, fire func()) {
	if d <= 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped || t.t != nil {
		return
	}
	t.t = time.AfterFunc(d, fire)
}

func (t *timer) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	if t.t != nil {
		t.t.Stop()
	}
}
