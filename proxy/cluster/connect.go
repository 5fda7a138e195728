package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"
)

// dialer dials upstreams and health checks. Go enables TCP_NODELAY on
// every TCP connection it makes, so upstream writes are not delayed.
var dialer net.Dialer

// Upstream is one connection to a host of a cluster. Conn is the raw
// *net.TCPConn so the caller can splice; TLS, for a cluster with an
// upstream TLS context, is the TLS connection over it, which the caller
// must read and write instead (see Stream). The caller owns them until
// Close.
type Upstream struct {
	Conn *net.TCPConn
	TLS  *tls.Conn
	Host *Host

	c      *Cluster
	start  time.Time
	closed atomic.Bool
}

// Connect picks a host and connects to it within the cluster's
// connect_timeout. Errors wrap ErrNoHealthyUpstream (nothing to pick),
// ErrOverflow (max_connections reached), the caller's context error, or
// are a *ConnectError. A failed connect counts as a local-origin failure
// for outlier detection; a successful one resets the host's consecutive
// failures.
func (c *Cluster) Connect(ctx context.Context, lbctx LBContext) (*Upstream, error) {
	h := c.state.Load().pick(lbctx, c.stats)
	if h == nil {
		c.stats.tr().cxNoneHealthy.Inc()
		return nil, errNoHealthy
	}
	return c.connectHost(ctx, h)
}

// ConnectHost connects to a host of this cluster chosen by the caller,
// with the same accounting as Connect.
func (c *Cluster) ConnectHost(ctx context.Context, h *Host) (*Upstream, error) {
	return c.connectHost(ctx, h)
}

var errOverflow = &overflowError{}

type overflowError struct{}

func (*overflowError) Error() string        { return "connect upstream: " + ErrOverflow.Error() }
func (*overflowError) Unwrap() error        { return ErrOverflow }
func (*overflowError) Is(target error) bool { return target == ErrOverflow }

func (c *Cluster) connectHost(ctx context.Context, h *Host) (*Upstream, error) {
	if !c.breaker.tryAcquire(&c.breaker.cx) {
		return nil, errOverflow
	}
	ts, hc := c.stats.tr(), h.cnt()
	ts.cxTotal.Inc()
	hc.cxTotal.Add(1)
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, c.timeout)
	conn, err := dialer.DialTCP(dctx, "tcp", netip.AddrPort{}, h.AddrPort())
	cancel()
	if err != nil {
		c.breaker.cx.release()
		if ctx.Err() != nil { // the caller gave up; not the host's fault
			return nil, &ConnectError{Cluster: c.name, Host: h, Err: ctx.Err()}
		}
		timeout := isTimeout(err)
		ts.cxConnectFail.Inc()
		hc.cxConnectFail.Add(1)
		if timeout {
			ts.cxConnectTimeout.Inc()
		}
		if h.outlier != nil {
			h.c.od.failure(h, true)
		}
		return nil, &ConnectError{Cluster: c.name, Host: h, Timeout: timeout, Err: err}
	}
	var tc *tls.Conn
	if c.tls != nil || c.tlsErr != nil {
		if tc, err = c.handshake(ctx, conn); err != nil {
			c.breaker.cx.release()
			_ = conn.Close()
			ts.cxConnectFail.Inc()
			hc.cxConnectFail.Add(1)
			if h.outlier != nil {
				h.c.od.failure(h, true)
			}
			return nil, &ConnectError{Cluster: c.name, Host: h, Timeout: isTimeout(err), Err: err}
		}
	}
	ts.cxConnectMs.Record(uint64(time.Since(start).Milliseconds()))
	ts.cxActive.Inc()
	hc.cxActive.Add(1)
	if h.outlier != nil {
		h.c.od.success(h, true)
	}
	return &Upstream{Conn: conn, TLS: tc, Host: h, c: c, start: start}, nil
}

// Secure returns conn as the cluster speaks to its hosts: conn itself
// for a plaintext cluster, else a TLS connection over it after the
// handshake (within ctx and the connect timeout). Health checks and
// cluster discovery use it for connections they make themselves.
func (c *Cluster) Secure(ctx context.Context, conn *net.TCPConn) (net.Conn, error) {
	if c.tls == nil && c.tlsErr == nil {
		return conn, nil
	}
	tc, err := c.handshake(ctx, conn)
	if err != nil {
		return nil, err
	}
	return tc, nil
}

// handshake runs the TLS handshake on conn within what is left of the
// connect timeout.
func (c *Cluster) handshake(ctx context.Context, conn *net.TCPConn) (*tls.Conn, error) {
	if c.tlsErr != nil {
		return nil, c.tlsErr
	}
	cfg, err := c.tls.config()
	if err != nil {
		c.tls.stats.connectionError.Inc()
		return nil, err
	}
	hctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(hctx); err != nil {
		c.tls.stats.connectionError.Inc()
		if errors.Is(err, errVerify) {
			c.tls.stats.failVerify.Inc()
		}
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	c.tls.stats.handshake.Inc()
	return tc, nil
}

// Stream is the connection's byte stream: the TLS connection for a TLS
// cluster, else the TCP connection.
func (u *Upstream) Stream() net.Conn {
	if u.TLS != nil {
		return u.TLS
	}
	return u.Conn
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Close closes the connection and records its end (upstream_cx_active,
// upstream_cx_destroy, upstream_cx_length_ms, the connection breaker). It
// is idempotent, safe to call concurrently with AddBytes, and fine after
// the caller already closed Conn itself.
func (u *Upstream) Close() error {
	if !u.closed.CompareAndSwap(false, true) {
		return nil
	}
	var err error
	if u.TLS != nil {
		// close_notify first; tls.Conn bounds that write to 5s.
		err = u.TLS.Close()
	} else {
		err = u.Conn.Close()
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	s := u.c.stats.tr()
	s.cxActive.Dec()
	s.cxDestroy.Inc()
	s.cxLengthMs.Record(uint64(time.Since(u.start).Milliseconds()))
	u.Host.cnt().cxActive.Add(-1)
	u.c.breaker.cx.release()
	return err
}

// AddBytes adds bytes received from (rx) and sent to (tx) the upstream to
// upstream_cx_rx_bytes_total and upstream_cx_tx_bytes_total. Safe for
// concurrent use.
func (u *Upstream) AddBytes(rx, tx uint64) {
	if rx > 0 {
		u.c.stats.tr().cxRxBytes.Add(rx)
	}
	if tx > 0 {
		u.c.stats.tr().cxTxBytes.Add(tx)
	}
}
