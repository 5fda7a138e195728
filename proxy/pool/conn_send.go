package pool

import (
	"context"
	"fmt"
	"time"

	"github.com/sidewire/sidewire/codecs"
)

// roundTrip sends req and waits for its responses.
func (c *conn) roundTrip(ctx context.Context, req *codecs.Frame, dst []Response) ([]Response, error) {
	cl, err := c.queue(ctx, req, nil, nil)
	if err != nil {
		return dst, err
	}
	return c.collect(ctx, cl, dst)
}

// queue sends req and returns its call, nil when req expects no
// response. With cb the call is asynchronous: cb is told the outcome and
// the returned call belongs to the connection.
func (c *conn) queue(ctx context.Context, req *codecs.Frame, cb Completion, b *Batch) (*call, error) {
	return c.queueTimeout(ctx, req, cb, b, 0)
}

// queueTimeout is queue with an asynchronous call bounded by timeout
// instead of Options.Timeout when timeout is positive.
func (c *conn) queueTimeout(ctx context.Context, req *codecs.Frame, cb Completion, b *Batch, timeout time.Duration) (*call, error) {
	want := c.cc.Responses(req)
	if c.mux && want > 1 {
		want = 1
	}
	cl := getCall()
	cl.want, cl.reqID, cl.cb, cl.timeout = want, req.ID, cb, timeout
	if err := c.send(ctx, req, cl, b); err != nil {
		putCall(cl)
		return nil, err
	}
	if want == 0 {
		putCall(cl)
		if cb != nil {
			cb.Complete(nil, nil, nil)
		}
		return nil, nil
	}
	return cl, nil
}

// collect waits for a queued call's responses and appends them to dst.
func (c *conn) collect(ctx context.Context, cl *call, dst []Response) ([]Response, error) {
	if cl == nil {
		return dst, nil
	}
	if err := c.wait(ctx, cl); err != nil {
		return dst, err // cl now belongs to whoever completes it
	}
	if err := cl.err; err != nil {
		releaseAndPut(cl) // partial answers of a failed request are dropped
		return dst, err
	}
	dst = append(dst, cl.resps...)
	clear(cl.resps)
	putCall(cl)
	return dst, nil
}

// send queues req's bytes and, when it expects responses, registers cl.
// The bytes are written when b runs, or by the writer goroutine when b
// is nil.
func (c *conn) send(ctx context.Context, req *codecs.Frame, cl *call, b *Batch) error {
	if cl.want > 0 {
		if err := c.acquire(ctx, cl, b); err != nil {
			return err
		}
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.releaseSlot(cl)
		return c.closedErr(false)
	}
	if cl.want == 0 && len(c.wbuf) >= c.opt.BufferLimit {
		// Requests awaiting answers are bounded by MaxPending; one-way
		// ones by the bytes waiting for the writer.
		c.mu.Unlock()
		return &Error{Op: "send request", Err: ErrBufferFull}
	}
	cl.id = c.match.nextID()
	n := len(c.wbuf)
	out, err := c.cc.AppendRequest(c.wbuf, req, cl.id)
	if err != nil {
		c.wbuf = c.wbuf[:n]
		c.mu.Unlock()
		c.releaseSlot(cl)
		return &Error{Op: "send request", Err: fmt.Errorf("encode request: %w", err)}
	}
	c.wbuf = out
	cl.start = c.queued
	c.queued += int64(len(out) - n)
	cl.end = c.queued
	if cl.want > 0 {
		c.match.add(cl)
		if cl.cb != nil {
			c.setDeadline(cl)
		}
	}
	switch {
	case b != nil && c.deferred:
		// A batch will flush the connection; the bytes go with it.
		c.mu.Unlock()
	case b != nil && c.match.len() <= 1:
		// Nothing else in flight: write at the end of the caller's
		// batch, on its goroutine, with no wake-up.
		c.deferred = true
		c.mu.Unlock()
		b.Defer(c)
	default:
		// Other requests are in flight, so more are likely coming from
		// other clients: the writer goroutine, which lets them queue
		// before it writes, coalesces them into one write call.
		c.mu.Unlock()
		c.kick()
	}
	return nil
}

// acquire takes a MaxPending slot for cl. Before waiting for one it runs
// b: requests deferred to it may be what the slots wait for.
func (c *conn) acquire(ctx context.Context, cl *call, b *Batch) error {
	select {
	case c.slots <- struct{}{}:
		cl.slot = true
		return nil
	default:
	}
	b.Run()
	select {
	case c.slots <- struct{}{}:
		cl.slot = true
		return nil
	case <-c.done:
		return c.closedErr(false)
	case <-ctx.Done():
		return &Error{Op: "send request", Err: ctx.Err()}
	}
}

func (c *conn) releaseSlot(cl *call) {
	if cl.slot {
		cl.slot = false
		<-c.slots
	}
}

// kick wakes the writer.
func (c *conn) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// wait blocks until cl completes, the context ends or the request times
// out. After an error the call belongs to whoever completes it.
func (c *conn) wait(ctx context.Context, cl *call) error {
	var cause error
	select {
	case <-cl.done:
		cl.stopTimer()
		return nil
	case <-ctx.Done():
		cause = ctx.Err()
	case <-cl.armTimer(c.opt.Timeout):
		cause = ErrTimeout
	}
	cl.stopTimer()
	if !cl.state.CompareAndSwap(callPending, callAbandoned) {
		<-cl.done // completed concurrently: take the result
		return nil
	}
	c.mu.Lock()
	removed := c.match.remove(cl)
	c.mu.Unlock()
	if removed {
		c.releaseSlot(cl)
		putCall(cl)
	}
	return &Error{Op: "wait for response", Sent: true, Err: cause}
}
