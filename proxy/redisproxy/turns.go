package redisproxy

import (
	"context"
	"sync"
)

// turns keeps a connection's commands in order upstream. The session
// runs each request's handler on its own goroutine, but a Redis client
// expects its pipelined commands to execute in the order it sent them
// (SET then GET reads the write). So every request takes its turn, by
// the sequence number it got when decoded, before queuing anything
// upstream, and passes it on once its commands are queued; the
// responses are then awaited concurrently, keeping the pipeline full.
type turns struct {
	mu      sync.Mutex
	next    uint32                   // the sequence number whose turn it is
	waiting map[uint32]chan struct{} // requests waiting for their turn
}

// take waits until it is seq's turn or ctx ends.
func (t *turns) take(ctx context.Context, seq uint32) error {
	t.mu.Lock()
	if t.next == seq {
		t.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	if t.waiting == nil {
		t.waiting = make(map[uint32]chan struct{})
	}
	t.waiting[seq] = ch
	t.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		t.mu.Lock()
		delete(t.waiting, seq)
		t.mu.Unlock()
		return ctx.Err()
	}
}

// pass ends seq's turn, which must have been taken, and wakes the next
// request if it waits.
func (t *turns) pass(seq uint32) {
	t.mu.Lock()
	t.next = seq + 1
	ch := t.waiting[t.next]
	if ch != nil {
		delete(t.waiting, t.next)
	}
	t.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}
