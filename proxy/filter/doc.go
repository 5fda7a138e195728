// Package filter is the request middleware chain of framed protocols.
//
// A Handler serves one stream synchronously; a Middleware wraps the next
// Handler, doing its work before and/or after calling it, or answering
// the stream itself and not calling it at all (deny, rate limit, fault).
// Chain composes middlewares around a terminal handler (the router):
//
//	h := filter.Chain(router, rbac, fault, stats)
//
// runs rbac, then fault, then stats, then the router. After next returns,
// a middleware sees the stream's answer (Stream.Responses, Stream.Err),
// which is where telemetry records a finished request. No state machine,
// no pause and resume: a handler that waits (for an upstream, a token)
// simply blocks its stream's goroutine, honouring ctx.
package filter
