package session

import (
	"context"
	"time"

	"github.com/sidewire/sidewire/codecs"
)

// Handler serves one stream. It is filter.Handler, declared here because
// package filter builds on Stream.
type Handler interface {
	Serve(ctx context.Context, st *Stream) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, st *Stream) error

// Serve implements Handler.
func (f HandlerFunc) Serve(ctx context.Context, st *Stream) error { return f(ctx, st) }

// Defaults for zero Config fields.
const (
	DefaultBufferLimit  = 1 << 20
	DefaultMaxInFlight  = 1024
	DefaultDrainTimeout = 5 * time.Second
)

// Config configures a Session.
type Config struct {
	// Codec is the protocol; its pool mode decides the answer order.
	Codec codecs.Codec
	// Limits bound decoded frames.
	Limits codecs.Limits
	// Handler serves every request; it must honour its context.
	Handler Handler
	// BufferLimit is the read buffer watermark in bytes.
	BufferLimit int
	// MaxInFlight bounds requests decoded but not yet answered.
	MaxInFlight int
	// IdleTimeout closes a connection with no request in flight and no
	// byte read or written for this long; 0 disables it.
	IdleTimeout time.Duration
	// DrainTimeout bounds how long a closing session (client EOF,
	// malformed frame) waits for in-flight requests and their writes.
	DrainTimeout time.Duration
	// Inline runs the handler on the read goroutine, one request after
	// the other in arrival order, instead of on a goroutine per request.
	// The handler must then not block beyond brief backpressure: one
	// that answers later calls Stream.Hold before returning and
	// Stream.Complete once the answer is ready, from any goroutine.
	// This is the fast path for pipelined protocols, whose requests must
	// reach the upstream in order anyway.
	Inline bool
}

func (c Config) withDefaults() Config {
	if c.BufferLimit <= 0 {
		c.BufferLimit = DefaultBufferLimit
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	c.Limits = c.Limits.WithDefaults()
	return c
}
