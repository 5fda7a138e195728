package redisproxy

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
)

// BenchmarkProxy measures commands through an in-process proxy to a real
// redis-server, pipelined 64 deep on one client connection: the proxy's
// CPU and allocations per command (the client reads raw bytes and the
// server's work is included in the time).
//
//	go test -run '^$' -bench Proxy -benchmem ./proxy/redisproxy
func BenchmarkProxy(b *testing.B) {
	srv := testpeer.StartRedis(b)
	for _, bc := range []struct {
		name, cmd string
		cfg       *config.RedisProxy
		reply     string
	}{
		{"GET", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", catchAll("redis"), "$1\r\nv\r\n"},
		{"GET-remove-prefix", "*2\r\n$3\r\nGET\r\n$3\r\np:k\r\n", &config.RedisProxy{Routes: config.RedisPrefixRoutes{
			Routes: []config.RedisRoute{{Prefix: "p:", RemovePrefix: true, Cluster: "redis"}}}}, "$1\r\nv\r\n"},
		{"MGET-2-keys", "*3\r\n$4\r\nMGET\r\n$1\r\nk\r\n$1\r\nk\r\n", catchAll("redis"), "*2\r\n$1\r\nv\r\n$1\r\nv\r\n"},
		{"PING-local", "*1\r\n$4\r\nPING\r\n", catchAll("redis"), "+PONG\r\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := startProxy(b, bc.cfg, staticCluster("redis", config.RoundRobin, srv.Addr()))
			c, err := net.Dial("tcp", p.addr)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			// The value of k, through the route the benchmark uses.
			direct, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				b.Fatal(err)
			}
			direct.Write([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"))
			io.ReadFull(direct, make([]byte, 5))
			direct.Close()
			const depth = 64
			batch := bytes.Repeat([]byte(bc.cmd), depth)
			want := bytes.Repeat([]byte(bc.reply), depth)
			got := make([]byte, len(want))
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n += depth {
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := c.Write(batch); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, got); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if !bytes.Equal(got, want) {
				b.Fatalf("replies %q", got[:min(len(got), 64)])
			}
		})
	}
}
