package pool

import "fmt"

// complete hands a call that left the matcher to its waiter, or
// recycles it when nobody waits any more.
func (c *conn) complete(cl *call) {
	c.releaseSlot(cl)
	if cl.heartbeat {
		c.hbBusy.Store(false)
		releaseAndPut(cl)
		return
	}
	if cl.state.CompareAndSwap(callPending, callCompleted) {
		cl.done <- struct{}{}
		return
	}
	releaseAndPut(cl)
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
	written := c.written.Load()
	c.match.drain(func(cl *call) {
		cl.err = &Error{Op: op, Sent: cl.start < written, Err: fmt.Errorf("%w: %w", ErrConnClosed, cause)}
		c.complete(cl)
	})
	c.wbuf = nil
	c.mu.Unlock()
}

// closedErr reports a request refused by a closed connection.
func (c *conn) closedErr(sent bool) error {
	return &Error{Op: "send request", Sent: sent, Err: fmt.Errorf("%w: %w", ErrConnClosed, c.cause)}
}
