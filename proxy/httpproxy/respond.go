package httpproxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
)

// copyBufs holds response copy buffers, one per response being copied.
var copyBufs = sync.Pool{New: func() any {
	b := make([]byte, 32<<10)
	return &b
}}

// respond streams an upstream response downstream: headers (hop-by-hop
// ones removed, server header and mutations applied), the body as it
// arrives, flushed after every read, then the trailers. A gRPC
// trailers-only response (grpc-status in the headers) is written as one
// HEADERS frame with END_STREAM, as gRPC clients require.
func (x *exchange) respond(at *attempt) {
	res := at.res
	removeHopHeaders(res.Header)
	h := x.w.Header()
	for k, vv := range res.Header {
		h[k] = vv
	}
	// Nil values stop net/http from adding its own.
	if _, ok := res.Header["Content-Type"]; !ok {
		h["Content-Type"] = nil
	}
	if _, ok := res.Header["Date"]; !ok {
		h["Date"] = nil
	}
	x.setServerHeader(h)
	x.applyResponseMutations(h)
	trailersOnly := false
	if x.q.grpc {
		if gs := res.Header.Get("Grpc-Status"); gs != "" {
			trailersOnly = true
			x.grpcCode = grpcStatusOf(gs)
		}
	}
	x.status = res.StatusCode
	x.writeHeader(res.StatusCode)
	fl, _ := x.w.(http.Flusher)
	if !trailersOnly && fl != nil {
		fl.Flush()
	}
	if err, downstream := x.copyBody(res.Body, fl); err != nil {
		x.streamFailed(at, downstream)
		return
	}
	x.respTrailer = res.Trailer
	for k, vv := range res.Trailer {
		h[http.TrailerPrefix+k] = vv
	}
	if x.q.grpc && !trailersOnly {
		x.grpcCode = grpcStatusOf(res.Trailer.Get("Grpc-Status"))
	}
}

// copyBody copies the response body until its end. On error,
// downstream says whether writing to the client failed (else reading
// from the upstream did).
func (x *exchange) copyBody(body io.Reader, fl http.Flusher) (err error, downstream bool) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if x.idle != nil {
				x.idle.touch()
			}
			wn, werr := x.w.Write(buf[:n])
			x.bytesSent += uint64(wn)
			if werr != nil {
				return werr, true
			}
			if fl != nil {
				fl.Flush()
			}
		}
		switch {
		case rerr == io.EOF:
			return nil, false
		case rerr != nil:
			return rerr, false
		}
	}
}

// streamFailed ends a response that was started but cannot be finished:
// the client left, or the upstream response failed (reset, route or idle
// timeout), in which case the downstream stream is reset so the client
// does not take a truncated response for a whole one.
func (x *exchange) streamFailed(at *attempt, downstream bool) {
	s, cs := x.f.stats, x.cs
	if downstream || x.r.Context().Err() != nil {
		s.rqRxReset.Inc()
		x.addFlag(flagDownstreamTerm)
		x.cancel(context.Canceled)
		return
	}
	x.abort = true
	switch cause := context.Cause(at.ctx); {
	case errors.Is(cause, errRouteTimeout):
		cs.timeout.Inc()
		cs.txReset.Inc()
		x.addFlag(flagTimeout)
	case errors.Is(cause, errPerTryTimeout):
		cs.perTryTimeout.Inc()
		cs.txReset.Inc()
		x.addFlag(flagTimeout)
	case errors.Is(cause, errIdleTimeout):
		s.rqIdleTimeout.Inc()
		cs.txReset.Inc()
		x.addFlag(flagStreamIdleTimeout)
	default:
		cs.rxReset.Inc()
		at.host.ReportFailure(true)
		x.addFlag(flagRemoteReset)
	}
}
