package pool

import (
	"context"
	"time"

	"github.com/sidewire/sidewire/codecs"
)

// SendAsyncTimeout is SendAsync with the request bounded by timeout
// instead of Options.Timeout (a non-positive timeout keeps
// Options.Timeout): when it runs out, done is told ErrTimeout and the
// late response is dropped. It lets a proxy honour each request's own
// timeout (a Dubbo "timeout" attachment) on shared connections. The
// connection's one timeout timer is brought forward for a deadline
// earlier than those pending, so nothing is armed per request.
func (m *Multiplex) SendAsyncTimeout(ctx context.Context, req *codecs.Frame, done Completion, b *Batch, timeout time.Duration) error {
	return m.g.sendAsyncTimeout(ctx, req, done, b, timeout)
}

// setDeadline gives an asynchronous call its deadline, from its own
// timeout or Options.Timeout, and makes sure the timeout timer fires by
// then. c.mu is held.
func (c *conn) setDeadline(cl *call) {
	d := c.opt.Timeout
	if cl.timeout > 0 {
		d = cl.timeout
	}
	if d <= 0 {
		return
	}
	cl.deadline = time.Now().Add(d).UnixNano()
	c.armTimeouts(cl.deadline)
}
