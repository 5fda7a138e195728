package pool

import (
	"context"
	"time"

	"github.com/sidewire/sidewire/codecs"
)

// Completion receives the outcome of a request sent with SendAsync.
//
// Complete is called exactly once, on the goroutine that completes the
// request: the connection's reader (responses), the goroutine failing
// the connection, or the timeout timer. It must not block. resps holds
// the request's responses in order; Complete takes ownership of each
// Response (release them or hand them on) but not of the slice, which is
// reused after it returns. On error resps is empty and err is an *Error.
// b is the reader's Batch when the responses came off the connection
// (defer the writes they cause to it), nil otherwise.
type Completion interface {
	Complete(b *Batch, resps []Response, err error)
}

// SendAsync queues req like Send and returns without waiting; done is
// told the outcome. It reads req only until it returns. The request is
// bounded by Options.Timeout (set one: nothing else ends an unanswered
// request while the connection lives); on a Pipeline a timeout fails the
// connection and with it every request queued behind, since later
// responses can no longer be matched, as Envoy's Redis proxy does. On
// error nothing was queued and done is not called. A request expecting
// no response is completed (with no responses) before SendAsync returns.
//
// ctx bounds only the wait for a connection and for room on it. With a
// Batch the request's bytes are written when the batch runs (on its
// goroutine, unless a write is already in progress on the connection);
// without, a writer goroutine writes them.
func (p *Pipeline) SendAsync(ctx context.Context, req *codecs.Frame, done Completion, b *Batch) error {
	return p.g.sendAsync(ctx, req, done, b)
}

// SendAsync is Pipeline.SendAsync for a multiplexed pool, except that a
// timeout completes only the request concerned and its late response is
// dropped.
func (m *Multiplex) SendAsync(ctx context.Context, req *codecs.Frame, done Completion, b *Batch) error {
	return m.g.sendAsync(ctx, req, done, b)
}

func (g *group) sendAsync(ctx context.Context, req *codecs.Frame, done Completion, b *Batch) error {
	return g.sendAsyncTimeout(ctx, req, done, b, 0)
}

// sendAsyncTimeout is sendAsync with the request bounded by timeout
// instead of Options.Timeout when timeout is positive.
func (g *group) sendAsyncTimeout(ctx context.Context, req *codecs.Frame, done Completion, b *Batch, timeout time.Duration) error {
	s := &g.slots[int(g.rr.Add(1))%len(g.slots)]
	for attempt := 0; ; attempt++ {
		c, err := g.connFor(ctx, s, b)
		if err != nil {
			return err
		}
		_, err = c.queueTimeout(ctx, req, done, b, timeout)
		if err != nil && attempt == 0 && unsent(err) {
			continue
		}
		return err
	}
}

// finishAsync hands a completed asynchronous call to its Completion and
// recycles it.
func finishAsync(b *Batch, cl *call) {
	cl.cb.Complete(b, cl.resps, cl.err)
	putCall(cl)
}

// connFor is group.conn for a batch: before waiting for a dial it runs
// b, whose writes must not wait for it.
func (g *group) connFor(ctx context.Context, s *slot, b *Batch) (*conn, error) {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c == nil || c.isClosed() {
		b.Run()
	}
	return g.conn(ctx, s)
}

// Connected reports whether every connection of the pool is up, so that
// a send will not wait for a dial. Completions, which must not block,
// use it to decide whether to send from a goroutine of their own.
func (p *Pipeline) Connected() bool { return p.g.connected() }

func (g *group) connected() bool {
	for i := range g.slots {
		s := &g.slots[i]
		s.mu.Lock()
		c := s.conn
		s.mu.Unlock()
		if c == nil || c.isClosed() {
			return false
		}
	}
	return true
}
