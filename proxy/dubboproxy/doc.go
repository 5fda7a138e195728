// Package dubboproxy is the runtime of Envoy's
// envoy.filters.network.dubbo_proxy: it speaks the Dubbo 2 protocol
// (hessian2 bodies) to consumers, routes each request by service
// interface, group, version, method, arguments and attachments to a
// cluster of providers, and forwards it on upstream connections shared
// by every client.
//
// # Connections
//
// A Filter serves each downstream connection with a session.Session and
// the codecs/dubbo codec. Heartbeats from clients are answered by the
// session. The router runs inline on the connection's read goroutine
// (session.Config.Inline) and never waits: a forwarded request is queued
// on its upstream connection with pool.Multiplex.SendAsyncTimeout (the
// writes of the requests read together leave in one write call) and
// answered from the upstream connection's reader when its response
// arrives, or from the pool's timer when its timeout runs out; a fault
// delay holds the request on a timer. Answers go back in completion
// order.
//
// # Routing
//
// Route configs are tried in order; the first whose interface (exact,
// "*", "prefix*" or "*suffix"), group and version admit the request and
// that has a matching route wins. Unlike Envoy (envoy issue 22032), a
// route config with a group admits only requests whose "group"
// attachment is exactly that group. Routes match the method name with a
// StringMatcher, arguments by index (exact or integer range) and
// attachments with HeaderMatchers. The service, method and version come
// from the codec's zero-allocation attributes; the group, the version
// and "timeout" attachments and the attachments routes match on are read
// by dubbo.ScanAttachments, which skips the arguments without decoding
// them and allocates nothing. The body is decoded with dubbo-go-hessian2
// only for routes that match arguments, or for a body the scanner leaves
// to it (an attachment value over one hessian2 chunk, say).
// A route sends to a cluster, to weighted clusters, and may restrict the
// endpoints to those whose envoy.lb metadata matches its metadata_match.
//
// # Upstreams
//
// All connections of a Filter share one multiplexed pool per host
// (config.DubboRouter.UpstreamConnections connections, default 1):
// request ids are rewritten per upstream connection and restored on the
// way back, responses match out of order, one-way requests get none.
// Pools send heartbeats on idle connections and close one whose
// heartbeat goes unanswered. Pools of hosts that left their cluster are
// closed by a periodic sweep.
//
// # Local answers
//
//   - no route: SERVICE_NOT_FOUND (60), naming the service and method;
//   - the request's timeout (its "timeout" attachment in milliseconds,
//     a string or an integer, capped by MaxTimeout; DefaultTimeout
//     without one) runs out: CLIENT_TIMEOUT (30), and the late response
//     is dropped. A client that leaves gets nothing: its requests in
//     flight end with their response or timeout;
//   - unknown cluster, no healthy host, connect failure, or the upstream
//     connection lost with the request in flight: SERVICE_ERROR (70);
//   - an injected abort: its configured status.
//
// # Sidewire filters
//
// Fault injection (delay and/or abort a fraction of the requests of
// some services and methods) and request mirroring (copy a fraction of
// two-way requests to a shadow cluster, responses dropped) come as
// TypedStruct dubbo_filters ahead of the router; see package xds.
//
// # Telemetry
//
// Envoy's dubbo.<stat_prefix>.* stats (request, request_twoway,
// request_oneway, request_event, response, response_success,
// response_error, response_business_exception, local_response_*,
// request_time_ms, ...) with the prefix tagged envoy_dubbo_prefix, and
// the sidewire_dubbo_requests_total{service,method,status} counter and
// sidewire_dubbo_request_duration_seconds{service,method} histogram, with
// at most MaxMetricPairs service x method pairs per filter, then "other".
package dubboproxy
