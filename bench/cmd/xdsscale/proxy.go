package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/server"
	"github.com/sidewire/sidewire/telemetry"
	"github.com/sidewire/sidewire/xds"
)

// proxy is Sidewire as `sidewire run` wires it for a bootstrap with only
// dynamic resources: a proxy/server.Server applying what an
// xds.ADSClient receives (cmd/sidewire/ads.go's dynamicConfig with no
// static resources, whose merge is then the update's own snapshot).
type proxy struct {
	node   config.Node
	srv    *server.Server
	client *xds.ADSClient
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	want func(*xds.Update) bool // set by expect
	got  chan time.Time         // receives when an update satisfies want
	errs []error
}

var _ xds.Applier = (*proxy)(nil)

func startProxy(target, node string, delta, deferStats, trace bool) *proxy {
	// Logs are formatted as `sidewire run` formats them (JSON, info) and
	// thrown away: their cost is part of applying.
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	store := telemetry.NewStore()
	p := &proxy{
		node: config.Node{ID: node, Cluster: "xdsscale"},
		srv:  server.New(server.Options{Stats: store, Logger: log, DeferClusterTrafficStats: deferStats}),
		done: make(chan struct{}),
	}
	cfg := xds.ADSConfig{Target: target, Delta: delta, Node: p.node, Logger: log}
	if trace {
		cfg.OnResponse = func(r xds.Response) {
			fmt.Fprintf(os.Stderr, "%s response %s err=%v\n", time.Now().Format("15:04:05.000"), r.TypeURL[strings.LastIndex(r.TypeURL, ".")+1:], r.Err)
		}
	}
	p.client = xds.NewADSClient(cfg, p)
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() {
		defer close(p.done)
		if err := p.client.Run(ctx); err != nil {
			p.mu.Lock()
			p.errs = append(p.errs, err)
			p.mu.Unlock()
		}
	}()
	return p
}

// ApplyXDS implements xds.Applier as cmd/sidewire's dynamicConfig does.
func (p *proxy) ApplyXDS(u *xds.Update) error {
	snap := u.Snapshot(p.node)
	snap.Version = "+" + snap.Version
	if err := p.srv.Apply(context.Background(), snap); err != nil {
		p.mu.Lock()
		p.errs = append(p.errs, err)
		p.mu.Unlock()
		return err
	}
	at := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.want != nil && p.want(u) {
		p.got <- at
		p.want = nil
	}
	return nil
}

// expect arms the wait for the first update applied from now on that
// satisfies ok. Updates are not kept: they would count in the RSS.
func (p *proxy) expect(ok func(*xds.Update) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.want, p.got = ok, make(chan time.Time, 1)
}

// wait returns when the update expect armed for was applied.
func (p *proxy) wait(timeout time.Duration) (time.Time, error) {
	p.mu.Lock()
	got := p.got
	p.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case at := <-got:
		return at, nil
	case <-t.C:
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.errs) > 0 {
		return time.Time{}, fmt.Errorf("apply: %w", p.errs[0])
	}
	st := p.client.Status()
	return time.Time{}, fmt.Errorf("no matching update within %v (warming %q, last error %q)", timeout, st.Warming, st.LastError)
}

// Close stops the client and the server.
func (p *proxy) Close() {
	p.cancel()
	<-p.done
	p.srv.Close()
}
