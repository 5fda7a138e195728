// Package connlimit is Envoy's envoy.filters.network.connection_limit: it
// caps the active connections of a filter chain. A connection over the
// limit is held for the configured delay (to slow down reconnect storms)
// and then closed without touching an upstream.
package connlimit

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/listener"
	"github.com/sidewire/sidewire/telemetry"
)

// Limit is one configured connection_limit filter, shared by every
// connection of its chain.
type Limit struct {
	max     int64
	delay   time.Duration
	active  atomic.Int64
	gauge   *telemetry.Gauge
	limited *telemetry.Counter
}

// New builds a limit; stats go under connection_limit.<stat_prefix>.
func New(cfg *config.ConnectionLimit, root *telemetry.Scope) *Limit {
	s := root.Sub("connection_limit").Tagged("envoy_connection_limit_prefix", cfg.StatPrefix)
	return &Limit{
		max:     int64(cfg.MaxConnections),
		delay:   cfg.Delay,
		gauge:   s.Gauge("active_connections"),
		limited: s.Counter("limited_connections"),
	}
}

// Middleware wraps the rest of the chain.
func (l *Limit) Middleware(next listener.ConnHandler) listener.ConnHandler {
	return listener.ConnHandlerFunc(func(ctx context.Context, c *listener.Conn) {
		if l.active.Add(1) > l.max {
			l.active.Add(-1)
			l.limited.Inc()
			l.reject(ctx, c)
			return
		}
		l.gauge.Inc()
		defer func() {
			l.active.Add(-1)
			l.gauge.Dec()
		}()
		next.ServeConn(ctx, c)
	})
}

func (l *Limit) reject(ctx context.Context, c *listener.Conn) {
	defer c.TCP.Close()
	if l.delay <= 0 {
		return
	}
	t := time.NewTimer(l.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
