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

// armTimeouts makes the timeout timer fire by deadline (unix nanos):
// it starts the timer, or brings it forward when it runs for later (a
// per-request timeout shorter than those pending). c.mu is held.
func (c *conn) armTimeouts(deadline int64) {
	if c.toArmed && c.toAt <= deadline {
		return
	}
	c.toArmed, c.toAt = true, deadline
	d := time.Duration(deadline - time.Now().UnixNano())
	if c.toTimer == nil {
		c.toTimer = time.AfterFunc(d, c.checkTimeouts)
		return
	}
	c.toTimer.Reset(d)
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
		c.toAt = next
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
