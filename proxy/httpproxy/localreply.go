package httpproxy

import (
	"net/http"
	"strconv"
	"strings"
)

// Local reply bodies, Envoy's.
const (
	bodyNoHealthy      = "no healthy upstream"
	bodyTimeout        = "upstream request timeout"
	bodyStreamTimeout  = "stream timeout"
	bodyRequestTimeout = "request timeout"
	bodyResetPrefix    = "upstream connect error or disconnect/reset before headers. "
)

// Envoy's response flags.
const (
	flagNoRoute           = "NR"
	flagNoCluster         = "NC"
	flagNoHealthy         = "UH"
	flagConnectFailure    = "UF"
	flagOverflow          = "UO"
	flagTimeout           = "UT"
	flagConnTermination   = "UC"
	flagRemoteReset       = "UR"
	flagRetryLimit        = "URX"
	flagDownstreamTerm    = "DC"
	flagStreamIdleTimeout = "SI"
	flagDownstreamTimeout = "DT"
)

// resetBody is Envoy's body for a request that got no response headers:
// the reset reason, with "retried and the latest" when retries happened.
func resetBody(reason string, retried bool) string {
	if retried {
		return bodyResetPrefix + "retried and the latest reset reason: " + reason
	}
	return bodyResetPrefix + "reset reason: " + reason
}

// localReply answers the request from the proxy itself, unless a
// response has been started. gRPC requests get a trailers-only gRPC
// response (HTTP 200, grpc-status mapped from status as Envoy maps it,
// grpc-message the body); others get status with body as text/plain.
func (x *exchange) localReply(status int, body, flag string) {
	x.addFlag(flag)
	if x.wroteHeader {
		return
	}
	h := x.w.Header()
	clear(h)
	x.setServerHeader(h)
	x.applyResponseMutations(h)
	x.status = status
	if x.q.grpc {
		code := grpcStatusFromHTTP(status)
		x.grpcCode = code
		h.Set("Content-Type", "application/grpc")
		h.Set("Grpc-Status", strconv.Itoa(code))
		if body != "" {
			h.Set("Grpc-Message", grpcMessageEncode(body))
		}
		x.writeHeader(http.StatusOK)
		return
	}
	if body != "" {
		h.Set("Content-Type", "text/plain")
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	x.writeHeader(status)
	if body != "" && x.r.Method != http.MethodHead {
		n, _ := x.w.Write([]byte(body))
		x.bytesSent += uint64(n)
	}
}

// addFlag adds a response flag to the exchange's, comma separated.
func (x *exchange) addFlag(flag string) {
	switch {
	case flag == "" || strings.Contains(x.flags, flag):
	case x.flags == "":
		x.flags = flag
	default:
		x.flags += "," + flag
	}
}

// redirect answers with the route's redirect.
func (x *exchange) redirect(rd *routeRedirect) {
	x.f.stats.redirect.Inc()
	h := x.w.Header()
	x.setServerHeader(h)
	x.applyResponseMutations(h)
	h.Set("Location", rd.location(&x.q, x.forwardedProto))
	x.status = rd.status
	x.writeHeader(rd.status)
}

// directResponse answers with the route's fixed response.
func (x *exchange) directResponse(d *directReply) {
	x.f.stats.directResponse.Inc()
	h := x.w.Header()
	x.setServerHeader(h)
	x.applyResponseMutations(h)
	if d.body != "" {
		h.Set("Content-Type", "text/plain")
		h.Set("Content-Length", d.length)
	}
	x.status = d.status
	x.writeHeader(d.status)
	if d.body != "" && x.r.Method != http.MethodHead {
		n, _ := x.w.Write(d.bodyBytes)
		x.bytesSent += uint64(n)
	}
}
