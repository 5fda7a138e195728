package httpproxy

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
)

// attempt is one try of the request against one upstream host. It holds
// the host's active request count and the cluster's request slot until
// endAttempt.
type attempt struct {
	cl     *cluster.Cluster
	host   *cluster.Host
	conn   *upConn
	ctx    context.Context
	cancel context.CancelCauseFunc
	perTry *time.Timer
	start  time.Time
	res    *http.Response
	fail   failure
	reset  string // the reset reason of failReset
	// slot: a max_requests slot is held; started: the host counts the
	// request; retrySlot: a max_retries slot is held.
	slot, started, retrySlot bool
}

// attempt picks a host (another than those tried, when the cluster has
// one), takes a connection and sends the request. It returns with the
// response headers or a failure.
func (x *exchange) attempt(cl *cluster.Cluster, lbctx cluster.LBContext, tried []*cluster.Host, h2 bool,
	opts *config.HTTPProtocolOptions, a *routeAction) *attempt {
	at := &attempt{cl: cl, start: time.Now()}
	h, err := pickHost(cl, lbctx, tried)
	if err != nil {
		at.fail = failNoHealthy
		return at
	}
	at.host = h
	x.fc.upstreamHost = h.String()
	if !cl.Breaker().TryAcquireRequest() {
		at.fail = failOverflow
		return at
	}
	at.slot = true
	h.RequestStarted()
	at.started = true
	pool, err := x.f.ups.get(cl, h, h2, opts)
	if err != nil {
		at.fail, at.reset = failReset, "local reset"
		return at
	}
	at.ctx, at.cancel = context.WithCancelCause(x.ctx)
	if rp := a.retry; rp != nil && rp.perTry > 0 {
		cancel := at.cancel
		at.perTry = time.AfterFunc(rp.perTry, func() { cancel(errPerTryTimeout) })
	}
	host := x.out.host
	if a.cfg.AutoHostRewrite {
		if host = h.Hostname(); host == "" {
			host = h.String()
		}
	}
	for fresh := false; ; fresh = true {
		body := x.body.next()
		if body == nil {
			at.fail, at.reset = failReset, "local reset"
			return at
		}
		conn, reused, err := pool.acquire(at.ctx, fresh)
		if err != nil {
			x.classify(at, err)
			return at
		}
		res, err := conn.cc.RoundTrip(x.newUpstreamRequest(at.ctx, host, h, body))
		if err == nil {
			at.res, at.conn = res, conn
			x.upstreamLocal = conn.local
			x.cs.code(res.StatusCode)
			if res.StatusCode >= 500 {
				h.ReportFailure(false)
			} else {
				h.ReportSuccess()
			}
			return at
		}
		conn.done()
		// A pooled HTTP/1.1 connection the server closed while idle
		// fails before anything of the request was taken: one more try
		// on a new connection, as net/http's Transport does.
		if !fresh && reused && body.sent.Load() == 0 && idempotent(x.r.Method) && at.ctx.Err() == nil {
			continue
		}
		x.classify(at, err)
		return at
	}
}

// newUpstreamRequest builds one attempt's request.
func (x *exchange) newUpstreamRequest(ctx context.Context, host string, h *cluster.Host, body *attemptBody) *http.Request {
	urlHost := host
	if urlHost == "" {
		urlHost = h.String()
	}
	req := &http.Request{
		Method:        x.r.Method,
		URL:           upstreamURL(urlHost, x.out.path),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        x.out.header,
		ContentLength: x.r.ContentLength,
		Host:          host,
		Trailer:       x.r.Trailer,
	}
	if x.r.Body != nil && x.r.Body != http.NoBody {
		req.Body = body
	} else {
		req.ContentLength = 0
	}
	return req.WithContext(ctx)
}

// pickHost picks a host of cl, another than those tried when the
// cluster offers one within a few picks.
func pickHost(cl *cluster.Cluster, lbctx cluster.LBContext, tried []*cluster.Host) (*cluster.Host, error) {
	h, err := cl.Pick(lbctx)
	if err != nil {
		return nil, err
	}
	for i := 0; i < 3 && slices.Contains(tried, h); i++ {
		next, err := cl.Pick(lbctx)
		if err != nil {
			break
		}
		h = next
	}
	return h, nil
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// classify records why an attempt got no response, charging the
// cluster as Envoy does (upstream_rq_503 for a connect failure or reset,
// upstream_rq_504 for a per-try timeout) and telling outlier detection.
func (x *exchange) classify(at *attempt, err error) {
	cs := x.cs
	var ce *cluster.ConnectError
	switch {
	case x.ctx.Err() != nil:
		at.fail = failExchange
		return
	case errors.Is(context.Cause(at.ctx), errPerTryTimeout):
		at.fail = failPerTryTimeout
		cs.perTryTimeout.Inc()
		cs.txReset.Inc()
		cs.code(http.StatusGatewayTimeout)
		at.host.ReportFailure(true)
		return
	case errors.Is(err, cluster.ErrOverflow):
		at.fail = failOverflow
		return
	case errors.As(err, &ce):
		at.fail = failConnect // the cluster told outlier detection
	case strings.Contains(err.Error(), "REFUSED_STREAM"):
		at.fail = failRefused
		at.host.ReportFailure(true)
	default:
		at.fail, at.reset = failReset, "connection termination"
		if strings.Contains(err.Error(), "stream error") {
			at.reset = "remote reset"
		}
		cs.rxReset.Inc()
		at.host.ReportFailure(true)
	}
	cs.code(http.StatusServiceUnavailable)
}

// endAttempt releases what the attempt holds.
func (x *exchange) endAttempt(at *attempt) {
	if at.perTry != nil {
		at.perTry.Stop()
	}
	// Cancel before closing the body: an HTTP/2 response body's Close
	// waits for the request body to be sent, which a client still
	// streaming may never finish.
	if at.cancel != nil {
		at.cancel(context.Canceled)
	}
	if at.res != nil {
		at.res.Body.Close()
		at.conn.done()
		x.cs.completed.Inc()
		x.cs.time.Record(uint64(time.Since(at.start).Milliseconds()))
	}
	if at.started {
		at.host.RequestFinished()
	}
	if at.slot {
		at.cl.Breaker().ReleaseRequest()
	}
	if at.retrySlot {
		at.cl.Breaker().ReleaseRetry()
	}
}

// failReply answers a request whose last attempt got no response.
func (x *exchange) failReply(at *attempt, retried bool) {
	const unavailable = http.StatusServiceUnavailable
	switch at.fail {
	case failNoHealthy:
		x.localReply(unavailable, bodyNoHealthy, flagNoHealthy)
	case failOverflow:
		x.localReply(unavailable, resetBody("overflow", retried), flagOverflow)
	case failConnect:
		x.localReply(unavailable, resetBody("connection failure", retried), flagConnectFailure)
	case failRefused:
		x.localReply(unavailable, resetBody("remote refused stream reset", retried), flagRemoteReset)
	case failReset:
		flag := flagConnTermination
		if at.reset == "remote reset" {
			flag = flagRemoteReset
		}
		x.localReply(unavailable, resetBody(at.reset, retried), flag)
	case failPerTryTimeout:
		x.localReply(http.StatusGatewayTimeout, bodyTimeout, flagTimeout)
	default:
		x.ended()
	}
}

// ended answers (when it still can) a request whose exchange ended
// before the response did: the route timeout (504), the stream idle
// timeout (408), the request timeout (408), or the client leaving.
func (x *exchange) ended() {
	s := x.f.stats
	switch cause := context.Cause(x.ctx); {
	case errors.Is(cause, errRouteTimeout):
		x.cs.timeout.Inc()
		if !x.wroteHeader {
			x.cs.code(http.StatusGatewayTimeout)
		}
		x.localReply(http.StatusGatewayTimeout, bodyTimeout, flagTimeout)
	case errors.Is(cause, errIdleTimeout):
		s.rqIdleTimeout.Inc()
		x.localReply(http.StatusRequestTimeout, bodyStreamTimeout, flagStreamIdleTimeout)
	case errors.Is(cause, errRequestTimeout):
		s.rqTimeout.Inc()
		x.localReply(http.StatusRequestTimeout, bodyRequestTimeout, "")
	default:
		s.rqRxReset.Inc()
		x.addFlag(flagDownstreamTerm)
	}
}
