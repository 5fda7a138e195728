package httpproxy

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// maxReplay is how much of a request body is kept so a retry or a mirror
// can send it again (Envoy's per_request_buffer_limit default is larger;
// past this the request is streamed and not retried).
const maxReplay = 64 << 10

var (
	errAttemptEnded = errors.New("upstream attempt abandoned")
	errBodyLost     = errors.New("request body no longer replayable")
)

// reqBody is the downstream request body as upstream attempts read it.
// It counts the bytes received, reports the end of the request (which
// starts the route timeout) and activity (the idle timeout), and, with
// replay, keeps a copy of what it read, up to maxReplay, for the next
// attempt or a mirror. Bytes stream through as they arrive: nothing
// waits for the whole body.
//
// One attempt is current at a time; an abandoned attempt's reads fail,
// and data its transport was still reading when it was abandoned is kept
// for the current one (or, past the buffer, makes it fail).
type reqBody struct {
	src    io.Reader
	replay bool
	onEOF  func() // called once, without locks held, at the clean end of the body
	onData func() // activity, for the idle timeout

	mu       sync.Mutex
	cond     sync.Cond // signalled when a read of src ends
	buf      []byte    // owned by reqBody; attempts copy out of it
	total    uint64
	reading  bool // a read of src is in progress
	done     bool
	err      error // src's final error, io.EOF at a clean end
	overflow bool  // the body outgrew buf: buf is gone
	lost     bool  // bytes read for an abandoned attempt could not be kept
	cur      *attemptBody
}

func newReqBody(src io.Reader, replay bool, onEOF, onData func()) *reqBody {
	b := &reqBody{src: src, replay: replay, onEOF: onEOF, onData: onData}
	b.cond.L = &b.mu
	return b
}

// attemptBody is one attempt's view of the request body, handed to the
// upstream transport as the request's Body.
type attemptBody struct {
	b    *reqBody
	off  int           // position in b.buf; guarded by b.mu
	sent atomic.Uint64 // bytes returned to the transport
}

// next returns the body for a new attempt, or nil when the body cannot
// be sent again (it was streamed, or outgrew the replay buffer).
func (b *reqBody) next() *attemptBody {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur != nil && !b.replayableLocked() {
		return nil
	}
	b.cur = &attemptBody{b: b}
	return b.cur
}

// replayable reports whether a new attempt could send the body again.
func (b *reqBody) replayable() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.replayableLocked()
}

func (b *reqBody) replayableLocked() bool {
	if b.lost || b.overflow {
		return false
	}
	return b.replay || b.total == 0 && !b.reading
}

// buffered returns a copy of the whole body when it was received
// completely and kept; ok is false otherwise.
func (b *reqBody) buffered() ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.done || b.err != io.EOF || b.overflow || b.lost || (!b.replay && b.total > 0) {
		return nil, false
	}
	return append([]byte(nil), b.buf...), true
}

// received returns the number of body bytes read from downstream.
func (b *reqBody) received() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}

// Read implements io.Reader for the transport.
func (a *attemptBody) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b := a.b
	b.mu.Lock()
	for {
		switch {
		case b.cur != a:
			b.mu.Unlock()
			return 0, errAttemptEnded
		case b.lost:
			b.mu.Unlock()
			return 0, errBodyLost
		case a.off < len(b.buf):
			n := copy(p, b.buf[a.off:])
			a.off += n
			a.sent.Add(uint64(n))
			b.mu.Unlock()
			return n, nil
		case b.done:
			err := b.err
			b.mu.Unlock()
			return 0, err
		case !b.reading:
			return a.readSrc(p)
		}
		b.cond.Wait() // an abandoned attempt's read is still in progress
	}
}

// readSrc reads from downstream; b.mu is held on entry and released.
func (a *attemptBody) readSrc(p []byte) (int, error) {
	b := a.b
	b.reading = true
	b.mu.Unlock()
	n, err := b.src.Read(p)
	if n > 0 && b.onData != nil {
		b.onData()
	}
	b.mu.Lock()
	b.reading = false
	b.cond.Broadcast()
	b.total += uint64(n)
	kept := false
	if n > 0 && b.replay && !b.overflow {
		if len(b.buf)+n <= maxReplay {
			b.buf = append(b.buf, p[:n]...)
			kept = true
		} else {
			b.overflow, b.buf = true, nil
		}
	}
	eof := false
	if err != nil && !b.done {
		b.done, b.err = true, err
		eof = err == io.EOF
	}
	current := b.cur == a
	switch {
	case !current && n > 0 && !kept:
		b.lost = true
	case current && kept:
		a.off = len(b.buf)
	}
	b.mu.Unlock()
	if eof && b.onEOF != nil {
		b.onEOF()
	}
	if !current {
		return 0, errAttemptEnded
	}
	a.sent.Add(uint64(n))
	return n, err
}

// Close implements io.Closer. The downstream body belongs to the
// server, which closes it.
func (a *attemptBody) Close() error { return nil }
