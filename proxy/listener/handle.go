package listener

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// peekBufs holds ClientHello peek buffers; the parsed result copies what it
// keeps, so a buffer goes back as soon as inspection ends.
var peekBufs = sync.Pool{New: func() any {
	b := make([]byte, maxClientHello+2*recordHeaderLen)
	return &b
}}

// handle runs listener filters on a new connection, picks its chain and
// serves it.
// The connection is already counted against cfg.
func (l *Listener) handle(tc *net.TCPConn, cfg *Config) {
	start := time.Now()
	c := &Conn{TCP: tc, Start: start, Listener: cfg.Listener, draining: l.draining}
	if l.opts.NextConnID != nil {
		c.ID = l.opts.NextConnID()
	}
	defer cfg.conns.Done()
	if !l.track(c) {
		tc.Close()
		return
	}
	l.stats.cxActive.Inc()
	defer func() {
		l.stats.cxActive.Dec()
		l.stats.cxDestroy.Inc()
		l.stats.cxLength.Record(uint64(time.Since(start).Milliseconds()))
		l.untrack(c)
	}()
	tc.SetNoDelay(true)
	if cfg.Listener.TLSInspector && !l.inspect(c, cfg) {
		tc.Close()
		return
	}
	chain := selectChain(cfg.Chains, matchInput{
		destPort:          uint32(tc.LocalAddr().(*net.TCPAddr).Port),
		serverName:        c.ServerName,
		transportProtocol: c.TransportProtocol,
		alpn:              c.ALPN,
	})
	if chain == nil {
		chain = cfg.Default
	}
	if chain == nil {
		l.stats.noChainMatch.Inc()
		l.opts.Logger.Debug("no filter chain match", "listener", cfg.Listener.Name, "remote", tc.RemoteAddr(), "sni", c.ServerName)
		tc.Close()
		return
	}
	c.Chain = chain.Config
	if chain.TLS != nil && !l.handshake(c, chain.TLS) {
		tc.Close()
		return
	}
	chain.Handler.ServeConn(l.ctx, c)
}

// handshakeTimeout bounds a downstream TLS handshake.
const handshakeTimeout = 10 * time.Second

// handshake terminates TLS on c with the chain's current certificates. It
// reports false when the connection must be closed.
func (l *Listener) handshake(c *Conn, t *TLS) bool {
	cfg, err := t.ServerConfig()
	if err != nil {
		l.stats.sslConnError.Inc()
		l.opts.Logger.Warn("tls handshake not possible", "listener", c.Listener.Name, "error", err)
		return false
	}
	ctx, cancel := context.WithTimeout(l.ctx, handshakeTimeout)
	defer cancel()
	tc := tls.Server(c.TCP, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		l.stats.sslConnError.Inc()
		l.opts.Logger.Debug("tls handshake failed", "listener", c.Listener.Name, "remote", c.TCP.RemoteAddr(), "error", err)
		return false
	}
	l.stats.sslHandshake.Inc()
	c.TLS = tc
	if c.ServerName == "" {
		c.ServerName = tc.ConnectionState().ServerName
	}
	return true
}

// inspect runs the TLS inspector. It reports false when the connection must
// be closed.
func (l *Listener) inspect(c *Conn, cfg *Config) bool {
	l.stats.preCxActive.Inc()
	defer l.stats.preCxActive.Dec()
	timeout := cfg.Listener.ListenerFilterTimeout
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	bp := peekBufs.Get().(*[]byte)
	defer peekBufs.Put(bp)
	buf := *bp
	var hello ClientHello
	var herr error = errNeedMore
	n, err := peek(c.TCP, buf, deadline, func(b []byte) bool {
		hello, herr = parseClientHello(b)
		return herr != errNeedMore
	})
	switch {
	case herr == nil:
		c.TransportProtocol = "tls"
		c.ServerName, c.ALPN = hello.ServerName, hello.ALPN
		l.tls.found(hello)
	case errors.Is(herr, errNotTLS):
		c.TransportProtocol = "raw_buffer"
		l.tls.notFound.Inc()
	case errors.Is(err, os.ErrDeadlineExceeded):
		l.stats.preCxTimeout.Inc()
		if !cfg.Listener.ContinueOnListenerFiltersTimeout {
			return false
		}
		c.TransportProtocol = "raw_buffer"
	case n >= maxClientHello:
		l.tls.tooLarge.Inc()
		return false
	default:
		// The peer closed or reset before a decision.
		l.stats.listenerFilterError.Inc()
		return false
	}
	l.tls.bytesProcessed.Record(uint64(n))
	return true
}
