package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/testpeer"
)

// roundTrip sends payload, half-closes, and reads the echo until EOF.
func roundTrip(addr string, payload []byte) ([]byte, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(payload)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		errc <- err
	}()
	got, rerr := io.ReadAll(c)
	if werr := <-errc; werr != nil {
		return got, fmt.Errorf("write: %w", werr)
	}
	return got, rerr
}

func TestTCPProxyEcho200Connections(t *testing.T) {
	echo := testpeer.StartEcho(t)
	p := startSidewire(t, bootstrapYAML(
		tcpListenerYAML("echo", "cluster: echo"),
		clusterYAML("echo", "ROUND_ROBIN", "", echo.Addr().String())))
	addr := p.listener("echo")

	const conns = 200
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 7))
			payload := make([]byte, 1+r.IntN(256<<10))
			for j := range payload {
				payload[j] = byte(r.Uint32())
			}
			got, err := roundTrip(addr, payload)
			switch {
			case err != nil:
				errs <- fmt.Errorf("conn %d: %w", i, err)
			case !bytes.Equal(got, payload):
				errs <- fmt.Errorf("conn %d: echoed %d bytes, sent %d (or content differs)", i, len(got), len(payload))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := echo.Served(); got != conns {
		t.Errorf("upstream accepted %d connections, want %d", got, conns)
	}
	eventually(t, 5*time.Second, "connection stats", func() error {
		for stat, want := range map[string]int64{
			"tcp.echo.downstream_cx_total":    conns,
			"cluster.echo.upstream_cx_total":  conns,
			"cluster.echo.upstream_cx_active": 0,
		} {
			if got := p.stat(stat); got != want {
				return fmt.Errorf("%s = %d, want %d", stat, got, want)
			}
		}
		return nil
	})
}

func TestTCPProxyHalfClose(t *testing.T) {
	echo := testpeer.StartEcho(t)
	p := startSidewire(t, bootstrapYAML(
		tcpListenerYAML("echo", "cluster: echo"),
		clusterYAML("echo", "ROUND_ROBIN", "", echo.Addr().String())))
	c, err := net.Dial("tcp", p.listener("echo"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("first")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "first" {
		t.Fatalf("echo before half-close: %q, %v", buf, err)
	}
	// After our FIN the upstream still answers what it had, then sends its
	// own FIN: both directions must carry through the proxy.
	if _, err := c.Write([]byte("second")); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(c)
	if err != nil || string(rest) != "second" {
		t.Fatalf("after half-close got %q, %v; want \"second\" then EOF", rest, err)
	}
}

func TestTCPProxyRedis(t *testing.T) {
	redis := testpeer.StartRedis(t)
	p := startSidewire(t, bootstrapYAML(
		tcpListenerYAML("redis", "cluster: redis"),
		clusterYAML("redis", "ROUND_ROBIN", "", redis.Addr())))
	addr := p.listener("redis")
	const conns = 200
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- redisSetGet(addr, i)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := p.stat("cluster.redis.upstream_cx_total"); got != conns {
		t.Errorf("cluster.redis.upstream_cx_total = %d, want %d", got, conns)
	}
}

// redisSetGet pipelines SET and GET of a per-connection value in RESP and
// checks the exact reply bytes.
func redisSetGet(addr string, i int) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	key, val := fmt.Sprintf("key:%d", i), strings.Repeat(fmt.Sprintf("v%d-", i), 100)
	req := fmt.Sprintf("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n",
		len(key), key, len(val), val, len(key), key)
	if _, err := c.Write([]byte(req)); err != nil {
		return err
	}
	want := fmt.Sprintf("+OK\r\n$%d\r\n%s\r\n", len(val), val)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("conn %d: read reply: %w", i, err)
	}
	if string(got) != want {
		return fmt.Errorf("conn %d: reply %q, want %q", i, got, want)
	}
	return nil
}

func TestUpstreamRefusedClosesDownstream(t *testing.T) {
	host, port := refusedAddr(t)
	p := startSidewire(t, bootstrapYAML(
		tcpListenerYAML("dead", "cluster: dead\n          max_connect_attempts: 2"),
		clusterYAML("dead", "ROUND_ROBIN", "", fmt.Sprintf("%s:%d", host, port))))
	c, err := net.Dial("tcp", p.listener("dead"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("read %d bytes from a connection whose upstream refused", n)
	}
	eventually(t, 5*time.Second, "connect failure stats", func() error {
		if got := p.stat("cluster.dead.upstream_cx_connect_fail"); got != 2 {
			return fmt.Errorf("upstream_cx_connect_fail = %d, want 2 (two attempts)", got)
		}
		if got := p.stat("cluster.dead.upstream_cx_connect_attempts_exceeded"); got != 1 {
			return fmt.Errorf("upstream_cx_connect_attempts_exceeded = %d, want 1", got)
		}
		return nil
	})
}

// TestTCPProxyBulkTransfer moves 8 MiB each way on one connection: the copy
// loop starts with buffered reads and switches to splice once a read fills
// its buffer; every byte must survive the switch.
func TestTCPProxyBulkTransfer(t *testing.T) {
	echo := testpeer.StartEcho(t)
	p := startSidewire(t, bootstrapYAML(
		tcpListenerYAML("bulk", "cluster: bulk"),
		clusterYAML("bulk", "ROUND_ROBIN", "", echo.Addr().String())))
	r := rand.New(rand.NewPCG(42, 42))
	payload := make([]byte, 8<<20)
	for i := range payload {
		payload[i] = byte(r.Uint32())
	}
	got, err := roundTrip(p.listener("bulk"), payload)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("8 MiB echo: got %d bytes, err %v (or content differs)", len(got), err)
	}
	eventually(t, 5*time.Second, "byte counters", func() error {
		if rx := p.stat("tcp.bulk.downstream_cx_rx_bytes_total"); rx != int64(len(payload)) {
			return fmt.Errorf("downstream_cx_rx_bytes_total = %d, want %d", rx, len(payload))
		}
		return nil
	})
}
