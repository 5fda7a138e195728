package redisproxy

import (
	"bufio"
	"fmt"
	"github.com/sidewire/sidewire/internal/proxytest"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

// proxy is a Filter serving a loopback listener, with its own cluster
// manager and stats store.
type proxy struct {
	t     testing.TB
	f     *Filter
	m     *cluster.Manager
	store *telemetry.Store
	ln    *net.TCPListener
	addr  string
}

// startProxy serves cfg in front of clusters. Everything stops at test
// cleanup, and the test fails if goroutines are left behind.
func startProxy(t testing.TB, cfg *config.RedisProxy, clusters ...*config.Cluster) *proxy {
	t.Helper()
	leakcheck.Check(t)
	if cfg.StatPrefix == "" {
		cfg.StatPrefix = "test"
	}
	if cfg.Settings.OpTimeout == 0 {
		cfg.Settings.OpTimeout = 5 * time.Second
	}
	p := &proxy{t: t, store: telemetry.NewStore()}
	p.m = cluster.NewManager(cluster.Options{Stats: p.store.Root()})
	if err := p.m.Update(clusters); err != nil {
		t.Fatalf("update clusters: %v", err)
	}
	p.f = newFilter(cfg, Deps{Clusters: p.m, Stats: p.store.Root()}, 50*time.Millisecond)
	t.Cleanup(func() {
		p.f.Close()
		p.m.Close()
	})
	p.ln = proxytest.ServeConns(t, p.f)
	p.addr = p.ln.Addr().String()
	return p
}

// counter returns the value of a stat under redis.<prefix>.
func (p *proxy) counter(name string) uint64 {
	return p.store.Root().Sub("redis").Tagged("envoy_redis_prefix", p.f.cfg.StatPrefix).Counter(name).Value()
}

// cmdCounter returns redis.<prefix>.command.<cmd>.<stat>.
func (p *proxy) cmdCounter(cmd, stat string) uint64 {
	return p.store.Root().Sub("redis").Tagged("envoy_redis_prefix", p.f.cfg.StatPrefix).
		Sub("command").Tagged("envoy_redis_command", cmd).Counter(stat).Value()
}

// staticCluster is a STATIC cluster of the given addresses.
func staticCluster(name string, policy config.LBPolicy, addrs ...string) *config.Cluster {
	var eps []config.Endpoint
	for _, a := range addrs {
		host, port, _ := net.SplitHostPort(a)
		n, _ := strconv.Atoi(port)
		eps = append(eps, config.Endpoint{Address: config.Address{Host: host, Port: uint32(n)}, Weight: 1})
	}
	return &config.Cluster{
		Name: name, Type: config.Static, LBPolicy: policy, ConnectTimeout: time.Second,
		LoadAssignment: &config.LoadAssignment{Localities: []config.LocalityEndpoints{{Endpoints: eps}}},
	}
}

// catchAll is a proxy config sending every key to cluster.
func catchAll(cluster string) *config.RedisProxy {
	return &config.RedisProxy{Routes: config.RedisPrefixRoutes{CatchAll: &config.RedisRoute{Cluster: cluster}}}
}

// conn is a raw RESP client.
type conn struct {
	t  testing.TB
	c  net.Conn
	rd *bufio.Reader
	cc *redis.ClientCodec
	// buf holds bytes read but not yet decoded.
	buf []byte
}

func dial(t testing.TB, addr string) *conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &conn{t: t, c: c, rd: bufio.NewReader(c), cc: redis.NewClientCodec(redis.Limits{}, codecs.Limits{})}
}

// send writes raw bytes.
func (c *conn) send(raw string) {
	c.t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.c.Write([]byte(raw)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// do sends a command built from args and returns its reply.
func (c *conn) do(args ...string) string {
	c.t.Helper()
	c.send(string(redis.AppendCommandString(nil, args...)))
	return c.reply()
}

// reply reads one complete reply and returns its bytes.
func (c *conn) reply() string {
	c.t.Helper()
	r, err := c.readReply()
	if err != nil {
		c.t.Fatalf("read reply: %v", err)
	}
	return r
}

func (c *conn) readReply() (string, error) {
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if len(c.buf) > 0 {
			_, n, err := c.cc.Decode(c.buf)
			if err == nil {
				r := string(c.buf[:n])
				c.buf = c.buf[n:]
				return r, nil
			}
			if err != codecs.ErrNeedMore {
				return "", err
			}
		}
		chunk := make([]byte, 64<<10)
		n, err := c.rd.Read(chunk)
		c.buf = append(c.buf, chunk[:n]...)
		if err != nil {
			return "", err
		}
	}
}

// bulk is a bulk string reply.
func bulk(s string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(s), s) }

// respArray joins elements into an array reply.
func respArray(elems ...string) string {
	return fmt.Sprintf("*%d\r\n%s", len(elems), strings.Join(elems, ""))
}
