package proxytest

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/listener"
)

// ServeConns serves h on a loopback TCP listener, the way a Sidewire
// listener hands it connections, until the test ends. Its cleanup stops
// accepting, cancels the connections' context and waits for every
// ServeConn to return; register the handler's own Close before calling
// it, so that it runs after (cleanups run last first).
func ServeConns(t testing.TB, h listener.ConnHandler) *net.TCPListener {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var ids atomic.Uint64
	wg.Go(func() {
		for {
			c, err := ln.AcceptTCP()
			if err != nil {
				return
			}
			wg.Go(func() { h.ServeConn(ctx, &listener.Conn{TCP: c, ID: ids.Add(1), Start: time.Now()}) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		cancel()
		wg.Wait()
	})
	return ln
}
