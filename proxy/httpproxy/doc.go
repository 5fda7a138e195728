// Package httpproxy is the runtime of Envoy's
// envoy.filters.network.http_connection_manager with the router filter:
// it serves HTTP/1.1, HTTP/2 (prior knowledge, or ALPN "h2" when the
// filter chain terminates TLS) and gRPC to downstream clients, routes
// each request with a route table (inline, or from RDS through a
// RouteStore) and forwards it to a cluster over pooled HTTP/1.1 or
// HTTP/2 upstream connections, streaming both ways.
//
// # Connections
//
// Each downstream connection is served by its own net/http server over a
// one-connection listener, so that a draining listener shuts that
// connection down gracefully: an HTTP/2 client gets a GOAWAY and its
// streams in flight finish; an HTTP/1.1 connection is closed once idle,
// the response in flight carrying "connection: close". The codec type
// picks the protocols (AUTO: both). Request header size
// (max_request_headers_kb, 431 past it), request header timeout and
// connection idle timeout are net/http's. Malformed requests get net/http's
// 400 and lose their connection only. ServeConn returns when the
// connection has ended and its handlers have returned.
//
// # Routing
//
// A route table compiles into an immutable form: virtual hosts found by
// the request's authority (exact, longest "*suffix", longest "prefix*",
// "*"; ports compared when the domain has one), routes tried in order
// (prefix against the whole :path as Envoy does, exact and regex against
// the path without query, path_separated_prefix; headers, pseudo-headers
// :method :authority :path :scheme, raw query parameters, gRPC).
// Actions: a cluster, weighted clusters (a uniform draw over the summed
// weights) or a cluster named by a request header; prefix and regex path
// rewrites (x-envoy-original-path keeps the original), host rewrites;
// redirects (Location built as Envoy builds it, 301 by default) and
// direct responses. Header mutations apply route first, then virtual
// host, then table (Envoy's default: the least specific level wins),
// each level removing before adding, with the %DOWNSTREAM_REMOTE_ADDRESS%,
// %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%, %UPSTREAM_HOST%, %PROTOCOL%
// and %REQ(name)% formatters.
//
// # Forwarding
//
// Requests lose their hop-by-hop headers (te is kept as "trailers"),
// get x-forwarded-proto, x-forwarded-for (use_remote_address) and
// x-request-id (generate_request_id), and go out with their path bytes
// as received. The router does not use httputil.ReverseProxy: retries,
// local replies, gRPC trailers-only responses and Envoy's stats need the
// attempt loop in hand. Each attempt picks a host (Cluster.Pick, with
// the route's hash policies' xxHash for RING_HASH and MAGLEV; a host not
// tried yet on retries), takes a max_requests slot and a pooled
// connection, and sends the request with http.ClientConn. Pools are per
// host and HTTP version (the cluster's HTTPProtocolOptions: HTTP/1.1 by
// default, HTTP/2 as h2c or over the cluster's TLS, or the downstream's
// version), dial through Cluster.ConnectHost (connect timeout,
// max_connections, TLS, upstream_cx_* stats, outlier detection), share
// one dial between concurrent HTTP/2 requests, close connections idle
// past the idle timeout or past max_requests_per_connection, and are
// closed when their host leaves its cluster or the filter closes.
//
// Bodies stream both ways as they arrive, flushed after every read, with
// trailers passed through; an HTTP/1.1 client may stream both ways too
// (full duplex). A gRPC trailers-only response stays one HEADERS frame.
//
// # Timeouts and retries
//
// The route timeout runs from the end of the request to the end of the
// response: before response headers it answers 504 "upstream request
// timeout" (UT), after them it resets the stream. The per-try timeout
// bounds each attempt. The stream idle timeout (route idle_timeout, else
// the connection manager's) and the request timeout answer 408. Retries
// follow the retry policy's conditions (5xx, gateway-error, reset,
// connect-failure, retriable-4xx, refused-stream, retriable-status-codes,
// and the gRPC statuses of trailers-only responses), with Envoy's
// jittered exponential back-off and the cluster's max_retries budget. A
// request is retried only while its body is replayable: the first 64 KiB
// are kept as they stream through when the route retries or mirrors;
// past that the request is not retried. An HTTP/1.1 connection the
// upstream closed while pooled is retried once, transparently, for
// idempotent requests that sent nothing.
//
// # Local replies
//
// Envoy's statuses, bodies and response flags: no route 404 (NR),
// unknown cluster 503 (NC), no healthy host 503 "no healthy upstream"
// (UH), connect failure 503 (UF), overflow 503 (UO), reset 503 (UC, UR),
// timeout 504 (UT). A gRPC request gets them as a trailers-only response
// (HTTP 200, grpc-status mapped from the HTTP status as Envoy maps it,
// grpc-message the body).
//
// # Mirroring
//
// request_mirror_policies copy a request whose body was kept whole to
// shadow clusters once it is done, host suffixed "-shadow", responses
// dropped, at most 256 in flight per filter.
//
// # Telemetry
//
// Envoy's http.<stat_prefix>.* stats (downstream_cx_*, downstream_rq_*,
// no_route, no_cluster, rq_direct_response, rq_redirect, ...) tagged
// envoy_http_conn_manager_prefix, and cluster.<name>.upstream_rq_*
// (completed, <code>, <N>xx, time, timeout, per_try_timeout, retry,
// retry_success, retry_limit_exceeded, rx_reset, tx_reset) next to the
// cluster's own. Prometheus families
// sidewire_http_requests_total{cluster,code_class},
// sidewire_http_request_duration_seconds{cluster}, and for gRPC
// sidewire_grpc_requests_total{service,method,grpc_code} and
// sidewire_grpc_request_duration_seconds{service,method}, with at most
// 256 service x method pairs per filter, then "other". Access logs get
// the HTTP fields (%REQ(...)%, %RESP(...)%, %TRAILER(...)%,
// %RESPONSE_CODE%, %PROTOCOL%, ...).
package httpproxy
