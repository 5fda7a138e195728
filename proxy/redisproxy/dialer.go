package redisproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/pool"
)

// Upstream pool settings. One connection per host and RESP version is
// shared by every client connection: pipelining batches many clients'
// commands into each write.
const (
	poolConns      = 1
	poolBackoffMax = time.Second
)

// newPool returns the pipelined pool to h of cl in RESP p.
func (f *Filter) newPool(cl *cluster.Cluster, h *cluster.Host, p redis.Proto) *pool.Pipeline {
	d := &hostDialer{cl: cl, h: h, proto: p, limits: f.limits, rate: &f.connectRate}
	return pool.NewPipeline(d, f.codec, pool.Options{
		Conns:      poolConns,
		Timeout:    f.cfg.Settings.OpTimeout,
		Limits:     f.limits,
		BackoffMax: poolBackoffMax,
	})
}

// hostDialer connects to one host through its cluster (circuit breaker,
// connect timeout and stats apply) and prepares the connection: AUTH with
// the cluster's RedisProtocolOptions and, for RESP3 pools, HELLO 3.
type hostDialer struct {
	cl     *cluster.Cluster
	h      *cluster.Host
	proto  redis.Proto
	limits codecs.Limits
	rate   *connectLimits
}

var _ pool.Dialer = (*hostDialer)(nil)

// Dial implements pool.Dialer. Closing the connection it returns closes
// the cluster.Upstream.
func (d *hostDialer) Dial(ctx context.Context) (net.Conn, error) {
	if !d.rate.allow(d.cl.Name(), time.Now()) {
		return nil, errConnectRate
	}
	up, err := d.cl.ConnectHost(ctx, d.h)
	if err != nil {
		return nil, err
	}
	c := up.CountingConn()
	if err := d.handshake(ctx, c); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// handshake sends the connection's setup commands, if any, and checks
// their replies: AUTH (or HELLO 3 with AUTH) with the cluster's
// RedisProtocolOptions, HELLO 3 for RESP3 pools, and READONLY on the
// nodes of a Redis Cluster, so that replicas serve the reads the read
// policy sends them (it changes nothing on primaries).
func (d *hostDialer) handshake(ctx context.Context, c net.Conn) error {
	var user, pass []byte
	if o, ok := d.cl.Config().ProtocolOptions[config.RedisProxyFilter].(*config.RedisProtocolOptions); ok {
		user, pass = o.For(d.h.Address())
	}
	var req []byte
	n := 1
	switch {
	case d.proto == redis.RESP3 && len(pass) > 0:
		if len(user) == 0 {
			user = []byte("default")
		}
		req = redis.AppendCommand(nil, []byte("HELLO"), []byte("3"), []byte("AUTH"), user, pass)
	case d.proto == redis.RESP3:
		req = redis.AppendCommandString(nil, "HELLO", "3")
	case len(pass) > 0 && len(user) > 0:
		req = redis.AppendCommand(nil, []byte("AUTH"), user, pass)
	case len(pass) > 0:
		req = redis.AppendCommand(nil, []byte("AUTH"), pass)
	default:
		n = 0
	}
	if d.cl.Config().Type == config.RedisClusterType {
		req = redis.AppendCommandString(req, "READONLY")
		n++
	}
	if n == 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
		defer c.SetDeadline(time.Time{})
	}
	if _, err := c.Write(req); err != nil {
		return fmt.Errorf("prepare redis connection: %w", err)
	}
	return readReplies(c, d.limits, n)
}

// readReplies reads n replies from c and fails on the first error
// reply. Nothing follows them: the upstream answers only what it was
// sent.
func readReplies(c net.Conn, l codecs.Limits, n int) error {
	cc := redis.NewClientCodec(redis.Limits{}, l)
	buf := make([]byte, 0, 512)
	for n > 0 {
		f, used, err := cc.Decode(buf)
		switch {
		case err == nil:
			if f.Attrs.Status == codecs.StatusError {
				return fmt.Errorf("prepare redis connection: upstream replied %q", trimCRLF(f.Raw))
			}
			buf = buf[:copy(buf, buf[used:])]
			n--
			continue
		case err != codecs.ErrNeedMore:
			return fmt.Errorf("prepare redis connection: %w", err)
		}
		if len(buf) == cap(buf) {
			if len(buf) >= 64<<10 {
				return errors.New("prepare redis connection: handshake reply too large")
			}
			buf = append(buf, make([]byte, len(buf))...)[:len(buf)]
		}
		m, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			return fmt.Errorf("prepare redis connection: %w", err)
		}
	}
	return nil
}

func trimCRLF(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
