package redisproxy

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/session"
)

// maxBindings bounds the bound upstream connections one client
// connection holds at once (blocking commands to several hosts in
// flight, a subscription, a transaction). Idle ones are kept for reuse
// and closed, least recently used first, to make room.
const maxBindings = 4

var errTooManyBindings = &codecs.ReplyError{Status: codecs.StatusRateLimited,
	Err: errors.New("too many bound upstream connections for this client (blocking commands, subscriptions, transactions)")}

// bindings is a client connection's bound upstream state: its bound
// connections, its subscriptions (pubsub.go) and its transaction
// (txn.go). The read goroutine owns it; mu guards list against the
// closers, which run on other goroutines.
//
// Ordering: a command bound for a host whose binding has commands in
// flight goes on that binding too, behind them, so a client's commands
// to one host are executed in the order it sent them even across the
// switch from bound to shared mode (a GET pipelined after EXEC sees the
// transaction's writes; an LPUSH pipelined after a BLPOP on the same
// host waits for it, as on Redis). Commands to other hosts, and all
// commands once the binding is idle, take the shared pipeline.
type bindings struct {
	sess *session.Session
	mu   sync.Mutex
	list []*binding
	uses uint64
	// stop cancels the context.AfterFunc closing every binding when the
	// session is aborted.
	stop func() bool
	done bool

	subs subscriptions
	tx   txState
}

// active reports whether the connection has bound state to consider.
func (bs *bindings) active() bool { return len(bs.list) > 0 || bs.tx.multi }

// find returns the live binding to h in RESP p, or nil.
func (bs *bindings) find(h *cluster.Host, p redis.Proto) *binding {
	for _, b := range bs.list {
		if b.host == h && b.proto == p && !b.dead() {
			return b
		}
	}
	return nil
}

// binding returns a binding to h of cl in the request's RESP version,
// reusing a live one or dialing (the read goroutine waits for the dial,
// as for a shared pool's first connection; the read batch runs first).
func (q *exchange) binding(cl *cluster.Cluster, h *cluster.Host) (*binding, error) {
	bs := &q.r.b
	bs.uses++
	if b := bs.find(h, q.a.proto); b != nil {
		b.lastUse = bs.uses
		return b, nil
	}
	bs.prune()
	if len(bs.list) >= maxBindings && !bs.evictIdle() {
		return nil, errTooManyBindings
	}
	if q.batch != nil {
		q.batch.Run()
	}
	sess := q.st.Session()
	b, err := q.f.dialBinding(q.ctx, cl, h, q.a.proto, sess)
	if err != nil {
		return nil, err
	}
	b.lastUse = bs.uses
	bs.mu.Lock()
	if bs.done {
		bs.mu.Unlock()
		b.close()
		return nil, errClosed
	}
	bs.list = append(bs.list, b)
	first := bs.sess == nil
	bs.sess = sess
	bs.mu.Unlock()
	if first {
		bs.register(q.ctx, sess)
	}
	return b, nil
}

// register closes every binding when the session ends (its values are
// closed) or is aborted (its context is canceled): what is in flight
// fails, so no held stream outlives the session.
func (bs *bindings) register(ctx context.Context, sess *session.Session) {
	stop := context.AfterFunc(ctx, bs.closeAll)
	bs.mu.Lock()
	bs.stop = stop
	bs.mu.Unlock()
	if _, err := sess.LoadOrCreate(bindingsKey{}, func() (io.Closer, error) { return closerFunc(bs.closeAll), nil }); err != nil {
		bs.closeAll() // the session has ended already
	}
}

type bindingsKey struct{}

// prune drops dead bindings that are not part of the connection's
// subscriptions or transaction.
func (bs *bindings) prune() {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	kept := bs.list[:0]
	for _, b := range bs.list {
		if b.dead() && !bs.pinned(b) {
			b.close()
			continue
		}
		kept = append(kept, b)
	}
	clear(bs.list[len(kept):])
	bs.list = kept
}

// pinned reports whether b holds the connection's subscriptions or
// transaction state.
func (bs *bindings) pinned(b *binding) bool {
	return b == bs.subs.b || b == bs.tx.watch || b == bs.tx.b
}

// evictIdle closes the least recently used idle binding; false when
// every binding is busy or pinned.
func (bs *bindings) evictIdle() bool {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	victim := -1
	for i, b := range bs.list {
		if b.busy() || bs.pinned(b) {
			continue
		}
		if victim < 0 || b.lastUse < bs.list[victim].lastUse {
			victim = i
		}
	}
	if victim < 0 {
		return false
	}
	bs.list[victim].close()
	bs.list = append(bs.list[:victim], bs.list[victim+1:]...)
	return true
}

// closeAll closes every binding; later gets fail. Safe from any
// goroutine, idempotent.
func (bs *bindings) closeAll() {
	bs.mu.Lock()
	if bs.done {
		bs.mu.Unlock()
		return
	}
	bs.done = true
	// The read goroutine may still read list and the subscriptions
	// without the lock: leave them, close what they hold.
	list := slices.Clone(bs.list)
	stop := bs.stop
	bs.subs.forget()
	bs.mu.Unlock()
	if stop != nil {
		stop()
	}
	for _, b := range list {
		b.close()
	}
}

// clientGone aborts the blocking commands in flight when the client
// connection's read side ends (EOF or an error, not Drain's deadline):
// Redis unblocks a client that disconnects, and an element popped for a
// client that left would be lost. Other commands finish: a client may
// half-close after pipelining a transaction.
func (bs *bindings) clientGone(err error) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return
	}
	bs.mu.Lock()
	var victims []*binding
	for _, b := range bs.list {
		if b.blocking.Load() > 0 {
			victims = append(victims, b)
		}
	}
	bs.mu.Unlock()
	for _, b := range victims {
		b.close()
	}
}

// sticky returns the binding a command to h must follow: the one with
// commands in flight, or holding the connection's WATCH. Not the one
// carrying subscriptions: ordering with them does not matter, and on a
// subscribed connection a reply shaped like a message would be taken for
// one.
func (bs *bindings) sticky(h *cluster.Host, p redis.Proto) *binding {
	b := bs.find(h, p)
	if b == nil || b == bs.subs.b || !b.busy() && b != bs.tx.watch {
		return nil
	}
	return b
}

// forwardBound is forward's detour for connections with bound state: a
// command queued inside MULTI, a WATCH, a blocking command, or one that
// must follow a busy binding. handled is false when the shared pipeline
// serves it.
func (q *exchange) forwardBound(up *upstream, f *codecs.Frame, rt *route) (codecs.Status, bool) {
	bs := &q.r.b
	switch {
	case bs.tx.multi:
		return q.txQueue(up.cluster, up.host, f, rt), true
	case q.info.kind == cmdTxn && q.info.op == opWatch:
		return q.watch(up.cluster, up.host, f, rt), true
	case q.info.kind == cmdBlocking:
		if budget, blocks := q.blockBudget(); blocks {
			b, err := q.binding(up.cluster, up.host)
			if err != nil {
				return q.failErr(err), true
			}
			return q.sendBound(b, f, rt, budget, true), true
		}
	}
	if b := bs.sticky(up.host, q.a.proto); b != nil {
		return q.sendBound(b, f, rt, q.f.opBudget(), false), true
	}
	return 0, false
}

// opBudget is the time budget of a command that does not block.
func (f *Filter) opBudget() time.Duration {
	if d := f.cfg.Settings.OpTimeout; d > 0 {
		return d
	}
	return -1
}

// closerFunc is an io.Closer for session values.
type closerFunc func()

func (c closerFunc) Close() error { c(); return nil }
