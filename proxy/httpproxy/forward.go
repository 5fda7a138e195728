package httpproxy

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
)

// outRequest is what every attempt sends upstream: the request's headers
// after hygiene and mutations, the rewritten path and host.
type outRequest struct {
	header http.Header
	path   string // escaped path and query
	host   string // authority; "" keeps the picked host's address
}

// forward sends the request to the route's cluster, retrying as its
// policy allows, and streams the response back.
func (x *exchange) forward(a *routeAction) {
	f := x.f
	name := x.pickCluster(a)
	x.clusterName = name
	var cl *cluster.Cluster
	if name != "" {
		cl = f.deps.Clusters.Get(name)
	}
	if cl == nil {
		f.stats.noCluster.Inc()
		x.localReply(http.StatusServiceUnavailable, "", flagNoCluster)
		return
	}
	x.cs = f.stats.cluster(name)
	x.setupStream(a)
	x.out = x.upstreamRequest(a)
	x.run(cl, a)
}

// pickCluster returns the route's cluster: the configured one, a
// weighted draw, or the request header's value ("" when it is missing).
func (x *exchange) pickCluster(a *routeAction) string {
	c := a.cfg
	switch {
	case c.Cluster != "":
		return c.Cluster
	case a.header != "":
		if vs := x.r.Header[a.header]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	case a.weights == 0:
		return ""
	}
	n := rand.Uint64N(a.weights)
	for _, w := range c.WeightedClusters {
		if n < uint64(w.Weight) {
			return w.Name
		}
		n -= uint64(w.Weight)
	}
	return c.WeightedClusters[len(c.WeightedClusters)-1].Name
}

// setupStream makes the exchange's context and timers and wraps the
// request body. The route timeout starts once the request is complete;
// the connection manager's request timeout runs until then.
func (x *exchange) setupStream(a *routeAction) {
	cfg := x.f.cfg
	x.ctx, x.cancel = context.WithCancelCause(x.r.Context())
	cancel := x.cancel
	if idle := cmp(a.cfg.IdleTimeout, cfg.StreamIdleTimeout); idle > 0 {
		x.idle = startIdleWatch(idle, func() { cancel(errIdleTimeout) })
	}
	routeTimeout := a.cfg.Timeout
	onEOF := func() {
		x.reqTimer.stop()
		x.routeTimer.start(routeTimeout, func() { cancel(errRouteTimeout) })
	}
	var onData func()
	if x.idle != nil {
		onData = x.idle.touch
	}
	replay := a.retry != nil && a.retry.numRetries > 0 || len(a.mirrors) > 0
	x.body = newReqBody(x.r.Body, replay, onEOF, onData)
	if x.r.Body == nil || x.r.Body == http.NoBody {
		x.body.done, x.body.err = true, io.EOF
		onEOF()
		return
	}
	if x.r.ProtoMajor == 1 {
		// Let the response stream while the request body still does
		// (bidirectional streaming over HTTP/1.1).
		_ = http.NewResponseController(x.w).EnableFullDuplex()
	}
	x.reqTimer.start(cfg.RequestTimeout, func() { cancel(errRequestTimeout) })
}

// cmp returns a unless it is zero, else b.
func cmp(a, b time.Duration) time.Duration {
	if a != 0 {
		return a
	}
	return b
}

// upstreamRequest prepares the headers, path and host sent upstream:
// hop-by-hop headers removed, x-forwarded-for, x-forwarded-proto and
// x-request-id set, header mutations of the route, virtual host and
// table applied (in that order), path and host rewritten.
func (x *exchange) upstreamRequest(a *routeAction) outRequest {
	cfg := x.f.cfg
	h := x.r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	removeHopHeaders(h)
	delete(h, "Expect") // net/http answered 100-continue itself
	if cfg.UseRemoteAddress {
		ip := hostOfAddr(x.d.remote)
		if prior := h["X-Forwarded-For"]; len(prior) > 0 {
			h["X-Forwarded-For"] = []string{strings.Join(prior, ", ") + ", " + ip}
		} else {
			h["X-Forwarded-For"] = []string{ip}
		}
	}
	h["X-Forwarded-Proto"] = []string{x.forwardedProto}
	if cfg.GenerateRequestID {
		if len(h["X-Request-Id"]) == 0 || h["X-Request-Id"][0] == "" ||
			cfg.UseRemoteAddress && !cfg.PreserveExternalRequestID && !internalAddr(x.d.remote) {
			h["X-Request-Id"] = []string{newRequestID()}
		}
	}
	x.applyRequestMutations(h)
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = []string{""} // net/http would add its own
	}
	out := outRequest{header: h, path: x.q.path, host: x.r.Host}
	if p, ok := x.rewritePath(a); ok {
		h["X-Envoy-Original-Path"] = []string{x.q.path}
		out.path = p
	}
	if a.cfg.HostRewriteLiteral != "" {
		out.host = a.cfg.HostRewriteLiteral
	}
	return out
}

// rewritePath applies the route's prefix or regex rewrite.
func (x *exchange) rewritePath(a *routeAction) (string, bool) {
	m := &x.rt.match
	switch {
	case a.cfg.PrefixRewrite != "" && (m.kind == config.PathPrefix || m.kind == config.PathSeparatedPrefix):
		return a.cfg.PrefixRewrite + x.q.path[min(len(m.path), len(x.q.path)):], true
	case a.cfg.PrefixRewrite != "" && m.kind == config.PathExact:
		return a.cfg.PrefixRewrite + x.q.path[len(x.q.pathOnly):], true
	case a.rewrite != nil:
		p := a.rewrite.ReplaceAllString(x.q.pathOnly, a.template)
		return p + x.q.path[len(x.q.pathOnly):], true
	}
	return "", false
}

// internalAddr reports whether a peer address is loopback or private
// (Envoy's internal addresses): its x-request-id is kept.
func internalAddr(addr string) bool {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return false
	}
	a := ap.Addr().Unmap()
	return a.IsLoopback() || a.IsPrivate()
}

// upstreamURL is the URL of an upstream request for an escaped path and
// query, sent as is: net/http writes URL.Opaque verbatim.
func upstreamURL(host, path string) *url.URL {
	p, q, hasQuery := strings.Cut(path, "?")
	u := &url.URL{Scheme: "http", Host: host, RawQuery: q, ForceQuery: hasQuery && q == ""}
	if strings.HasPrefix(p, "//") {
		// Opaque "//..." would be read as an authority.
		if dec, err := url.PathUnescape(p); err == nil {
			u.Path, u.RawPath = dec, p
			return u
		}
	}
	if p == "" {
		p = "/"
	}
	u.Opaque = p
	return u
}

// run makes attempts until one gives a response that is not retried, or
// the failures run out of retries, and answers downstream.
func (x *exchange) run(cl *cluster.Cluster, a *routeAction) {
	rp := a.retry
	opts := protocolOptions(cl)
	h2 := opts != nil && (opts.HTTP2 || opts.UseDownstream && x.r.ProtoMajor == 2)
	lbctx := lbContext(a.hash, &x.q, x.d.remote)
	var tried []*cluster.Host
	retries := 0
	retrySlot := false
	for {
		at := x.attempt(cl, lbctx, tried, h2, opts, a)
		at.retrySlot = retrySlot
		if at.host != nil {
			tried = append(tried, at.host)
		}
		retriable := false
		if at.res != nil {
			gs := -1
			if x.q.grpc {
				gs = grpcStatusOf(at.res.Header.Get("Grpc-Status"))
			}
			retriable = rp.retriableResponse(at.res.StatusCode, gs)
		} else if at.fail != failExchange {
			retriable = rp.retriableFailure(at.fail)
		}
		if retriable && retries < rp.numRetries && x.body.replayable() && x.ctx.Err() == nil {
			if retrySlot = cl.Breaker().TryAcquireRetry(); retrySlot {
				x.endAttempt(at)
				retries++
				x.cs.retry.Inc()
				if x.sleep(rp.backoff(retries)) {
					continue
				}
				cl.Breaker().ReleaseRetry()
				x.failReply(&attempt{fail: failExchange}, true)
				return
			}
		}
		switch {
		case retriable && rp != nil && retries >= rp.numRetries:
			x.cs.retryLimitExceeded.Inc()
			x.addFlag(flagRetryLimit)
		case !retriable && retries > 0 && at.res != nil:
			x.cs.retrySuccess.Inc()
		}
		if at.res != nil {
			x.respond(at)
		} else {
			x.failReply(at, retries > 0)
		}
		x.endAttempt(at)
		return
	}
}

// sleep waits d, or until the exchange ends (false).
func (x *exchange) sleep(d time.Duration) bool {
	if d <= 0 {
		return x.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-x.ctx.Done():
		return false
	}
}
