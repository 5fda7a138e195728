package redisproxy

import (
	"context"
	"sync"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/filter"
	"github.com/sidewire/sidewire/proxy/pool"
	"github.com/sidewire/sidewire/proxy/session"
)

// router is the terminal handler of one connection: it answers
// connection commands, routes keyed commands to their upstream host and
// fans multi-key commands out. It runs inline on the session's read
// goroutine (session.Config.Inline), so the commands of a connection
// are queued upstream in the order the client sent them; it never waits
// for a reply: forwarded commands complete on the upstream connection's
// reader (exchange.Complete).
type router struct {
	f  *Filter
	st *connState
	// b is the connection's bound state: bound upstream connections,
	// subscriptions, transaction (bindings.go).
	b bindings
}

var _ filter.Handler = (*router)(nil)

// statusHeld is what a path returns once it has handed the request to
// an upstream: the exchange then belongs to its completion, which ends
// it. It is outside the codecs' closed set, and never recorded.
const statusHeld codecs.Status = 255

// Serve implements filter.Handler. It always returns nil: every request
// is answered, locally or by its completion.
func (r *router) Serve(ctx context.Context, st *session.Stream) error {
	req := &st.Request
	if req.Kind != codecs.KindRequest {
		return nil // an empty command, or anything after QUIT
	}
	a := admissionOf(req.ID)
	f := r.f
	q := exchanges.Get().(*exchange)
	q.r, q.f, q.ctx, q.st, q.a = r, f, ctx, st, a
	q.info, q.args, q.batch = f.cmds.info(a.cmd), redis.ArgsOf(req.Raw), st.Batch()
	f.stats.rqTotal.Inc()
	f.stats.rqActive.Inc()
	if status, rt := q.serve(); status != statusHeld {
		q.end(status, rt)
	}
	return nil
}

// exchange is one request being served. It lives from Serve until end,
// which runs on the read goroutine for local answers and on the
// completing goroutine for forwarded ones.
type exchange struct {
	r    *router
	f    *Filter
	ctx  context.Context
	st   *session.Stream
	a    admission
	info *cmdInfo
	args redis.Args
	// batch is where upstream writes are deferred: the read goroutine's
	// batch while Serve runs, nil on other goroutines.
	batch *pool.Batch
	// up and rt are the upstream and route of a forwarded command.
	up *upstream
	rt *route
	// fwd is a copy of a rewritten command sent to a Redis Cluster
	// with redirection on, to send again on MOVED or ASK (nil: the
	// command went as it arrived); hops counts its redirections.
	fwd  []byte
	hops uint8
}

var exchanges = sync.Pool{New: func() any { return new(exchange) }}

// end records the request's outcome and recycles q. The answer is
// complete apart from the stream's Hold, which the caller ends after.
func (q *exchange) end(status codecs.Status, rt *route) {
	f := q.f
	f.stats.rqActive.Dec()
	d := time.Since(q.st.Start)
	name := ""
	if q.info != nil {
		name = q.info.name
	}
	f.stats.record(q.a.cmd, name, status, d)
	f.metrics.record(q.a.cmd, name, rt, status, d)
	if q.up != nil {
		observeRqTime(q.up.rqTime, d)
		f.clusterStats.record(q.up.cluster, q.a.cmd, q.info, status, d)
	}
	*q = exchange{}
	exchanges.Put(q)
}

// fail answers with an error reply.
func (q *exchange) fail(status codecs.Status, msg string) codecs.Status {
	return fail(q.st, status, msg)
}

func (q *exchange) failErr(err error) codecs.Status {
	return failErr(q.st, err)
}

// serve answers the request, or hands it upstream (statusHeld), and
// returns its status and route (nil when answered without one).
func (q *exchange) serve() (codecs.Status, *route) {
	info := q.info
	if info == nil {
		q.f.stats.unsupportedCommand.Inc()
		q.r.b.queueError()
		return q.fail(codecs.StatusBadRequest, unknownCommand(q.st.Request.Raw)), nil
	}
	if info.cmd != nil && !info.cmd.CheckArity(q.args.Len()) {
		q.f.stats.invalidRequest.Inc()
		q.r.b.queueError()
		return q.fail(codecs.StatusBadRequest, arityError(info.name)), nil
	}
	switch {
	case q.a.verdict == vNoAuth:
		return q.fail(codecs.StatusDenied, msgNoAuth), nil
	case q.a.verdict == vNoProto && info.local != localHello:
		return q.fail(codecs.StatusBadRequest, msgNoProto), nil
	}
	if status, denied := q.deny(); denied {
		q.r.b.queueError()
		return status, nil
	}
	if bs := &q.r.b; bs.tx.multi {
		return q.inMulti()
	} else if bs.subscribed() && q.a.proto == redis.RESP2 {
		if status, rt, handled := q.subscribedContext(); handled {
			return status, rt
		}
	}
	if info.kind == cmdLocal {
		return q.r.local(q.st, q.a, info, &q.args), nil
	}
	if info.faultable() && q.f.faults != nil {
		if status, answered := q.inject(); answered {
			return status, nil
		}
	}
	return q.route()
}

// route serves a command that goes upstream.
func (q *exchange) route() (codecs.Status, *route) {
	switch q.info.kind {
	case cmdKeyed:
		return q.keyed()
	case cmdScript:
		return q.script()
	case cmdFanout:
		return q.fanout()
	case cmdPubSub:
		return q.subscribe()
	case cmdPublish:
		return q.publish()
	case cmdBlocking:
		return q.blocking()
	case cmdTxn:
		return q.txn()
	case cmdAllShards:
		return q.allShards()
	}
	q.f.stats.unsupportedCommand.Inc()
	return q.fail(codecs.StatusBadRequest, unsupported(q.info.name)), nil
}

// keyed routes a command by its first key.
func (q *exchange) keyed() (codecs.Status, *route) {
	req := &q.st.Request
	var key []byte
	switch {
	case q.info.cmd == nil: // a custom command: its first argument routes it
		if key = q.args.At(1); key == nil {
			q.f.stats.invalidRequest.Inc()
			return q.fail(codecs.StatusBadRequest, arityError(q.info.name)), nil
		}
	case req.Attrs.KeyCount() > 0:
		key = req.Attrs.Key(0)
	default:
		// A keyless command, or a keyless use of a container command
		// (CONFIG GET, CLUSTER INFO): nowhere to route it.
		q.f.stats.unsupportedCommand.Inc()
		return q.fail(codecs.StatusBadRequest, unsupported(q.info.name)), nil
	}
	return q.routeByKey(key)
}

// script routes EVAL and friends by their first key; without keys they go
// to a host of the catch-all route's cluster (or the first route's),
// chosen at random.
func (q *exchange) script() (codecs.Status, *route) {
	if q.st.Request.Attrs.KeyCount() > 0 {
		return q.routeByKey(q.st.Request.Attrs.Key(0))
	}
	rt := q.f.routes.fallback
	if rt == nil {
		return q.failErr(errNoRoute), nil
	}
	t, err := q.f.target(rt, q.info.cmd, nil)
	if err != nil {
		return q.failErr(err), rt
	}
	up, err := q.f.ups.get(t.cl, t.host, q.a.proto)
	if err != nil {
		return q.failErr(err), rt
	}
	return q.forward(up, &q.st.Request, rt, nil), rt
}

// routeByKey sends a command to the host its first key maps to, after
// checking that its other keys map there too. Keys are rewritten by their
// routes (remove_prefix, key_formatter) when those ask for it; otherwise
// the request is forwarded as the exact bytes it arrived as.
func (q *exchange) routeByKey(key []byte) (codecs.Status, *route) {
	req := &q.st.Request
	rt := q.f.routes.lookup(key)
	if rt == nil {
		return q.failErr(errNoRoute), nil
	}
	t, err := q.f.target(rt, q.routeCmd(), key)
	if err != nil {
		return q.failErr(err), rt
	}
	rewrite := rt.rewrites()
	if !rewrite && req.Attrs.KeyCount() <= 1 {
		up, err := q.f.ups.get(t.cl, t.host, q.a.proto)
		if err != nil {
			return q.failErr(err), rt
		}
		return q.forward(up, req, rt, key), rt
	}
	sc := scratches.Get().(*scratch)
	defer sc.release()
	var complete bool
	sc.pos, complete = keyPositions(sc.pos[:0], q.info.cmd, req, &q.args)
	for _, p := range sc.pos {
		krt, ok := q.f.sameTarget(t, q.args.At(p), q.routeCmd())
		if !ok {
			return q.fail(codecs.StatusBadRequest, msgCrossSlot), rt
		}
		sc.routes = append(sc.routes, krt)
		rewrite = rewrite || krt.rewrites()
	}
	if rewrite && !complete {
		return q.fail(codecs.StatusBadRequest, "cannot locate every key of '"+q.info.name+"' to rewrite it"), rt
	}
	up, err := q.f.ups.get(t.cl, t.host, q.a.proto)
	if err != nil {
		return q.failErr(err), rt
	}
	if !rewrite {
		return q.forward(up, req, rt, key), rt
	}
	sc.req, sc.key = appendRewritten(sc.req[:0], &q.args, sc.pos, sc.routes, sc.key)
	sc.frame = codecs.Frame{Raw: sc.req, Kind: codecs.KindRequest, Attrs: req.Attrs}
	return q.forward(up, &sc.frame, rt, key), rt
}

// forward sends f (the request, or its rewrite) to up and to rt's
// mirrors (rt may be nil). The reply completes the exchange (Complete);
// it returns statusHeld then, after which q must not be touched, or the
// status of the error reply when nothing was sent. key is the command's
// first key, for the mirrors.
func (q *exchange) forward(up *upstream, f *codecs.Frame, rt *route, key []byte) codecs.Status {
	// Bound state is the read goroutine's: a command a fault delayed
	// (batch nil) takes the shared pipeline.
	if q.batch != nil && (q.r.b.active() || q.info.kind == cmdBlocking || q.info.kind == cmdTxn) {
		if status, handled := q.forwardBound(up, f, rt); handled {
			return status
		}
	}
	q.up, q.rt = up, rt
	if f != &q.st.Request && q.f.redirects(up) {
		q.fwd = append([]byte(nil), f.Raw...)
	}
	up.host.RequestStarted()
	if rt != nil && len(rt.cfg.Mirrors) > 0 {
		q.mirror(rt, f, key) // before SendAsync: q may be gone after it
	}
	st := q.st
	st.Hold()
	if err := up.p.SendAsync(q.ctx, f, q, q.batch); err != nil {
		up.host.RequestFinished()
		up.host.ReportFailure(true)
		status := failErr(st, err)
		q.end(status, rt)
		st.Complete(nil)
		return statusHeld
	}
	return statusHeld
}

var _ pool.Completion = (*exchange)(nil)

// Complete implements pool.Completion for a forwarded command: it
// answers with the upstream's reply, or an error reply, and ends the
// exchange.
func (q *exchange) Complete(b *pool.Batch, resps []pool.Response, err error) {
	st, up := q.st, q.up
	up.host.RequestFinished()
	if err == nil && q.f.redirects(up) && q.redirect(resps) {
		return // q belongs to the redirected command's completion
	}
	var status codecs.Status
	if err != nil {
		up.host.ReportFailure(true)
		if up.disc != nil {
			up.disc.Failed()
		}
		status = failErr(st, err)
	} else {
		up.host.ReportSuccess()
		status = codecs.StatusOK
		for _, r := range resps {
			if r.Frame.Attrs.Status == codecs.StatusError {
				status = codecs.StatusError
			}
			st.Respond(r)
		}
	}
	q.end(status, q.rt)
	st.CompleteIn(b, nil)
}
