package redisproxy

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/pool"
)

// A fan-out command (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH) is split by
// key into one sub-command per upstream host, the sub-commands run
// concurrently (all queued in the connection's command order; the last
// reply to arrive completes the command), and their replies are merged
// the way Envoy merges them:
//
//   - MGET: an array in key order; the keys of a shard that failed (or of
//     a key without upstream) get an error element each.
//   - MSET: +OK when every shard said OK, else the first shard error.
//   - DEL, UNLINK, EXISTS, TOUCH: the sum of the shards' integers, or the
//     first shard error.
//
// MSET and the summing commands check that every key has an upstream
// before sending anything. When every key reaches one host and no route
// rewrites keys, the command is forwarded as it arrived.

// shard is the part of a fan-out command bound for one upstream. It is
// the pool.Completion of its sub-command.
type shard struct {
	fo    *fanout
	up    *upstream
	keys  []int // key ordinals, ascending
	req   []byte
	frame codecs.Frame // the sub-command; read by the pool while sending
	resps []pool.Response
	err   error
	hops  uint8 // redirections followed (MOVED, ASK)
	// slot is the hash slot of the shard's keys on a Redis Cluster,
	// which serves multi-key commands within one slot only; -1 elsewhere.
	slot int32
}

// fanout is one fan-out command in progress.
type fanout struct {
	q       *exchange
	rt0     *route       // the first key's route, for metrics
	pending atomic.Int32 // shards not yet answered, plus the sender
	kind    fanKind
	keys    [][]byte // keys (and values, for MSET) alias the request
	vals    [][]byte
	routes  []*route
	failed  []error // per key: why it has no upstream
	shards  []shard
	elems   [][]byte
	scratch []byte
}

var fanoutPool = sync.Pool{New: func() any { return new(fanout) }}

func (fo *fanout) release() {
	for i := range fo.shards {
		pool.ReleaseAll(fo.shards[i].resps)
		clear(fo.shards[i].resps)
		fo.shards[i].resps = fo.shards[i].resps[:0]
		fo.shards[i].keys = fo.shards[i].keys[:0]
		fo.shards[i].up, fo.shards[i].err, fo.shards[i].fo, fo.shards[i].hops = nil, nil, nil, 0
		fo.shards[i].frame = codecs.Frame{}
	}
	fo.q, fo.rt0 = nil, nil
	clear(fo.keys)
	clear(fo.vals)
	clear(fo.routes)
	clear(fo.failed)
	clear(fo.elems)
	fo.keys, fo.vals, fo.routes, fo.failed, fo.elems = fo.keys[:0], fo.vals[:0], fo.routes[:0], fo.failed[:0], fo.elems[:0]
	fo.shards = fo.shards[:0]
	if cap(fo.scratch) > maxKeptScratch {
		fo.scratch = nil
	}
	fanoutPool.Put(fo)
}

func (q *exchange) fanout() (codecs.Status, *route) {
	fo := fanoutPool.Get().(*fanout)
	fo.kind = q.info.fan
	if !fo.collect(&q.args) {
		fo.release()
		q.f.stats.invalidRequest.Inc()
		return q.fail(codecs.StatusBadRequest, arityError(q.info.name)), nil
	}
	rt0, err := q.assign(fo)
	if err != nil {
		fo.release()
		return q.failErr(err), rt0
	}
	if len(fo.shards) == 1 && !fo.anyFailed() && !anyRewrites(fo.routes) {
		up := fo.shards[0].up
		fo.release()
		return q.forward(up, &q.st.Request, nil, nil), rt0
	}
	fo.q, fo.rt0 = q, rt0
	fo.send(q.args.At(0))
	return statusHeld, rt0
}

// send queues every shard's sub-command; the last reply (or the sender,
// if the shards finish first) merges them.
func (fo *fanout) send(name []byte) {
	q := fo.q
	st := q.st
	st.Hold()
	fo.pending.Store(int32(len(fo.shards)) + 1)
	for i := range fo.shards {
		s := &fo.shards[i]
		s.fo = fo
		fo.encode(s, name)
		s.frame = codecs.Frame{Raw: s.req, Kind: codecs.KindRequest}
		s.frame.Attrs.Protocol = redis.Name
		s.frame.Attrs.Method = name
		s.up.host.RequestStarted()
		if err := s.up.p.SendAsync(q.ctx, &s.frame, s, q.batch); err != nil {
			s.Complete(nil, nil, err)
		}
	}
	fo.done(nil)
}

// Complete implements pool.Completion for the shard's sub-command.
func (s *shard) Complete(b *pool.Batch, resps []pool.Response, err error) {
	s.up.host.RequestFinished()
	if err == nil && s.fo.q.f.redirects(s.up) && s.redirect(resps) {
		return // the redirected sub-command completes the shard
	}
	s.resps = append(s.resps[:0], resps...)
	s.err = err
	if err != nil {
		s.up.host.ReportFailure(true)
		if s.up.disc != nil {
			s.up.disc.Failed()
		}
	} else {
		s.up.host.ReportSuccess()
	}
	s.fo.done(b)
}

// done counts one shard (or the sender) finished; the last one merges
// the replies, answers and ends the exchange. b is the finishing
// goroutine's batch, if any.
func (fo *fanout) done(b *pool.Batch) {
	if fo.pending.Add(-1) > 0 {
		return
	}
	q := fo.q
	st := q.st
	status := fo.merge(st)
	d := time.Since(st.Start)
	for i := range fo.shards {
		observeRqTime(fo.shards[i].up.rqTime, d)
		q.f.clusterStats.record(fo.shards[i].up.cluster, q.a.cmd, q.info, outcomeOf(&fo.shards[i]).status, d)
	}
	q.end(status, fo.rt0)
	fo.release()
	st.CompleteIn(b, nil)
}

// collect gathers the keys (and MSET's values); it fails on a wrong
// argument count.
func (fo *fanout) collect(args *redis.Args) bool {
	args.Reset()
	args.Skip(1)
	i := 0
	for arg, ok := args.Next(); ok; arg, ok = args.Next() {
		if fo.kind == fanMSet && i%2 == 1 {
			fo.vals = append(fo.vals, arg)
		} else {
			fo.keys = append(fo.keys, arg)
		}
		i++
	}
	return len(fo.keys) > 0 && (fo.kind != fanMSet || len(fo.vals) == len(fo.keys))
}

// assign resolves every key and groups the keys by upstream. It returns
// the first key's route, and an error when a key has no upstream and the
// command cannot answer per key (everything but MGET).
func (q *exchange) assign(fo *fanout) (*route, error) {
	var rt0 *route
	for i, key := range fo.keys {
		rt := q.f.routes.lookup(key)
		if i == 0 {
			rt0 = rt
		}
		fo.routes = append(fo.routes, rt)
		up, err := q.upstreamFor(rt, key)
		if err != nil && fo.kind != fanMGet {
			return rt0, err
		}
		fo.failed = append(fo.failed, err)
		if err == nil {
			fo.add(up, q.f.shardSlot(up, rt, key), i)
		}
	}
	return rt0, nil
}

func (q *exchange) upstreamFor(rt *route, key []byte) (*upstream, error) {
	if rt == nil {
		return nil, errNoRoute
	}
	t, err := q.f.target(rt, q.info.cmd, key)
	if err != nil {
		return nil, err
	}
	return q.f.ups.get(t.cl, t.host, q.a.proto)
}

// add puts key i in the shard of up.
func (fo *fanout) add(up *upstream, slot int32, i int) {
	for j := range fo.shards {
		if fo.shards[j].up == up && fo.shards[j].slot == slot {
			fo.shards[j].keys = append(fo.shards[j].keys, i)
			return
		}
	}
	if len(fo.shards) < cap(fo.shards) {
		fo.shards = fo.shards[:len(fo.shards)+1]
	} else {
		fo.shards = append(fo.shards, shard{})
	}
	s := &fo.shards[len(fo.shards)-1]
	s.up, s.slot = up, slot
	s.keys = append(s.keys[:0], i)
}

func (fo *fanout) anyFailed() bool {
	for _, err := range fo.failed {
		if err != nil {
			return true
		}
	}
	return false
}

func anyRewrites(routes []*route) bool {
	for _, rt := range routes {
		if rt != nil && rt.rewrites() {
			return true
		}
	}
	return false
}

// encode writes the shard's sub-command: the command name, then its keys
// as their routes forward them (with their values for MSET).
func (fo *fanout) encode(s *shard, name []byte) {
	n := 1 + len(s.keys)
	if fo.kind == fanMSet {
		n += len(s.keys)
	}
	s.req = redis.AppendArray(s.req[:0], n)
	s.req = redis.AppendBulk(s.req, name)
	for _, k := range s.keys {
		key := fo.keys[k]
		if rt := fo.routes[k]; rt.rewrites() {
			fo.scratch = rt.appendKey(fo.scratch[:0], key)
			key = fo.scratch
		}
		s.req = redis.AppendBulk(s.req, key)
		if fo.kind == fanMSet {
			s.req = redis.AppendBulk(s.req, fo.vals[k])
		}
	}
}
