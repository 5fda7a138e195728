package httpproxy

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
)

// maxMirrorsInFlight bounds a filter's mirrored requests; past it copies
// are dropped (mirror.dropped) rather than queued.
const maxMirrorsInFlight = 256

// maxMirrorDrain is how much of a mirror's response is read before its
// stream is closed.
const maxMirrorDrain = 64 << 10

// mirror sends a copy of the finished request to each of the route's
// shadow clusters that draws it, fire and forget: with the host suffixed
// "-shadow" as Envoy does, the same headers and body, the response
// dropped. Only a request whose body was received whole and kept (see
// reqBody) is mirrored.
func (x *exchange) mirror(a *routeAction) {
	f := x.f
	for _, m := range a.mirrors {
		if m.Fraction < 1 && rand.Float64() >= m.Fraction {
			continue
		}
		body, ok := x.body.buffered()
		if !ok {
			f.stats.mirrorDropped.Inc()
			continue
		}
		cl := f.deps.Clusters.Get(m.Cluster)
		if cl == nil {
			f.stats.mirrorDropped.Inc()
			continue
		}
		host := x.out.host
		if host == "" {
			host = x.r.Host
		}
		mr := &mirrored{method: x.r.Method, header: x.out.header.Clone(), path: x.out.path,
			host: shadowHost(host), body: body, timeout: cmp(a.cfg.Timeout, config.DefaultHTTPRouteTimeout)}
		f.startMirror(cl, mr)
	}
}

// mirrored is one shadow request. It owns its header and body.
type mirrored struct {
	method  string
	header  http.Header
	path    string
	host    string
	body    []byte
	timeout time.Duration
}

// shadowHost appends "-shadow" to a host, before its port.
func shadowHost(host string) string {
	bare := stripPort(host)
	return bare + "-shadow" + host[len(bare):]
}

// startMirror runs mr on its own goroutine unless the filter is closing
// or too many mirrors are in flight.
func (f *Filter) startMirror(cl *cluster.Cluster, mr *mirrored) {
	f.mirrorMu.Lock()
	defer f.mirrorMu.Unlock()
	if f.closed || f.mirrorsN.Load() >= maxMirrorsInFlight {
		f.stats.mirrorDropped.Inc()
		return
	}
	f.mirrorsN.Add(1)
	f.mirrorsWG.Add(1)
	f.stats.mirrored.Inc()
	go func() {
		defer f.mirrorsWG.Done()
		defer f.mirrorsN.Add(-1)
		f.runMirror(cl, mr)
	}()
}

// runMirror sends one shadow request; failures are only counted by the
// cluster's stats.
func (f *Filter) runMirror(cl *cluster.Cluster, mr *mirrored) {
	ctx, cancel := context.WithTimeout(f.ctx, mr.timeout)
	defer cancel()
	h, err := cl.Pick(cluster.LBContext{})
	if err != nil {
		return
	}
	opts := protocolOptions(cl)
	pool, err := f.ups.get(cl, h, opts != nil && opts.HTTP2, opts)
	if err != nil {
		return
	}
	if !cl.Breaker().TryAcquireRequest() {
		return
	}
	defer cl.Breaker().ReleaseRequest()
	h.RequestStarted()
	defer h.RequestFinished()
	cs := f.stats.cluster(cl.Name())
	conn, _, err := pool.acquire(ctx, false)
	if err != nil {
		cs.code(http.StatusServiceUnavailable)
		return
	}
	req := &http.Request{Method: mr.method, URL: upstreamURL(mr.host, mr.path), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: mr.header, Host: mr.host, ContentLength: int64(len(mr.body))}
	if len(mr.body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(mr.body))
	}
	res, err := conn.cc.RoundTrip(req.WithContext(ctx))
	if err != nil {
		conn.done()
		cs.code(http.StatusServiceUnavailable)
		return
	}
	cs.code(res.StatusCode)
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxMirrorDrain))
	res.Body.Close()
	conn.done()
	cs.completed.Inc()
}
