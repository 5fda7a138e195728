package session

import (
	"runtime"
	"sync"
	"time"

	"github.com/sidewire/sidewire/internal/ring"
)

// Write batching: answers ready together go out in one write call, and a
// batch is written once it reaches flushSize.
const (
	flushSize      = 256 << 10
	maxKeptWBuffer = 1 << 20
)

// writer owns the connection's write side.
type writer struct {
	s       *Session
	ordered bool
	mu      sync.Mutex
	q       ring.Ring[*Stream] // ordered: every stream; else done ones
	wake    chan struct{}
	stop    chan struct{} // closed once no stream can complete any more
	exited  chan struct{}
	buf     []byte
	batch   []*Stream
	failed  bool
}

func newWriter(s *Session, ordered bool) *writer {
	return &writer{s: s, ordered: ordered, wake: make(chan struct{}, 1),
		stop: make(chan struct{}), exited: make(chan struct{})}
}

// admit registers a stream at decode time, fixing its place in ordered
// mode.
func (w *writer) admit(st *Stream) {
	if !w.ordered {
		return
	}
	w.mu.Lock()
	w.q.Push(st)
	w.mu.Unlock()
}

// complete marks st's answer final and wakes the writer.
func (w *writer) complete(st *Stream) {
	w.mu.Lock()
	st.done = true
	if !w.ordered {
		w.q.Push(st)
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// loop writes answers until stop, then writes what is left and exits.
func (w *writer) loop() {
	defer close(w.exited)
	for {
		stopping := false
		select {
		case <-w.wake:
		case <-w.stop:
			stopping = true
		}
		// Let streams that are about to complete run first, so their
		// answers share this write call.
		runtime.Gosched()
		for w.flush() {
		}
		if stopping {
			return
		}
	}
}

// flush writes the answers at the head of the queue that are complete.
// It reports whether it found any.
func (w *writer) flush() bool {
	w.mu.Lock()
	w.batch = w.batch[:0]
	for w.q.Len() > 0 {
		st, _ := w.q.Peek()
		if !st.done {
			break
		}
		w.q.Pop()
		w.batch = append(w.batch, st)
	}
	w.mu.Unlock()
	if len(w.batch) == 0 {
		return false
	}
	out := w.buf[:0]
	for i, st := range w.batch {
		out = st.appendTo(out, w.s.sc)
		w.s.release(st)
		w.batch[i] = nil
		if len(out) >= flushSize {
			out = w.write(out)
		}
	}
	w.buf = w.write(out)
	if cap(w.buf) > maxKeptWBuffer {
		w.buf = nil
	}
	return true
}

// write sends out unless an earlier write failed, and returns out[:0].
func (w *writer) write(out []byte) []byte {
	if len(out) == 0 || w.failed {
		return out[:0]
	}
	if _, err := w.s.conn.Write(out); err != nil {
		w.failed = true
		w.s.abort(err)
	} else {
		w.s.touch(time.Now())
	}
	return out[:0]
}
