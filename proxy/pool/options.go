package pool

import (
	"time"

	"github.com/sidewire/sidewire/codecs"
)

// Defaults for zero Options fields.
const (
	DefaultConns            = 1
	DefaultMaxPending       = 1024
	DefaultConnectTimeout   = 5 * time.Second
	DefaultBufferLimit      = 4 << 20
	DefaultBackoffBase      = 50 * time.Millisecond
	DefaultBackoffMax       = 5 * time.Second
	defaultHeartbeatTimeout = 3 // heartbeat intervals
)

// Options tune a pool. The zero value is usable.
type Options struct {
	// Conns is the number of shared connections (Pipeline, Multiplex).
	Conns int
	// MaxPending bounds requests awaiting responses on one connection;
	// RoundTrip waits (within its context) for room.
	MaxPending int
	// Timeout bounds each request from send to response; 0 leaves it to
	// the caller's context.
	Timeout time.Duration
	// ConnectTimeout bounds one dial.
	ConnectTimeout time.Duration
	// Limits bound decoded frames.
	Limits codecs.Limits
	// BufferLimit is the watermark of response bytes one connection
	// holds before it stops reading.
	BufferLimit int
	// HeartbeatInterval sends a heartbeat (ClientCodec.AppendHeartbeat)
	// on a connection that read nothing for this long; 0 disables.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout fails a connection whose heartbeat is unanswered
	// for this long (default three intervals).
	HeartbeatTimeout time.Duration
	// BackoffBase and BackoffMax bound the exponential backoff after a
	// failed dial, during which requests fail fast.
	BackoffBase, BackoffMax time.Duration
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Conns, DefaultConns)
	def(&o.MaxPending, DefaultMaxPending)
	def(&o.BufferLimit, DefaultBufferLimit)
	defDur(&o.ConnectTimeout, DefaultConnectTimeout)
	defDur(&o.BackoffBase, DefaultBackoffBase)
	defDur(&o.BackoffMax, DefaultBackoffMax)
	if o.HeartbeatInterval > 0 {
		defDur(&o.HeartbeatTimeout, defaultHeartbeatTimeout*o.HeartbeatInterval)
	}
	o.Limits = o.Limits.WithDefaults()
	return o
}
