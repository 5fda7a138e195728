package cluster

import (
	"sync/atomic"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

// Breaker holds a cluster's circuit breaker resources for the default
// routing priority (Envoy's ResourceManager): connections, pending
// requests, requests and retries. Each TryAcquire that succeeds must be
// matched by one Release. A refused TryAcquire counts the resource's
// overflow stat (upstream_cx_overflow, upstream_rq_pending_overflow,
// upstream_rq_retry_overflow); the circuit_breakers.default.*_open gauges
// are 1 while a resource is at its limit. All methods are lock-free.
type Breaker struct {
	cx, pending, rq, retry resource
	s                      *clusterStats
}

// resource is one counted limit.
type resource struct {
	max      int64
	n        atomic.Int64
	open     *telemetry.Gauge
	overflow func(*trafficStats) *telemetry.Counter
}

func newBreaker(t config.CircuitBreakers, s *clusterStats) *Breaker {
	return &Breaker{
		cx:      resource{max: int64(t.MaxConnections), open: s.cbCxOpen, overflow: cxOverflow},
		pending: resource{max: int64(t.MaxPendingRequests), open: s.cbRqPendingOpen, overflow: rqPendingOverflow},
		// Envoy counts max_requests overflows as upstream_rq_pending_overflow.
		rq:    resource{max: int64(t.MaxRequests), open: s.cbRqOpen, overflow: rqPendingOverflow},
		retry: resource{max: int64(t.MaxRetries), open: s.cbRqRetryOpen, overflow: rqRetryOverflow},
		s:     s,
	}
}

func cxOverflow(t *trafficStats) *telemetry.Counter        { return t.cxOverflow }
func rqPendingOverflow(t *trafficStats) *telemetry.Counter { return t.rqPendingOverflow }
func rqRetryOverflow(t *trafficStats) *telemetry.Counter   { return t.rqRetryOverflow }

func (b *Breaker) tryAcquire(r *resource) bool {
	for {
		n := r.n.Load()
		if n >= r.max {
			r.overflow(b.s.tr()).Inc()
			r.syncGauge()
			return false
		}
		if r.n.CompareAndSwap(n, n+1) {
			if n+1 >= r.max {
				r.syncGauge()
			}
			return true
		}
	}
}

func (r *resource) release() {
	if n := r.n.Add(-1); n == r.max-1 {
		r.syncGauge()
	}
}

// syncGauge sets the open gauge from the count, retrying if the count
// crossed the limit meanwhile, so racing acquires and releases cannot
// leave it stale.
func (r *resource) syncGauge() {
	for {
		open := r.n.Load() >= r.max
		v := int64(0)
		if open {
			v = 1
		}
		r.open.Set(v)
		if (r.n.Load() >= r.max) == open {
			return
		}
	}
}

// TryAcquireConnection takes a connection slot (max_connections).
// Connect does this itself; pools that open connections another way may
// use it.
func (b *Breaker) TryAcquireConnection() bool { return b.tryAcquire(&b.cx) }

// ReleaseConnection returns a connection slot.
func (b *Breaker) ReleaseConnection() { b.cx.release() }

// TryAcquirePending takes a pending request slot (max_pending_requests).
func (b *Breaker) TryAcquirePending() bool { return b.tryAcquire(&b.pending) }

// ReleasePending returns a pending request slot.
func (b *Breaker) ReleasePending() { b.pending.release() }

// TryAcquireRequest takes an active request slot (max_requests).
func (b *Breaker) TryAcquireRequest() bool { return b.tryAcquire(&b.rq) }

// ReleaseRequest returns an active request slot.
func (b *Breaker) ReleaseRequest() { b.rq.release() }

// TryAcquireRetry takes a retry slot (max_retries).
func (b *Breaker) TryAcquireRetry() bool { return b.tryAcquire(&b.retry) }

// ReleaseRetry returns a retry slot.
func (b *Breaker) ReleaseRetry() { b.retry.release() }

// BreakerCounts are the resources in use.
type BreakerCounts struct {
	Connections, Pending, Requests, Retries int64
}

// Counts returns the resources in use now.
func (b *Breaker) Counts() BreakerCounts {
	return BreakerCounts{b.cx.n.Load(), b.pending.n.Load(), b.rq.n.Load(), b.retry.n.Load()}
}

// Limits returns the configured thresholds.
func (b *Breaker) Limits() config.CircuitBreakers {
	return config.CircuitBreakers{
		MaxConnections:     uint32(b.cx.max),
		MaxPendingRequests: uint32(b.pending.max),
		MaxRequests:        uint32(b.rq.max),
		MaxRetries:         uint32(b.retry.max),
	}
}
