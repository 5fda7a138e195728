package pool

import "fmt"

// complete hands a call that left the matcher to its waiter or its
// Completion, or recycles it when nobody waits any more. It must be
// called without c.mu held: a Completion runs here. b is the reader's
// batch, nil elsewhere.
func (c *conn) complete(b *Batch, cl *call) {
	c.releaseSlot(cl)
	switch {
	case cl.heartbeat:
		c.hbBusy.Store(false)
		releaseAndPut(cl)
	case cl.cb != nil:
		finishAsync(b, cl)
	case cl.state.CompareAndSwap(callPending, callCompleted):
		cl.done <- struct{}{}
	default:
		releaseAndPut(cl)
	}
}

// fail closes the connection and fails every pending call with cause.
// It is idempotent; the first cause wins.
func (c *conn) fail(op string, cause error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed, c.cause = true, cause
	close(c.done)
	_ = c.nc.Close()
	if c.toTimer != nil {
		c.toTimer.Stop()
	}
	written := c.written.Load()
	var failed []*call
	c.match.drain(func(cl *call) {
		cl.err = &Error{Op: op, Sent: cl.start < written, Err: fmt.Errorf("%w: %w", ErrConnClosed, cause)}
		failed = append(failed, cl)
	})
	c.wbuf = nil
	c.mu.Unlock()
	for _, cl := range failed {
		c.complete(nil, cl)
	}
}

// closedErr reports a request refused by a closed connection.
func (c *conn) closedErr(sent bool) error {
	return &Error{Op: "send request", Sent: sent, Err: fmt.Errorf("%w: %w", ErrConnClosed, c.cause)}
}
