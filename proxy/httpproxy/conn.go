package httpproxy

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/listener"
)

// downstream is one downstream connection being served.
type downstream struct {
	f      *Filter
	c      *listener.Conn
	remote string // peer ip:port
	local  string
	scheme string // "https" over TLS, else "http"

	ended    chan struct{} // closed when net/http is done with the connection
	endOnce  sync.Once
	protocol atomic.Bool // HTTP/1 or HTTP/2 counted

	mu      sync.Mutex
	cond    sync.Cond
	active  int  // handlers running
	stopped bool // ServeConn is returning: handlers starting now return at once
}

// ServeConn implements listener.ConnHandler. It serves the connection
// with its own net/http server, HTTP/1.1 or HTTP/2 (prior knowledge, or
// ALPN "h2" over TLS) as the codec allows, until the connection ends.
// When the listener drains, the server shuts down gracefully: HTTP/2
// clients get a GOAWAY and their streams in flight finish; HTTP/1.1
// connections close once idle, a response in flight carrying
// "connection: close". When ctx ends the connection is closed at once.
// No goroutine of the connection outlives ServeConn.
func (f *Filter) ServeConn(ctx context.Context, c *listener.Conn) {
	s := f.stats
	s.cxTotal.Inc()
	s.cxActive.Inc()
	defer func() {
		s.cxActive.Dec()
		s.cxDestroy.Inc()
	}()
	d := &downstream{f: f, c: c, remote: c.TCP.RemoteAddr().String(), local: c.TCP.LocalAddr().String(),
		scheme: "http", ended: make(chan struct{})}
	d.cond.L = &d.mu
	if c.TLS != nil {
		d.scheme = "https"
	}
	srv := f.newServer(ctx, d)
	ln := &connListener{conn: c.Stream(), closed: make(chan struct{})}
	serveDone := make(chan struct{})
	go func() {
		defer close(serveDone)
		_ = srv.Serve(ln)
	}()
	d.wait(ctx, srv, ln, serveDone)
	d.stopHandlers()
}

// wait returns when the connection has ended, driving a graceful
// shutdown when the listener drains and a hard close when ctx ends.
func (d *downstream) wait(ctx context.Context, srv *http.Server, ln *connListener, serveDone chan struct{}) {
	draining, done := d.c.Draining(), ctx.Done()
	shutCtx, cancelShut := context.WithCancel(ctx)
	var shutDone chan struct{}
	served := serveDone
loop:
	for {
		select {
		case <-d.ended:
			break loop
		case <-served:
			served = nil
			if !ln.handedOut() {
				break loop // closed before net/http took the connection
			}
		case <-draining:
			draining = nil
			d.f.stats.cxDrainClose.Inc()
			shutDone = make(chan struct{})
			go func() {
				defer close(shutDone)
				_ = srv.Shutdown(shutCtx)
			}()
		case <-done:
			done = nil
			_ = srv.Close()
		}
	}
	ln.Close()
	cancelShut()
	<-serveDone
	if shutDone != nil {
		<-shutDone
	}
}

// newServer returns the net/http server of one connection.
func (f *Filter) newServer(ctx context.Context, d *downstream) *http.Server {
	cfg := f.cfg
	return &http.Server{
		Handler:                      d,
		ReadHeaderTimeout:            cfg.RequestHeadersTimeout,
		IdleTimeout:                  cfg.IdleTimeout,
		MaxHeaderBytes:               f.maxHdr,
		Protocols:                    serverProtocols(cfg.Codec),
		ConnState:                    d.connState,
		BaseContext:                  func(net.Listener) context.Context { return ctx },
		ErrorLog:                     f.errLog,
		DisableGeneralOptionsHandler: true,
	}
}

// serverProtocols maps the codec type to net/http's protocols. AUTO
// takes HTTP/1.1 and HTTP/2 with prior knowledge in plaintext, and
// whatever ALPN chose over TLS.
func serverProtocols(c config.HTTPCodec) *http.Protocols {
	var p http.Protocols
	switch c {
	case config.HTTPCodecHTTP1:
		p.SetHTTP1(true)
	case config.HTTPCodecHTTP2:
		p.SetHTTP2(true)
		p.SetUnencryptedHTTP2(true)
	default:
		p.SetHTTP1(true)
		p.SetHTTP2(true)
		p.SetUnencryptedHTTP2(true)
	}
	return &p
}

func (d *downstream) connState(_ net.Conn, st http.ConnState) {
	if st == http.StateClosed || st == http.StateHijacked {
		d.endOnce.Do(func() { close(d.ended) })
	}
}

// ServeHTTP implements http.Handler for the connection's requests.
func (d *downstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return
	}
	d.active++
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		if d.active--; d.active == 0 {
			d.cond.Broadcast()
		}
		d.mu.Unlock()
	}()
	if d.protocol.CompareAndSwap(false, true) {
		if r.ProtoMajor == 2 {
			d.f.stats.cxHTTP2.Inc()
		} else {
			d.f.stats.cxHTTP1.Inc()
		}
	}
	d.f.serveHTTP(d, w, r)
}

// stopHandlers waits for the handlers still running (HTTP/2 streams of a
// closed connection unwind with errors) and refuses new ones.
func (d *downstream) stopHandlers() {
	d.mu.Lock()
	d.stopped = true
	for d.active > 0 {
		d.cond.Wait()
	}
	d.mu.Unlock()
}

// connListener is a net.Listener that hands out one connection, then
// blocks until closed. Closing it before the connection was handed out
// closes the connection.
type connListener struct {
	conn   net.Conn
	mu     sync.Mutex
	handed bool
	closed chan struct{}
	once   sync.Once
}

var _ net.Listener = (*connListener)(nil)

func (l *connListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	select {
	case <-l.closed:
	default:
		if !l.handed {
			l.handed = true
			l.mu.Unlock()
			return l.conn, nil
		}
	}
	l.mu.Unlock()
	<-l.closed
	return nil, net.ErrClosed
}

func (l *connListener) handedOut() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.handed
}

func (l *connListener) Close() error {
	l.once.Do(func() {
		l.mu.Lock()
		close(l.closed) // Accept checks it under mu: no hand-out after this
		handed := l.handed
		l.mu.Unlock()
		if !handed {
			l.conn.Close()
		}
	})
	return nil
}

func (l *connListener) Addr() net.Addr { return l.conn.LocalAddr() }
