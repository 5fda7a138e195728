package pool

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/sidewire/sidewire/codecs"
)

// Bound hands out upstream connections that each serve one downstream
// session (MySQL, Redis transactions and pub/sub, plain TCP). Nothing is
// shared or reused: session state on the upstream dies with the session.
type Bound struct {
	dialer Dialer
	codec  codecs.Codec
	opt    Options
	mu     sync.Mutex
	conns  map[*BoundConn]struct{}
	closed bool
}

// NewBound returns a bound pool to the endpoint d dials. codec may be nil
// when only Dial (raw bytes) is used.
func NewBound(d Dialer, codec codecs.Codec, opt Options) *Bound {
	return &Bound{dialer: d, codec: codec, opt: opt.withDefaults(), conns: make(map[*BoundConn]struct{})}
}

// Dial opens a raw upstream connection for Splice; the caller closes it.
func (b *Bound) Dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opt.ConnectTimeout)
	defer cancel()
	nc, err := b.dialer.Dial(ctx)
	if err != nil {
		return nil, &Error{Op: "connect upstream", Err: fmt.Errorf("dial: %w", err)}
	}
	return nc, nil
}

// Connect opens a framed connection for one session. Responses are
// matched in request order; server events that need no answer (pub/sub
// messages, RESP3 pushes) go to onEvent, which takes ownership of the
// Response and runs on the connection's read goroutine (nil drops them).
func (b *Bound) Connect(ctx context.Context, onEvent func(Response)) (*BoundConn, error) {
	if b.codec == nil {
		return nil, &Error{Op: "connect upstream", Err: fmt.Errorf("bound pool has no codec: use Dial")}
	}
	nc, err := b.Dial(ctx)
	if err != nil {
		return nil, err
	}
	bc := &BoundConn{b: b}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		_ = nc.Close()
		return nil, &Error{Op: "connect upstream", Err: ErrPoolClosed}
	}
	bc.c = newConn(nc, connConfig{codec: b.codec, opt: &b.opt, onEvent: onEvent})
	b.conns[bc] = struct{}{}
	b.mu.Unlock()
	return bc, nil
}

// Close closes every connection handed out and not yet closed.
func (b *Bound) Close() error {
	b.mu.Lock()
	b.closed = true
	conns := make([]*BoundConn, 0, len(b.conns))
	for bc := range b.conns {
		conns = append(conns, bc)
	}
	b.mu.Unlock()
	for _, bc := range conns {
		_ = bc.Close()
	}
	return nil
}

// BoundConn is one upstream connection owned by one session. It is not
// re-dialed: once it fails every RoundTrip fails, and the session should
// end too.
type BoundConn struct {
	b *Bound
	c *conn
}

var _ RoundTripper = (*BoundConn)(nil)

// RoundTrip implements RoundTripper with in-order matching.
func (bc *BoundConn) RoundTrip(ctx context.Context, req *codecs.Frame, dst []Response) ([]Response, error) {
	return bc.c.roundTrip(ctx, req, dst)
}

// SendAsync queues req like Pipeline.SendAsync and returns without
// waiting; done is told the outcome, in request order, on the
// connection's read goroutine (or the goroutine failing it). Unlike a
// Pipeline a BoundConn never re-dials: once it has failed SendAsync
// fails. Options.Timeout bounds the request as on a Pipeline (0: only a
// failure or Close ends it).
func (bc *BoundConn) SendAsync(ctx context.Context, req *codecs.Frame, done Completion, b *Batch) error {
	_, err := bc.c.queue(ctx, req, done, b)
	return err
}

// Done is closed when the connection has failed or been closed.
func (bc *BoundConn) Done() <-chan struct{} { return bc.c.done }

// Close fails pending requests, closes the connection and waits for its
// goroutines. It is idempotent.
func (bc *BoundConn) Close() error {
	bc.c.fail("receive response", ErrPoolClosed)
	bc.c.wg.Wait() // its reader and writer have exited
	bc.b.mu.Lock()
	delete(bc.b.conns, bc)
	bc.b.mu.Unlock()
	return nil
}
