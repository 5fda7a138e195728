package dubboproxy

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/filter"
	"github.com/sidewire/sidewire/proxy/pool"
	"github.com/sidewire/sidewire/proxy/session"
)

// router is the terminal handler of every connection: faults, routing,
// mirroring, forwarding, and the stats of each request.
type router struct {
	f *Filter
}

var _ filter.Handler = (*router)(nil)

// Serve implements filter.Handler. It answers every request itself (or
// leaves one-way requests unanswered) and never returns an error.
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
	q := newRequest(&st.Request)
	o := r.serve(ctx, st, &q)
	s.requestActive.Dec()
	d := time.Since(st.Start)
	s.count(o)
	s.requestTime.Record(uint64(d.Milliseconds()))
	f.metrics.record(q.service, q.method, o, d)
	return nil
}

// serve answers one request and says how.
func (r *router) serve(ctx context.Context, st *session.Stream, q *request) outcome {
	f := r.f
	if o, done := r.inject(ctx, st, q); done {
		return o
	}
	rt := f.routes.lookup(q)
	if rt == nil {
		return reply(st, dubbo.StatusServiceNotFound, fmt.Sprintf("sidewire dubbo proxy: no route for service %q method %q", q.service, q.method))
	}
	f.mirror(q)
	name := rt.pickCluster()
	cl := f.deps.Clusters.Get(name)
	if cl == nil {
		return reply(st, dubbo.StatusServiceError, fmt.Sprintf("sidewire dubbo proxy: unknown cluster %q for service %q", name, q.service))
	}
	h, err := pickHost(cl, rt.metadata)
	if err != nil {
		return reply(st, dubbo.StatusServiceError, fmt.Sprintf("sidewire dubbo proxy: cluster %q: %v", name, err))
	}
	up, err := f.ups.get(cl, h)
	if err != nil {
		return reply(st, dubbo.StatusServiceError, "sidewire dubbo proxy: "+err.Error())
	}
	return r.forward(ctx, st, q, up)
}

// forward sends the request to up within its timeout and answers with
// the provider's response, or with CLIENT_TIMEOUT (30) when time runs
// out (the late response is dropped) and SERVICE_ERROR (70) when the
// upstream fails.
func (r *router) forward(ctx context.Context, st *session.Stream, q *request, up *upstream) outcome {
	router := &r.f.router
	timeout := router.DefaultTimeout
	twoWay := st.Request.Kind == codecs.KindRequest
	if twoWay {
		timeout = q.timeout(router.DefaultTimeout, router.MaxTimeout)
	}
	fctx, cancel := context.WithTimeout(ctx, timeout)
	up.host.RequestStarted()
	err := st.Forward(fctx, up.p)
	cancel()
	up.host.RequestFinished()
	switch {
	case err == nil:
		up.host.ReportSuccess()
		if rs := st.Responses(); twoWay && len(rs) > 0 {
			return upstreamOutcome(&rs[0].Frame.Attrs)
		}
		return outcome{}
	case ctx.Err() != nil:
		return outcome{} // the client went away: nobody to answer
	}
	var pe *pool.Error
	if errors.As(err, &pe) && pe.Timeout() {
		return reply(st, dubbo.StatusClientTimeout, fmt.Sprintf("sidewire dubbo proxy: %s.%s timed out after %s waiting for %s",
			q.service, q.method, timeout, up.host))
	}
	up.host.ReportFailure(true)
	return reply(st, dubbo.StatusServiceError, fmt.Sprintf("sidewire dubbo proxy: upstream %s: %v", up.host, err))
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
