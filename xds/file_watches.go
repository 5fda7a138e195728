package xds

import (
	"context"
	"slices"
	"sync"
	"time"
)

// namedFiles returns, from the accepted state, the files resources of
// one type come from and the names each must provide (EDS files of
// clusters, secret files of listeners).
type namedFiles func(*adsState) map[FileSource][]string

// runNamedFiles watches the files the accepted state names for typ,
// starting and stopping watches as they come and go, until ctx is done.
func (c *ADSClient) runNamedFiles(ctx context.Context, typ string, files namedFiles) {
	var wg sync.WaitGroup
	watches := map[FileSource]context.CancelFunc{}
	defer func() {
		for _, cancel := range watches {
			cancel()
		}
		wg.Wait()
	}()
	for {
		var want map[FileSource][]string
		changed := c.eng.read(func(st *adsState) { want = files(st) })
		for src := range want {
			if watches[src] == nil {
				wctx, cancel := context.WithCancel(ctx)
				watches[src] = cancel
				wg.Go(func() { c.watchNamedFile(wctx, src, typ, files) })
			}
		}
		for src, cancel := range watches {
			if _, ok := want[src]; !ok {
				cancel()
				delete(watches, src)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
}

// watchNamedFile polls one such file until ctx is done. Its contents are
// applied again, unchanged, when the names it must provide change (a
// new cluster or listener takes from it).
func (c *ADSClient) watchNamedFile(ctx context.Context, src FileSource, typ string, files namedFiles) {
	p := c.newPoller(src)
	t := time.NewTicker(c.cfg.PollInterval)
	defer t.Stop()
	var data []byte
	var applied []string
	for {
		fresh, ok := p.poll()
		if ok {
			data = fresh
		}
		var names []string
		changed := c.eng.read(func(st *adsState) { names = files(st)[src] })
		if data != nil && (ok || !slices.Equal(names, applied)) {
			applied = names
			c.applyFile(src, typ, data)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-changed:
		}
	}
}
