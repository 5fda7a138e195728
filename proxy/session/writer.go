package session

import (
	"runtime"
	"sync"

	"github.com/sidewire/sidewire/internal/ring"
	"github.com/sidewire/sidewire/proxy/pool"
)

// Write batching: answers ready together go out in one write call, and a
// batch is written once it reaches flushSize.
const (
	flushSize      = 256 << 10
	maxKeptWBuffer = 1 << 20
)

// writer owns the connection's write side. Answers are written by the
// writer goroutine, or, when they complete on a goroutine running a
// pool.Batch (an upstream connection's reader), by that goroutine at the
// end of its batch with a write that does not block (Flush): no
// goroutine is woken up for an answer the socket can take at once. What
// such a write cannot send is left to the writer goroutine (carry).
// busy marks the one write in progress; whoever holds it owns buf, carry
// and failed.
type writer struct {
	s       *Session
	ordered bool
	try     func([]byte) (int, error) // non-blocking write; nil: none
	mu      sync.Mutex
	q       ring.Ring[*Stream] // ordered: every stream; else done ones
	busy    bool               // a write is in progress
	// deferred: the writer is deferred to a batch that has not run yet.
	deferred bool
	wake     chan struct{}
	stop     chan struct{} // closed once no stream can complete any more
	exited   chan struct{}
	buf      []byte
	carry    []byte // bytes a Flush left unwritten; written first
	batch    []*Stream
	failed   bool
}

func newWriter(s *Session, ordered bool, try func([]byte) (int, error)) *writer {
	return &writer{s: s, ordered: ordered, try: try, wake: make(chan struct{}, 1),
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

// complete marks st's answer final. With a batch (and a connection that
// can write without blocking) the write is deferred to the batch;
// otherwise the writer goroutine is woken up.
func (w *writer) complete(st *Stream, b *pool.Batch) {
	w.mu.Lock()
	st.done = true
	if !w.ordered {
		w.q.Push(st)
	}
	if b != nil && w.try != nil {
		deferred := w.deferred
		w.deferred = true
		w.mu.Unlock()
		if !deferred {
			b.Defer(w)
		}
		return
	}
	w.mu.Unlock()
	w.signal()
}

func (w *writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

var _ pool.Flusher = (*writer)(nil)

// Flush implements pool.Flusher: it writes the answers ready at the head
// of the queue without blocking, leaving the rest to the writer
// goroutine. A write in progress, or bytes left over by an earlier
// Flush, leave everything to the writer goroutine.
func (w *writer) Flush() {
	w.mu.Lock()
	w.deferred = false
	if w.busy || len(w.carry) > 0 {
		w.mu.Unlock()
		w.signal()
		return
	}
	if !w.takeLocked() {
		w.mu.Unlock()
		return
	}
	w.busy = true
	w.mu.Unlock()
	out := w.encode(w.buf[:0], nil)
	if !w.failed {
		n, err := w.try(out)
		switch {
		case err != nil:
			w.fail(err)
		case n < len(out):
			w.carry = append(w.carry, out[n:]...)
		}
		if n > 0 {
			w.s.touch()
		}
	}
	w.keep(out)
	w.mu.Lock()
	w.busy = false
	more := len(w.carry) > 0 || w.headDone()
	w.mu.Unlock()
	if more {
		w.signal()
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
			w.finish()
			return
		}
	}
}

// finish writes what is left once no stream can complete any more,
// waiting out a Flush in progress.
func (w *writer) finish() {
	for {
		for w.flush() {
		}
		w.mu.Lock()
		busy := w.busy
		w.mu.Unlock()
		if !busy {
			return
		}
		runtime.Gosched()
	}
}

// flush writes the carried bytes and the answers at the head of the
// queue that are complete, blocking as needed. It reports whether it
// wrote anything.
func (w *writer) flush() bool {
	w.mu.Lock()
	if w.busy || !w.takeLocked() && len(w.carry) == 0 {
		w.mu.Unlock()
		return false
	}
	w.busy = true
	w.mu.Unlock()
	if len(w.carry) > 0 {
		w.carry = w.write(w.carry)
	}
	out := w.encode(w.buf[:0], w.write)
	w.keep(w.write(out))
	w.mu.Lock()
	w.busy = false
	w.mu.Unlock()
	return true
}

// takeLocked moves the complete answers at the head of the queue to
// w.batch and reports whether there were any. w.mu is held.
func (w *writer) takeLocked() bool {
	w.batch = w.batch[:0]
	for w.q.Len() > 0 {
		st, _ := w.q.Peek()
		if !st.done {
			break
		}
		w.q.Pop()
		w.batch = append(w.batch, st)
	}
	return len(w.batch) > 0
}

// headDone reports whether the head of the queue is complete. w.mu is
// held.
func (w *writer) headDone() bool {
	st, ok := w.q.Peek()
	return ok && st.done
}

// encode appends the answers of w.batch to out and releases their
// streams. With write, out is written whenever it reaches flushSize.
func (w *writer) encode(out []byte, write func([]byte) []byte) []byte {
	for i, st := range w.batch {
		out = st.appendTo(out, w.s.sc)
		w.s.release(st)
		w.batch[i] = nil
		if write != nil && len(out) >= flushSize {
			out = write(out)
		}
	}
	return out
}

// keep makes out's array the next write buffer, unless it grew too big.
func (w *writer) keep(out []byte) {
	if cap(out) > maxKeptWBuffer {
		out = nil
	}
	w.buf = out[:0]
}

// write sends out unless an earlier write failed, and returns out[:0].
func (w *writer) write(out []byte) []byte {
	if len(out) == 0 || w.failed {
		return out[:0]
	}
	if _, err := w.s.conn.Write(out); err != nil {
		w.fail(err)
	} else {
		w.s.touch()
	}
	return out[:0]
}

// fail records a failed write and aborts the session.
func (w *writer) fail(err error) {
	w.failed = true
	w.s.abort(err)
}
