package redisproxy

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/pool"
	"github.com/sidewire/sidewire/proxy/session"
	"github.com/sidewire/sidewire/telemetry"
)

// A binding is an upstream connection that serves one client connection
// only (pool.BoundConn): its subscriptions, its blocking commands, its
// transaction. Commands are queued on it with SendAsync from the
// session's read goroutine, in the client's order, and complete on the
// connection's reader in that order. Each command's boundCall is its
// pool.Completion; the binding keeps them in flight, oldest first, for
// their time budgets.
//
// Time: each command in flight has a budget (op_timeout, or a blocking
// command's own timeout plus op_timeout, or none for a block without
// end); the command at the head of the FIFO must be answered within its
// budget, counted from when it reached the head, as every reply restarts
// the timer (Envoy's op_timeout semantics). A binding whose head command
// overruns is closed: every command on it fails, as on a shared
// pipeline.
type binding struct {
	f     *Filter
	cl    *cluster.Cluster
	host  *cluster.Host
	proto redis.Proto
	bp    *pool.Bound
	bc    *pool.BoundConn
	// rqTime is the cluster's upstream_commands.upstream_rq_time.
	rqTime *telemetry.Histogram

	mu       sync.Mutex
	calls    []*boundCall // in flight, oldest first
	timer    *time.Timer
	deadline time.Time // of the head call; zero: none
	timedOut bool
	closed   bool

	inflight atomic.Int32 // len(calls), readable without the lock
	blocking atomic.Int32 // blocking commands in flight
	// subscribed is set while the client has subscriptions on it, for
	// the watcher that ends the client connection if it dies then.
	subscribed atomic.Bool
	// lastUse orders idle bindings for eviction; read goroutine only.
	lastUse uint64
}

// boundCall is one command in flight on a binding: the exchange its
// reply answers (nil: a command the proxy sent for itself, whose reply
// is dropped), its time budget (<0: none) and whether it blocks. It is
// the command's pool.Completion: when the connection fails, the
// failing goroutine may complete later commands while the reader still
// completes an earlier one, so each reply must know its own exchange.
type boundCall struct {
	b        *binding
	q        *exchange
	budget   time.Duration
	blocking bool
}

var _ pool.Completion = (*boundCall)(nil)

var boundCalls = sync.Pool{New: func() any { return new(boundCall) }}

// dialBinding opens a bound connection to host h of cl in RESP p. Pushes
// it receives (pub/sub messages, RESP3 out-of-band pushes) go to sess,
// after the answers already queued there.
func (f *Filter) dialBinding(ctx context.Context, cl *cluster.Cluster, h *cluster.Host, p redis.Proto, sess *session.Session) (*binding, error) {
	d := &hostDialer{cl: cl, h: h, proto: p, limits: f.limits, rate: &f.connectRate}
	bp := pool.NewBound(d, f.codec, pool.Options{Limits: f.limits, ConnectTimeout: cl.Config().ConnectTimeout})
	b := &binding{f: f, cl: cl, host: h, proto: p, bp: bp, rqTime: upstreamRqTime(f.ups.stats, cl)}
	bc, err := bp.Connect(ctx, func(r pool.Response) {
		if r.Frame.Attrs.Topic != nil {
			f.stats.pubsubMessages.Inc()
		}
		sess.Push(r)
	})
	if err != nil {
		_ = bp.Close()
		return nil, err
	}
	b.bc = bc
	f.stats.boundActive.Inc()
	go b.watch(sess)
	return b, nil
}

// watch ends the client connection when the binding dies while the
// client is subscribed: its subscriptions are gone, and a client learns
// that only from a closed connection. It returns once the binding is
// closed or dead, which it counts.
func (b *binding) watch(sess *session.Session) {
	<-b.bc.Done()
	b.f.stats.boundActive.Dec()
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if !closed && b.subscribed.Load() {
		_ = sess.Close()
	}
}

// dead reports whether the connection has failed or been closed.
func (b *binding) dead() bool {
	select {
	case <-b.bc.Done():
		return true
	default:
		return false
	}
}

// busy reports whether commands are in flight.
func (b *binding) busy() bool { return b.inflight.Load() > 0 }

// send queues f on the connection; its reply answers q (nil: dropped).
// On error nothing was queued.
func (b *binding) send(ctx context.Context, f *codecs.Frame, q *exchange, budget time.Duration, blocking bool, batch *pool.Batch) error {
	c := boundCalls.Get().(*boundCall)
	*c = boundCall{b: b, q: q, budget: budget, blocking: blocking}
	b.mu.Lock()
	b.calls = append(b.calls, c)
	if len(b.calls) == 1 {
		b.armLocked(budget)
	}
	b.inflight.Add(1)
	if blocking {
		b.blocking.Add(1)
	}
	b.mu.Unlock()
	if err := b.bc.SendAsync(ctx, f, c, batch); err != nil {
		b.finished(c)
		*c = boundCall{}
		boundCalls.Put(c)
		return err
	}
	return nil
}

// finished takes c out of the calls in flight and re-arms the timer for
// the new head.
func (b *binding) finished(c *boundCall) {
	b.mu.Lock()
	if i := slices.Index(b.calls, c); i >= 0 {
		b.calls = slices.Delete(b.calls, i, i+1)
		switch {
		case len(b.calls) == 0:
			b.armLocked(-1)
		case i == 0:
			b.armLocked(b.calls[0].budget)
		}
	}
	b.mu.Unlock()
	b.inflight.Add(-1)
	if c.blocking {
		b.blocking.Add(-1)
	}
}

// armLocked (re)starts the timer for a head call with budget d (<0:
// none). b.mu is held.
func (b *binding) armLocked(d time.Duration) {
	if d < 0 {
		b.deadline = time.Time{}
		if b.timer != nil {
			b.timer.Stop()
		}
		return
	}
	b.deadline = time.Now().Add(d)
	if b.timer == nil {
		b.timer = time.AfterFunc(d, b.expire)
		return
	}
	b.timer.Reset(d)
}

// expire runs on the timer: a head call past its deadline closes the
// connection (failing every call on it).
func (b *binding) expire() {
	b.mu.Lock()
	if b.closed || b.deadline.IsZero() || time.Now().Before(b.deadline) || len(b.calls) == 0 {
		b.mu.Unlock()
		return
	}
	b.timedOut = true
	b.mu.Unlock()
	_ = b.bc.Close()
}

// Complete implements pool.Completion: it answers the call's exchange.
func (c *boundCall) Complete(batch *pool.Batch, resps []pool.Response, err error) {
	b, q := c.b, c.q
	b.finished(c)
	*c = boundCall{}
	boundCalls.Put(c)
	if err != nil {
		b.mu.Lock()
		timedOut := b.timedOut
		b.mu.Unlock()
		if timedOut {
			err = &pool.Error{Op: "wait for response", Sent: true, Err: pool.ErrTimeout}
		}
	}
	if q == nil {
		pool.ReleaseAll(resps)
		return
	}
	b.answer(q, batch, resps, err)
}

// answer completes a client command with its upstream reply.
func (b *binding) answer(q *exchange, batch *pool.Batch, resps []pool.Response, err error) {
	st := q.st
	b.host.RequestFinished()
	status := codecs.StatusOK
	if err != nil {
		b.host.ReportFailure(true)
		status = failErr(st, err)
	} else {
		b.host.ReportSuccess()
		for _, r := range resps {
			if r.Frame.Attrs.Status == codecs.StatusError {
				status = codecs.StatusError
			}
			st.Respond(r)
		}
	}
	d := time.Since(st.Start)
	observeRqTime(b.rqTime, d)
	b.f.clusterStats.record(b.cl, q.a.cmd, q.info, status, d)
	q.end(status, q.rt)
	st.CompleteIn(batch, nil)
}

// close closes the connection, failing what is in flight. It is
// idempotent and safe from any goroutine but the binding's reader.
func (b *binding) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
	b.subscribed.Store(false)
	_ = b.bc.Close()
	_ = b.bp.Close()
}

// sendBound sends f (the request or its rewrite) on b; its reply answers
// q. It returns statusHeld, after which q must not be touched.
func (q *exchange) sendBound(b *binding, f *codecs.Frame, rt *route, budget time.Duration, blocking bool) codecs.Status {
	q.rt = rt
	b.host.RequestStarted()
	st := q.st
	st.Hold()
	if err := b.send(q.ctx, f, q, budget, blocking, q.batch); err != nil {
		b.host.RequestFinished()
		b.host.ReportFailure(true)
		status := failErr(st, err)
		q.end(status, rt)
		st.Complete(nil)
	}
	return statusHeld
}
