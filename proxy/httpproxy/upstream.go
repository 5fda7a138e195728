package httpproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/hostpools"
)

// sweepInterval is how often pools of hosts that left their cluster are
// looked for.
const sweepInterval = 5 * time.Second

// defaultUpstreamIdle is Envoy's upstream idle_timeout for clusters
// without HTTP protocol options.
const defaultUpstreamIdle = time.Hour

var errPoolClosed = errors.New("upstream pool closed")

// upstreams holds a filter's connection pools: one per host and HTTP
// version, made on first use and closed when their host leaves its
// cluster (see package hostpools) or the filter closes. Connections are
// net/http client connections (http.ClientConn) over connections made by
// Cluster.ConnectHost, so the cluster's connect timeout, circuit
// breaker, TLS, connection stats and outlier detection apply.
type upstreams struct {
	set    *hostpools.Set[poolKey, *hostPool]
	h1, h2 *http.Transport
}

type poolKey struct {
	h  *cluster.Host
	h2 bool
}

// dialTarget tells the transports' DialContext which host to connect
// to; it travels in the dial's context.
type dialTarget struct {
	cl *cluster.Cluster
	h  *cluster.Host
	up *cluster.Upstream // set by the dial
}

type dialKey struct{}

func newUpstreams(m *cluster.Manager, maxHeaderBytes int64, sweep time.Duration) *upstreams {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		t, _ := ctx.Value(dialKey{}).(*dialTarget)
		if t == nil {
			return nil, errors.New("dial upstream: no target")
		}
		up, err := t.cl.ConnectHost(ctx, t.h)
		if err != nil {
			return nil, err
		}
		t.up = up
		return up.CountingConn(), nil
	}
	newTransport := func(p *http.Protocols) *http.Transport {
		return &http.Transport{
			DialContext:            dial,
			Protocols:              p,
			DisableCompression:     true,
			MaxResponseHeaderBytes: maxHeaderBytes,
			WriteBufferSize:        16 << 10,
			ReadBufferSize:         16 << 10,
			HTTP2:                  &http.HTTP2Config{MaxReceiveBufferPerStream: 1 << 20},
		}
	}
	var p1, p2 http.Protocols
	p1.SetHTTP1(true)
	p2.SetUnencryptedHTTP2(true)
	return &upstreams{
		set: hostpools.New[poolKey, *hostPool](m, sweep, nil),
		h1:  newTransport(&p1),
		h2:  newTransport(&p2),
	}
}

// get returns the pool to h of cl for HTTP/2 or HTTP/1.1.
func (u *upstreams) get(cl *cluster.Cluster, h *cluster.Host, h2 bool, opts *config.HTTPProtocolOptions) (*hostPool, error) {
	return u.set.Get(poolKey{h: h, h2: h2}, func() *hostPool {
		p := &hostPool{cl: cl, h: h, h2: h2, t: u.h1, idle: defaultUpstreamIdle}
		if h2 {
			p.t = u.h2
		}
		if opts != nil {
			p.idle, p.maxReqs = opts.IdleTimeout, opts.MaxRequestsPerConnection
		}
		return p
	})
}

func (u *upstreams) close() { u.set.Close() }

// protocolOptions returns a cluster's HTTP protocol options, nil when it
// has none (HTTP/1.1).
func protocolOptions(cl *cluster.Cluster) *config.HTTPProtocolOptions {
	o, _ := cl.Config().ProtocolOptions[config.HTTPProtocolOptionsName].(*config.HTTPProtocolOptions)
	return o
}

// hostPool holds the connections to one host in one HTTP version. An
// HTTP/1.1 connection carries one request at a time; an HTTP/2 one as
// many streams as the server allows, and concurrent requests share one
// dial. Connections close after idle (IdleTimeout) without requests, or
// once they carried MaxRequestsPerConnection requests.
type hostPool struct {
	cl      *cluster.Cluster
	h       *cluster.Host
	h2      bool
	t       *http.Transport
	idle    time.Duration
	maxReqs uint32

	mu      sync.Mutex
	conns   []*upConn // open connections, oldest first
	free    []*upConn // HTTP/1.1: connections without a request, most recent last
	dialing *dialWait // HTTP/2: the dial concurrent requests wait for
	closed  bool
}

var _ hostpools.Member = (*hostPool)(nil)

// Where implements hostpools.Member.
func (p *hostPool) Where() (*cluster.Cluster, *cluster.Host) { return p.cl, p.h }

type dialWait struct {
	done chan struct{}
	err  error
}

// upConn is one pooled connection. Its http.ClientConn methods are never
// called with p.mu held: the connection's state hook may run inside
// them, and it takes p.mu.
type upConn struct {
	p     *hostPool
	cc    *http.ClientConn
	local string // local address, for access logs
	n     atomic.Uint32
	// users counts the callers holding c: from acquire until done. A
	// connection is idle, to be pooled, timed out or closed, only when
	// it has no users as well as nothing in flight: an HTTP/1.1 response
	// without a body leaves InFlight before RoundTrip has returned it.
	users atomic.Int32
	// retired connections take no new requests and close when idle;
	// closing is set while the idle timer decides to close.
	retired, closing atomic.Bool

	mu        sync.Mutex
	idleTimer *time.Timer
	free      bool // in p.free; guarded by p.mu
}

// acquire returns a connection with a request slot reserved for the
// caller, who must RoundTrip on it and call done once RoundTrip failed
// or the response body is closed. reused reports whether the connection
// carried requests before. fresh forces a new connection.
func (p *hostPool) acquire(ctx context.Context, fresh bool) (c *upConn, reused bool, err error) {
	for {
		if !fresh {
			if c := p.reserveExisting(); c != nil {
				return c, true, nil
			}
		}
		w, dialer, err := p.startDial()
		if err != nil {
			return nil, false, err
		}
		if !dialer {
			select {
			case <-w.done:
			case <-ctx.Done():
				return nil, false, context.Cause(ctx)
			}
			if w.err != nil && ctx.Err() == nil && !errors.Is(w.err, context.Canceled) {
				return nil, false, w.err
			}
			continue
		}
		c, err := p.dial(ctx, w)
		return c, false, err
	}
}

// reserveExisting reserves a slot on an open connection, or returns nil.
func (p *hostPool) reserveExisting() *upConn {
	if !p.h2 {
		for {
			p.mu.Lock()
			n := len(p.free)
			if n == 0 {
				p.mu.Unlock()
				return nil
			}
			c := p.free[n-1]
			p.free = p.free[:n-1]
			c.free = false
			p.mu.Unlock()
			if c.tryReserve() {
				return c
			}
		}
	}
	p.mu.Lock()
	conns := p.conns
	p.mu.Unlock()
	for _, c := range conns {
		if c.tryReserve() {
			return c
		}
	}
	return nil
}

// tryReserve takes a request slot on c for the caller, who then holds c
// until done, unless c is retired, closing or full.
func (c *upConn) tryReserve() bool {
	// users goes up before closing is read, and idleExpired sets closing
	// before it reads users: one of the two backs off.
	c.users.Add(1)
	if !c.reserve() {
		c.done()
		return false
	}
	return true
}

func (c *upConn) reserve() bool {
	if c.retired.Load() || c.closing.Load() {
		return false
	}
	if c.cc.Reserve() != nil {
		if c.cc.InFlight() == 0 && c.cc.Err() == nil && c.cc.Available() == 0 {
			// Unusable though idle (an HTTP/2 GOAWAY): done closes it.
			c.retired.Store(true)
		}
		return false
	}
	c.stopIdle()
	if n := c.n.Add(1); c.p.maxReqs > 0 && n >= c.p.maxReqs {
		if n > c.p.maxReqs {
			c.cc.Release()
			return false
		}
		c.retired.Store(true)
	}
	return true
}

// startDial returns the dial to wait for: a new one the caller makes
// (dialer true), or, for HTTP/2, the one in progress.
func (p *hostPool) startDial() (w *dialWait, dialer bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, false, errPoolClosed
	}
	if p.h2 && p.dialing != nil {
		return p.dialing, false, nil
	}
	w = &dialWait{done: make(chan struct{})}
	if p.h2 {
		p.dialing = w
	}
	return w, true, nil
}

// dial opens a connection and reserves its first slot for the caller.
func (p *hostPool) dial(ctx context.Context, w *dialWait) (*upConn, error) {
	t := &dialTarget{cl: p.cl, h: p.h}
	cc, err := p.t.NewClientConn(context.WithValue(ctx, dialKey{}, t), "http", p.h.String())
	var c *upConn
	if err == nil {
		c = &upConn{p: p, cc: cc}
		if t.up != nil {
			c.local = t.up.Conn.LocalAddr().String()
		}
		if rerr := cc.Reserve(); rerr != nil {
			err = fmt.Errorf("reserve new upstream connection: %w", rerr)
		} else {
			c.n.Store(1)
			c.users.Store(1)
			if p.maxReqs == 1 {
				c.retired.Store(true)
			}
		}
	}
	p.mu.Lock()
	if p.h2 && p.dialing == w {
		p.dialing = nil
	}
	w.err = err
	close(w.done)
	closed := p.closed
	if err == nil && !closed {
		p.conns = append(p.conns, c)
	}
	p.mu.Unlock()
	switch {
	case err != nil:
		if cc != nil {
			cc.Close()
		}
		return nil, err
	case closed:
		cc.Close()
		return nil, errPoolClosed
	}
	cc.SetStateHook(c.onState)
	return c, nil
}

// onState is the connection's state hook.
func (c *upConn) onState(*http.ClientConn) { c.settle() }

// done ends a hold on c that acquire gave.
func (c *upConn) done() {
	if c.users.Add(-1) == 0 {
		c.settle()
	}
}

// settle forgets a closed connection, closes a retired one once idle,
// and makes an idle one available again (HTTP/1.1) and subject to the
// idle timeout. It runs from the state hook and when the last user is
// done, so whichever of the two comes last acts.
func (c *upConn) settle() {
	p := c.p
	if c.cc.Err() != nil {
		p.remove(c)
		return
	}
	// retired is read before users: whoever retired c by reserving its
	// last request still holds it.
	retired := c.retired.Load() || p.isClosed()
	if c.users.Load() != 0 || c.cc.InFlight() != 0 {
		return
	}
	if retired {
		p.remove(c)
		c.cc.Close()
		return
	}
	if !p.h2 {
		p.mu.Lock()
		if !c.free && !p.closed {
			c.free = true
			p.free = append(p.free, c)
		}
		p.mu.Unlock()
	}
	c.armIdle()
}

func (c *upConn) armIdle() {
	d := c.p.idle
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idleTimer == nil {
		c.idleTimer = time.AfterFunc(d, c.idleExpired)
	} else {
		c.idleTimer.Reset(d)
	}
}

func (c *upConn) stopIdle() {
	c.mu.Lock()
	if c.idleTimer != nil {
		c.idleTimer.Stop()
	}
	c.mu.Unlock()
}

// idleExpired closes the connection unless a request took it meanwhile:
// closing is set before users is read, and tryReserve reads closing
// after counting itself a user, so one of the two backs off.
func (c *upConn) idleExpired() {
	c.closing.Store(true)
	if c.users.Load() != 0 || c.cc.InFlight() != 0 {
		c.closing.Store(false)
		return
	}
	c.p.remove(c)
	c.cc.Close()
}

func (p *hostPool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

func (p *hostPool) remove(c *upConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// conns is copied on write: reserveExisting reads it unlocked.
	if i := slices.Index(p.conns, c); i >= 0 {
		p.conns = slices.Delete(slices.Clone(p.conns), i, i+1)
	}
	if c.free {
		c.free = false
		if i := slices.Index(p.free, c); i >= 0 {
			p.free = slices.Delete(p.free, i, i+1)
		}
	}
}

// Close implements hostpools.Member: it closes every connection,
// interrupting what is in flight on them.
func (p *hostPool) Close() {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.conns, p.free = nil, nil
	p.mu.Unlock()
	for _, c := range conns {
		c.stopIdle()
		c.cc.Close()
	}
}
