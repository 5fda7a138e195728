package httpproxy

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

// exchange is one request being served, from its headers to the end of
// its response, on the handler goroutine net/http runs it on.
type exchange struct {
	f *Filter
	d *downstream
	w http.ResponseWriter
	r *http.Request
	q reqView
	// proto is %PROTOCOL%: HTTP/1.0, HTTP/1.1 or HTTP/2.
	proto string
	// forwardedProto is the request's x-forwarded-proto as forwarded.
	forwardedProto string
	start          time.Time
	fc             fmtContext
	rt             *route

	// Set when the request is forwarded.
	ctx        context.Context
	cancel     context.CancelCauseFunc
	body       *reqBody
	idle       *idleWatch
	routeTimer timer
	reqTimer   timer
	out        outRequest

	clusterName   string
	cs            *clusterStats
	upstreamLocal string

	status      int // sent downstream; 0 when nothing was
	wroteHeader bool
	abort       bool // reset the downstream stream once done
	flags       string
	bytesSent   uint64
	grpcCode    int // the response's grpc-status; -1 when none
	respTrailer http.Header
}

// serveHTTP serves one request.
func (f *Filter) serveHTTP(d *downstream, w http.ResponseWriter, r *http.Request) {
	x := &exchange{f: f, d: d, w: w, r: r, start: time.Now(), grpcCode: -1}
	x.begin()
	defer x.finish()
	x.route()
	if x.abort {
		// The response was started and cannot be completed: reset the
		// stream (HTTP/2 RST_STREAM) or close the connection (HTTP/1.1).
		f.stats.rqTxReset.Inc()
		panic(http.ErrAbortHandler)
	}
}

// begin counts the request and builds what routing reads.
func (x *exchange) begin() {
	s, r := x.f.stats, x.r
	s.rqTotal.Inc()
	s.rqActive.Inc()
	if r.ProtoMajor == 2 {
		s.rqHTTP2.Inc()
		x.proto = "HTTP/2"
	} else {
		s.rqHTTP1.Inc()
		x.proto = r.Proto
	}
	path := r.RequestURI
	if path == "" || path[0] != '/' && path != "*" {
		path = r.URL.RequestURI() // absolute-form
	}
	x.q = reqView{method: r.Method, authority: lowerASCII(r.Host), path: path, scheme: x.d.scheme,
		header: r.Header, grpc: isGRPC(r.Header.Get("Content-Type"))}
	x.q.pathOnly, x.q.query, _ = strings.Cut(path, "?")
	x.forwardedProto = x.d.scheme
	if v := r.Header.Get("X-Forwarded-Proto"); v != "" && !x.f.cfg.UseRemoteAddress {
		x.forwardedProto = v
	}
	x.fc = fmtContext{q: &x.q, remote: x.d.remote, protocol: x.proto}
}

// route answers the request: no route, a redirect, a direct response,
// or a forward to a cluster.
func (x *exchange) route() {
	_, rt := x.f.table().lookup(&x.q)
	if rt == nil {
		x.f.stats.noRoute.Inc()
		x.localReply(http.StatusNotFound, "", flagNoRoute)
		return
	}
	x.rt = rt
	switch {
	case rt.redirect != nil:
		x.redirect(rt.redirect)
	case rt.direct != nil:
		x.directResponse(rt.direct)
	default:
		x.forward(rt.action)
	}
}

// writeHeader sends the response status and headers.
func (x *exchange) writeHeader(code int) {
	x.wroteHeader = true
	x.w.WriteHeader(code)
}

// setServerHeader applies the server header transformation.
func (x *exchange) setServerHeader(h http.Header) {
	name := x.f.cfg.ServerName
	if name == "" {
		name = config.DefaultHTTPServerName
	}
	switch x.f.cfg.ServerHeaderTransformation {
	case config.ServerHeaderOverwrite:
		h["Server"] = []string{name}
	case config.ServerHeaderAppendIfAbsent:
		if len(h["Server"]) == 0 {
			h["Server"] = []string{name}
		}
	}
}

// applyResponseMutations applies the response header mutations of the
// route, its virtual host and its table, in that order (the table's
// last, so they win: Envoy's most_specific_header_mutations_wins false).
func (x *exchange) applyResponseMutations(h http.Header) {
	rt := x.rt
	if rt == nil {
		return
	}
	for _, m := range [3]*mutations{rt.headers, rt.vh.headers, rt.table.headers} {
		applyMutations(h, m.respRemove, m.respAdd, &x.fc)
	}
}

// applyRequestMutations is applyResponseMutations for the request.
func (x *exchange) applyRequestMutations(h http.Header) {
	rt := x.rt
	for _, m := range [3]*mutations{rt.headers, rt.vh.headers, rt.table.headers} {
		applyMutations(h, m.reqRemove, m.reqAdd, &x.fc)
	}
}

// finish records the request's stats, metrics and access log lines and
// sends its mirrors.
func (x *exchange) finish() {
	f, s := x.f, x.f.stats
	x.reqTimer.stop()
	x.routeTimer.stop()
	x.idle.stop()
	if x.cancel != nil {
		x.cancel(context.Canceled)
	}
	d := time.Since(x.start)
	s.rqActive.Dec()
	s.rqCompleted.Inc()
	if c := statusClass(x.status); c > 0 {
		s.rqClass[c].Inc()
	}
	s.rqTime.Record(uint64(d.Milliseconds()))
	f.metrics.record(x.clusterName, x.status, d)
	if x.q.grpc {
		if svc, m, ok := grpcMethod(x.q.pathOnly); ok {
			f.metrics.recordGRPC(svc, m, x.grpcCode, d)
		}
	}
	if x.rt != nil && x.rt.action != nil && len(x.rt.action.mirrors) > 0 && x.body != nil {
		x.mirror(x.rt.action)
	}
	if len(f.logs) > 0 {
		x.log(d)
	}
}

// log writes the request's access log lines.
func (x *exchange) log(d time.Duration) {
	e := &telemetry.AccessLogEntry{
		StartTime:               x.start,
		Duration:                d,
		BytesSent:               x.bytesSent,
		DownstreamRemoteAddress: x.d.remote,
		DownstreamLocalAddress:  x.d.local,
		UpstreamHost:            x.fc.upstreamHost,
		UpstreamCluster:         x.clusterName,
		UpstreamLocalAddress:    x.upstreamLocal,
		ResponseFlags:           x.flags,
		ConnectionID:            x.d.c.ID,
		RequestedServerName:     x.d.c.ServerName,
		Protocol:                x.proto,
		HTTP: &telemetry.HTTPLogInfo{
			Method:           x.r.Method,
			Path:             x.q.path,
			Authority:        x.r.Host,
			Scheme:           x.q.scheme,
			RequestHeaders:   x.r.Header,
			ResponseHeaders:  x.w.Header(),
			ResponseTrailers: x.respTrailer,
		},
	}
	if x.out.header != nil {
		e.HTTP.RequestHeaders = x.out.header
	}
	if x.body != nil {
		e.BytesReceived = x.body.received()
	}
	if x.status > 0 {
		e.ResponseCode = statusString(x.status)
	}
	for _, l := range x.f.logs {
		l.Log(e)
	}
}
