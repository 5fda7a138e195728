package pool

import (
	"context"

	"github.com/sidewire/sidewire/codecs"
)

// Pending is a request queued on an upstream connection whose responses
// have not been collected yet: the first half of a RoundTrip. Sending
// and waiting apart lets a caller keep a client's requests in order
// upstream (send the next one once Send returned) while their responses
// are still in flight. Wait must be called exactly once.
type Pending struct {
	c  *conn
	cl *call // nil when the request expects no response
}

// Send queues req on one of the pool's connections, dialing if needed,
// and returns without waiting for the responses. It reads req only until
// it returns. With Options.Conns == 1, requests sent one after another
// (each Send returning before the next starts) are written in that
// order. A request refused by a connection that closed before queuing
// it is retried once on a fresh connection, as in RoundTrip; once queued
// it is not retried.
func (p *Pipeline) Send(ctx context.Context, req *codecs.Frame) (Pending, error) {
	return p.g.send(ctx, req)
}

func (g *group) send(ctx context.Context, req *codecs.Frame) (Pending, error) {
	s := &g.slots[int(g.rr.Add(1))%len(g.slots)]
	for attempt := 0; ; attempt++ {
		c, err := g.conn(ctx, s)
		if err != nil {
			return Pending{}, err
		}
		cl, err := c.queue(ctx, req, nil, nil)
		if err != nil && attempt == 0 && unsent(err) {
			continue
		}
		if err != nil {
			return Pending{}, err
		}
		return Pending{c: c, cl: cl}, nil
	}
}

// Wait waits for the responses of a sent request and appends them to
// dst, like RoundTrip. On error dst is returned unchanged; the error is
// an *Error. A zero Pending (a failed Send) returns dst at once.
func (pd Pending) Wait(ctx context.Context, dst []Response) ([]Response, error) {
	if pd.c == nil {
		return dst, nil
	}
	return pd.c.collect(ctx, pd.cl, dst)
}
