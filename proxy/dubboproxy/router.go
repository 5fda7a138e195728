package dubboproxy

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/filter"
	"github.com/sidewire/sidewire/proxy/pool"
	"github.com/sidewire/sidewire/proxy/session"
)

// router is the terminal handler of every connection: faults, routing,
// mirroring, forwarding, and the stats of each request. It runs inline
// on the session's read goroutine (session.Config.Inline) and never
// waits: forwarded requests go out with SendAsyncTimeout and are
// answered on the upstream connection's reader (exchange.Complete),
// delayed ones on a timer.
type router struct {
	f *Filter
}

var _ filter.Handler = (*router)(nil)

// Serve implements filter.Handler. It answers every request itself, now
// or on completion (or leaves one-way requests unanswered), and never
// returns an error.
func (r *router) Serve(ctx context.Context, st *session.Stream) error {
	f := r.f
	s := f.stats
	s.request.Inc()
	if st.Request.Kind == codecs.KindRequest {
		s.requestTwoWay.Inc()
	} else {
		s.requestOneWay.Inc()
	}
	s.requestActive.Inc()
	x := exchanges.Get().(*exchange)
	x.f, x.ctx, x.st, x.batch = f, ctx, st, st.Batch()
	x.routes = f.table()
	x.q.reset(&st.Request, x.routes.keys)
	if o, held := x.serve(); !held {
		x.end(o)
	}
	return nil
}

// exchange is one request being served, from Serve until end, which runs
// on the read goroutine for local answers and on the completing
// goroutine for forwarded ones. After a path hands the request over
// (held), only the party completing it touches the exchange.
type exchange struct {
	f   *Filter
	ctx context.Context
	st  *session.Stream
	q   request
	// routes is the table the request is routed with, read once.
	routes *routeTable
	// batch is where upstream writes are deferred: the read goroutine's
	// batch while Serve runs, nil on other goroutines.
	batch   *pool.Batch
	up      *upstream
	timeout time.Duration
}

var exchanges = sync.Pool{New: func() any { return new(exchange) }}

var _ pool.Completion = (*exchange)(nil)

// end records the request's outcome and recycles x. The request's bytes
// (which q aliases) stay valid until the stream completes, after end.
func (x *exchange) end(o outcome) {
	f := x.f
	s := f.stats
	s.requestActive.Dec()
	d := time.Since(x.st.Start)
	s.count(o)
	s.requestTime.Record(uint64(d.Milliseconds()))
	f.metrics.record(x.q.service, x.q.method, o, d)
	atts := x.q.atts
	clear(atts)
	*x = exchange{}
	x.q.atts = atts[:0]
	exchanges.Put(x)
}

// serve answers the request or hands it over (held).
func (x *exchange) serve() (outcome, bool) {
	if len(x.f.faults) > 0 {
		if o, done, held := x.inject(); done {
			return o, held
		}
	}
	return x.route()
}

// route routes and forwards the request, or answers it locally.
func (x *exchange) route() (outcome, bool) {
	f, q := x.f, &x.q
	rt := x.routes.lookup(q)
	if rt == nil {
		return x.reply(dubbo.StatusServiceNotFound, fmt.Sprintf("sidewire dubbo proxy: no route for service %q method %q", q.service, q.method)), false
	}
	f.mirror(x)
	name := rt.pickCluster()
	cl := f.deps.Clusters.Get(name)
	if cl == nil {
		return x.reply(dubbo.StatusServiceError, fmt.Sprintf("sidewire dubbo proxy: unknown cluster %q for service %q", name, q.service)), false
	}
	h, err := pickHost(cl, rt.metadata)
	if err != nil {
		return x.reply(dubbo.StatusServiceError, fmt.Sprintf("sidewire dubbo proxy: cluster %q: %v", name, err)), false
	}
	up, err := f.ups.get(cl, h)
	if err != nil {
		return x.reply(dubbo.StatusServiceError, "sidewire dubbo proxy: "+err.Error()), false
	}
	return x.forward(up)
}

// forward sends the request to up within its timeout; Complete answers
// it. It always hands the request over: x must not be touched after.
func (x *exchange) forward(up *upstream) (outcome, bool) {
	router := &x.f.router
	x.up, x.timeout = up, router.DefaultTimeout
	if x.st.Request.Kind == codecs.KindRequest {
		x.timeout = x.q.timeout(router.DefaultTimeout, router.MaxTimeout)
	}
	st := x.st
	up.host.RequestStarted()
	st.Hold()
	if err := up.p.SendAsyncTimeout(x.ctx, &st.Request, x, x.batch, x.timeout); err != nil {
		up.host.RequestFinished()
		x.end(x.failed(err))
		st.Complete(nil)
	}
	return outcome{}, true
}

// Complete implements pool.Completion: it answers with the provider's
// response, CLIENT_TIMEOUT (30) when time ran out (the late response is
// dropped) or SERVICE_ERROR (70) when the upstream failed.
func (x *exchange) Complete(b *pool.Batch, resps []pool.Response, err error) {
	st, up := x.st, x.up
	up.host.RequestFinished()
	var o outcome
	if err != nil {
		o = x.failed(err)
	} else {
		up.host.ReportSuccess()
		if st.Request.Kind == codecs.KindRequest && len(resps) > 0 {
			o = upstreamOutcome(&resps[0].Frame.Attrs)
		}
		for _, r := range resps {
			st.Respond(r)
		}
	}
	x.end(o)
	st.CompleteIn(b, nil)
}

// failed answers a request the pool failed.
func (x *exchange) failed(err error) outcome {
	if x.ctx.Err() != nil {
		return outcome{} // the client went away: nobody to answer
	}
	q, up := &x.q, x.up
	var pe *pool.Error
	if errors.As(err, &pe) && pe.Timeout() {
		return x.reply(dubbo.StatusClientTimeout, fmt.Sprintf("sidewire dubbo proxy: %s.%s timed out after %s waiting for %s",
			q.service, q.method, x.timeout, up.host))
	}
	up.host.ReportFailure(true)
	return x.reply(dubbo.StatusServiceError, fmt.Sprintf("sidewire dubbo proxy: upstream %s: %v", up.host, err))
}

// reply answers a two-way request with a local error response; one-way
// requests get nothing.
func (x *exchange) reply(status dubbo.ResponseStatus, msg string) outcome {
	return reply(x.st, status, msg)
}

// reply answers a two-way request with a local error response; one-way
// requests get nothing.
func reply(st *session.Stream, status dubbo.ResponseStatus, msg string) outcome {
	if st.Request.Kind != codecs.KindRequest {
		return outcome{}
	}
	st.Reply(dubbo.AppendErrorResponse(nil, st.Request.ID, status, msg))
	return outcome{local: true, answered: true, status: status, exception: status == dubbo.StatusOK}
}

// pickHost picks a host of cl: by the cluster's load balancer, or, for a
// route with metadata_match, at random by weight among the healthy hosts
// whose envoy.lb metadata holds every key and value of md.
func pickHost(cl *cluster.Cluster, md map[string]string) (*cluster.Host, error) {
	if len(md) == 0 {
		return cl.Pick(cluster.LBContext{})
	}
	var total uint64
	hosts := cl.Hosts()
	n := 0
	for _, h := range hosts {
		if h.Healthy() && metadataMatches(h.Metadata(), md) {
			hosts[n] = h
			n++
			total += uint64(h.Weight())
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("%w matching metadata %v", cluster.ErrNoHealthyUpstream, md)
	}
	x := rand.Uint64N(total)
	for _, h := range hosts[:n] {
		if x < uint64(h.Weight()) {
			return h, nil
		}
		x -= uint64(h.Weight())
	}
	return hosts[n-1], nil
}

func metadataMatches(have, want map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}
