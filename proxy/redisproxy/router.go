package redisproxy

import (
	"context"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/filter"
	"github.com/sidewire/sidewire/proxy/session"
)

// router is the terminal handler of one connection: it answers
// connection commands, routes keyed commands to their upstream host and
// fans multi-key commands out.
type router struct {
	f  *Filter
	st *connState
}

var _ filter.Handler = (*router)(nil)

// Serve implements filter.Handler. It answers every request itself and
// returns an error only when ctx ends before the request's turn.
func (r *router) Serve(ctx context.Context, st *session.Stream) error {
	req := &st.Request
	if req.Kind != codecs.KindRequest {
		return nil // an empty command, or anything after QUIT
	}
	a := admissionOf(req.ID)
	if err := r.st.turns.take(ctx, a.seq); err != nil {
		return err
	}
	f := r.f
	q := exchange{r: r, f: f, ctx: ctx, st: st, a: a, info: f.cmds.info(a.cmd), args: redis.ArgsOf(req.Raw)}
	defer q.pass()
	f.stats.rqTotal.Inc()
	f.stats.rqActive.Inc()
	status, rt := q.serve()
	f.stats.rqActive.Dec()
	d := time.Since(st.Start)
	name := ""
	if q.info != nil {
		name = q.info.name
	}
	f.stats.record(a.cmd, name, status, d)
	f.metrics.record(a.cmd, name, rt, status, d)
	return nil
}

// exchange is one request being served.
type exchange struct {
	r      *router
	f      *Filter
	ctx    context.Context
	st     *session.Stream
	a      admission
	info   *cmdInfo
	args   redis.Args
	passed bool
}

// pass ends the request's turn: call it once everything it sends
// upstream is queued. It is idempotent.
func (q *exchange) pass() {
	if !q.passed {
		q.passed = true
		q.r.st.turns.pass(q.a.seq)
	}
}

// fail answers with an error reply, ending the turn.
func (q *exchange) fail(status codecs.Status, msg string) codecs.Status {
	q.pass()
	return fail(q.st, status, msg)
}

func (q *exchange) failErr(err error) codecs.Status {
	q.pass()
	return failErr(q.st, err)
}

// serve answers the request and returns its status and route (nil when
// answered without one).
func (q *exchange) serve() (codecs.Status, *route) {
	info := q.info
	if info == nil {
		q.f.stats.unsupportedCommand.Inc()
		return q.fail(codecs.StatusBadRequest, unknownCommand(q.st.Request.Raw)), nil
	}
	if info.cmd != nil && !info.cmd.CheckArity(q.args.Len()) {
		q.f.stats.invalidRequest.Inc()
		return q.fail(codecs.StatusBadRequest, arityError(info.name)), nil
	}
	switch {
	case q.a.verdict == vNoAuth:
		return q.fail(codecs.StatusDenied, msgNoAuth), nil
	case q.a.verdict == vNoProto && info.local != localHello:
		return q.fail(codecs.StatusBadRequest, msgNoProto), nil
	}
	if info.kind == cmdLocal {
		q.pass()
		return q.r.local(q.st, q.a, info, &q.args), nil
	}
	if info.kind != cmdUnsupported && q.f.faults != nil {
		if answered, status := q.inject(); answered {
			return status, nil
		}
	}
	switch info.kind {
	case cmdKeyed:
		return q.keyed()
	case cmdScript:
		return q.script()
	case cmdFanout:
		return q.fanout()
	}
	q.f.stats.unsupportedCommand.Inc()
	return q.fail(codecs.StatusBadRequest, unsupported(info.name)), nil
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
	sc := scratches.Get().(*scratch)
	defer sc.release()
	rt := q.f.routes.lookup(key)
	if rt == nil {
		return q.failErr(errNoRoute), nil
	}
	t, err := q.f.target(rt, q.info.cmd, key)
	if err != nil {
		return q.failErr(err), rt
	}
	rewrite := rt.rewrites()
	if rewrite || req.Attrs.KeyCount() > 1 {
		var complete bool
		sc.pos, complete = keyPositions(sc.pos[:0], q.info.cmd, req, &q.args)
		for _, p := range sc.pos {
			krt, ok := q.f.sameTarget(t, q.args.At(p), q.info.cmd)
			if !ok {
				return q.fail(codecs.StatusBadRequest, msgCrossSlot), rt
			}
			sc.routes = append(sc.routes, krt)
			rewrite = rewrite || krt.rewrites()
		}
		if rewrite && !complete {
			return q.fail(codecs.StatusBadRequest, "cannot locate every key of '"+q.info.name+"' to rewrite it"), rt
		}
	}
	up, err := q.f.ups.get(t.cl, t.host, q.a.proto)
	if err != nil {
		return q.failErr(err), rt
	}
	if !rewrite {
		return q.forward(up, req, rt, key), rt
	}
	return q.forwardRewritten(up, sc, rt, key), rt
}

// forwardRewritten forwards the request with its keys rewritten by the
// routes in sc. It is a function of its own so that the common path's
// goroutine stack does not hold a second Frame.
func (q *exchange) forwardRewritten(up *upstream, sc *scratch, rt *route, key []byte) codecs.Status {
	sc.req, sc.key = appendRewritten(sc.req[:0], &q.args, sc.pos, sc.routes, sc.key)
	f := codecs.Frame{Raw: sc.req, Kind: codecs.KindRequest, Attrs: q.st.Request.Attrs}
	return q.forward(up, &f, rt, key)
}

// forward sends f (the request, or its rewrite) to up and to rt's
// mirrors (rt may be nil), ends the turn, and answers with the
// responses. key is the command's first key, for the mirrors.
func (q *exchange) forward(up *upstream, f *codecs.Frame, rt *route, key []byte) codecs.Status {
	up.host.RequestStarted()
	pd, err := up.p.Send(q.ctx, f)
	if rt != nil && len(rt.cfg.Mirrors) > 0 {
		q.mirror(rt, f, key)
	}
	q.pass()
	if err == nil {
		sc := scratches.Get().(*scratch)
		sc.resps, err = pd.Wait(q.ctx, sc.resps[:0])
		for _, resp := range sc.resps {
			q.st.Respond(resp)
		}
		sc.release()
	}
	up.host.RequestFinished()
	if err != nil {
		up.host.ReportFailure(true)
		return failErr(q.st, err)
	}
	up.host.ReportSuccess()
	if rs := q.st.Responses(); len(rs) > 0 && rs[0].Frame.Attrs.Status == codecs.StatusError {
		return codecs.StatusError
	}
	return codecs.StatusOK
}
