package pool

import (
	"time"
)

// Asynchronous calls (SendAsync) have no goroutine waiting with a timer,
// so each connection watches their deadlines with one timer of its own,
// armed while such calls are pending: nothing per request, nothing while
// idle. On a pipelined connection a timed-out call fails the connection
// (the responses behind it could no longer be matched); on a
// multiplexed one only the expired calls fail.

// armTimeouts starts the timeout timer unless it runs. c.mu is held.
func (c *conn) armTimeouts() {
	if c.toArmed {
		return
	}
	c.toArmed = true
	if c.toTimer == nil {
		c.toTimer = time.AfterFunc(c.opt.Timeout, c.checkTimeouts)
		return
	}
	c.toTimer.Reset(c.opt.Timeout)
}

// checkTimeouts runs on the timer: it fails what expired and re-arms for
// the next deadline, or disarms when no asynchronous call is pending.
func (c *conn) checkTimeouts() {
	now := time.Now().UnixNano()
	c.mu.Lock()
	if c.closed {
		c.toArmed = false
		c.mu.Unlock()
		return
	}
	var expired []*call
	if c.mux {
		c.match.expire(now, func(cl *call) { expired = append(expired, cl) })
	}
	next := c.match.nextDeadline()
	switch {
	case next == 0:
		c.toArmed = false
	case next > now:
		c.toTimer.Reset(time.Duration(next - now))
	}
	c.mu.Unlock()
	for _, cl := range expired {
		cl.err = &Error{Op: "wait for response", Sent: true, Err: ErrTimeout}
		c.complete(nil, cl)
	}
	if next != 0 && next <= now { // pipelined: the oldest call expired
		c.fail("wait for response", ErrTimeout)
	}
}
