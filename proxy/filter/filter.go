package filter

import (
	"context"

	"github.com/sidewire/sidewire/proxy/session"
)

// Handler serves one stream. It is the same interface as session.Handler,
// so values of either type are interchangeable.
type Handler interface {
	Serve(ctx context.Context, st *session.Stream) error
}

var _ session.Handler = Handler(nil)

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, st *session.Stream) error

// Serve implements Handler.
func (f HandlerFunc) Serve(ctx context.Context, st *session.Stream) error { return f(ctx, st) }

// Middleware wraps the next handler in the chain.
type Middleware func(next Handler) Handler

// Chain returns terminal wrapped by mws, the first of mws running first.
// Nil middlewares are skipped.
func Chain(terminal Handler, mws ...Middleware) Handler {
	h := terminal
	for i := len(mws) - 1; i >= 0; i-- {
		if mws[i] != nil {
			h = mws[i](h)
		}
	}
	return h
}
