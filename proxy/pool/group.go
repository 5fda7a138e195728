package pool

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/codecs"
)

// group is a fixed set of shared connection slots to one endpoint,
// dialed lazily and re-dialed after failure (Pipeline, Multiplex).
type group struct {
	dialer Dialer
	cfg    connConfig
	opt    Options
	slots  []slot
	rr     atomic.Uint32
	ctx    context.Context // canceled by close; parents dials
	cancel context.CancelFunc
	closed atomic.Bool
	dials  sync.WaitGroup // dial goroutines
	conns  sync.WaitGroup // goroutines of every connection ever made
}

// slot is one connection position of a group.
type slot struct {
	mu      sync.Mutex
	conn    *conn
	dialing chan struct{} // closed when the dial in progress ends
	err     error         // last dial error
	retryAt time.Time     // fail fast until then
	backoff time.Duration
}

func newGroup(d Dialer, c codecs.Codec, opt Options, mux bool) *group {
	g := &group{dialer: d, opt: opt.withDefaults()}
	g.cfg = connConfig{codec: c, opt: &g.opt, mux: mux, wg: &g.conns}
	g.slots = make([]slot, g.opt.Conns)
	g.ctx, g.cancel = context.WithCancel(context.Background())
	return g
}

// roundTrip picks a connection round robin and sends req on it, retrying
// once on a fresh connection when the chosen one closed before queuing.
func (g *group) roundTrip(ctx context.Context, req *codecs.Frame, dst []Response) ([]Response, error) {
	s := &g.slots[int(g.rr.Add(1))%len(g.slots)]
	for attempt := 0; ; attempt++ {
		c, err := g.conn(ctx, s)
		if err != nil {
			return dst, err
		}
		dst, err = c.roundTrip(ctx, req, dst)
		if err != nil && attempt == 0 && unsent(err) {
			continue
		}
		return dst, err
	}
}

// conn returns the slot's live connection, dialing one if needed.
func (g *group) conn(ctx context.Context, s *slot) (*conn, error) {
	for {
		s.mu.Lock()
		switch {
		case g.closed.Load():
			s.mu.Unlock()
			return nil, &Error{Op: "connect upstream", Err: ErrPoolClosed}
		case s.conn != nil && !s.conn.isClosed():
			c := s.conn
			s.mu.Unlock()
			return c, nil
		case s.dialing == nil && time.Now().Before(s.retryAt):
			err := s.err
			s.mu.Unlock()
			return nil, &Error{Op: "connect upstream", Err: err}
		case s.dialing == nil:
			s.dialing = make(chan struct{})
			g.dials.Add(1)
			go g.dial(s, s.dialing)
		}
		ch := s.dialing
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, &Error{Op: "connect upstream", Err: ctx.Err()}
		}
		s.mu.Lock()
		c, err := s.conn, s.err
		s.mu.Unlock()
		if c == nil || c.isClosed() {
			if err == nil {
				err = ErrConnClosed
			}
			return nil, &Error{Op: "connect upstream", Err: err}
		}
		return c, nil
	}
}

// dial connects the slot and wakes the callers waiting on done.
func (g *group) dial(s *slot, done chan struct{}) {
	defer g.dials.Done()
	ctx, cancel := context.WithTimeout(g.ctx, g.opt.ConnectTimeout)
	nc, err := g.dialer.Dial(ctx)
	cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	defer close(done)
	s.dialing = nil
	if err == nil && g.closed.Load() {
		_ = nc.Close()
		err = ErrPoolClosed
	}
	if err != nil {
		s.conn, s.err = nil, fmt.Errorf("dial: %w", err)
		s.backoff = min(max(2*s.backoff, g.opt.BackoffBase), g.opt.BackoffMax)
		s.retryAt = time.Now().Add(s.backoff)
		return
	}
	s.conn, s.err, s.backoff, s.retryAt = newConn(nc, g.cfg), nil, 0, time.Time{}
}

// close fails every connection, stops dials and waits for goroutines.
func (g *group) close() error {
	if g.closed.Swap(true) {
		return nil
	}
	g.cancel()
	g.dials.Wait() // no dial can publish a connection after this
	for i := range g.slots {
		s := &g.slots[i]
		s.mu.Lock()
		c := s.conn
		s.conn = nil
		s.mu.Unlock()
		if c != nil {
			c.fail("receive response", ErrPoolClosed)
		}
	}
	g.conns.Wait() // includes connections that failed earlier
	return nil
}

// pending returns the requests awaiting responses on all connections.
func (g *group) pending() int {
	n := 0
	for i := range g.slots {
		s := &g.slots[i]
		s.mu.Lock()
		if c := s.conn; c != nil {
			c.mu.Lock()
			n += c.match.len()
			c.mu.Unlock()
		}
		s.mu.Unlock()
	}
	return n
}
