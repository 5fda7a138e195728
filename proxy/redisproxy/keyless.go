package redisproxy

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/pool"
	"github.com/sidewire/sidewire/proxy/rediscluster"
)

// Keyless commands over every shard. The shards are the hosts of the
// routes' clusters, in route order (prefix routes, then the catch-all),
// each cluster once: every host of a hashed cluster (RING_HASH, MAGLEV),
// one host of any other (its hosts hold the same data). Keys are
// reported as the upstreams store them (a route's remove_prefix or
// key_formatter is not undone).
//
//   - SCAN walks the shards one after the other with one logical cursor:
//     the shard's index in the cursor's top scanShardBits bits, the
//     upstream's cursor in the others. MATCH, COUNT and TYPE pass
//     through. Without writes, and while the clusters' membership holds,
//     a full iteration returns every key once.
//   - KEYS concatenates the shards' arrays; DBSIZE sums; FLUSHALL and
//     FLUSHDB answer +OK when every shard did, else the first error;
//     RANDOMKEY answers one of the shards' keys, null when all are empty.

const (
	scanShardBits = 10
	scanShift     = 64 - scanShardBits
	scanMask      = 1<<scanShift - 1
	maxScanShards = 1 << scanShardBits
)

// shardHost is one shard of the keyless commands.
type shardHost struct {
	cl   *cluster.Cluster
	host *cluster.Host
}

// shards lists the shards, in a stable order.
func (f *Filter) shards() ([]shardHost, error) {
	var out []shardHost
	var seen []*cluster.Cluster
	for _, rt := range f.routes.all {
		cl := f.deps.Clusters.Get(rt.cfg.Cluster)
		if cl == nil || containsCluster(seen, cl) {
			continue
		}
		seen = append(seen, cl)
		if d := rediscluster.Of(cl); d != nil {
			for _, h := range primaries(d.Table()) {
				out = append(out, shardHost{cl, h})
			}
			continue
		}
		if !hashed(cl) {
			if h, err := stableHost(cl); err == nil {
				out = append(out, shardHost{cl, h})
			}
			continue
		}
		for _, h := range cl.Hosts() {
			out = append(out, shardHost{cl, h})
		}
	}
	if len(out) == 0 {
		return nil, errNoUpstream
	}
	return out, nil
}

// primaries returns a Redis Cluster's primaries, once each, in address
// order (so a SCAN cursor's shard index survives a table refresh that
// does not change the primaries).
func primaries(t *rediscluster.Table) []*cluster.Host {
	var out []*cluster.Host
	for _, sh := range t.Shards() {
		if sh.Primary != nil && !slices.Contains(out, sh.Primary) {
			out = append(out, sh.Primary)
		}
	}
	slices.SortFunc(out, func(a, b *cluster.Host) int { return a.AddrPort().Compare(b.AddrPort()) })
	return out
}

func containsCluster(list []*cluster.Cluster, cl *cluster.Cluster) bool {
	for _, c := range list {
		if c == cl {
			return true
		}
	}
	return false
}

// allShards serves the keyless commands sent to every shard.
func (q *exchange) allShards() (codecs.Status, *route) {
	rt := q.f.routes.fallback
	shards, err := q.f.shards()
	if err != nil {
		return q.failErr(err), rt
	}
	if q.info.op == opScan {
		return q.scan(shards, rt), rt
	}
	c := &allCall{q: q, rt: rt, op: q.info.op, parts: make([]allPart, len(shards))}
	for i, s := range shards {
		up, err := q.f.ups.get(s.cl, s.host, q.a.proto)
		if err != nil {
			return q.failErr(err), rt
		}
		c.parts[i] = allPart{c: c, up: up}
	}
	c.send()
	return statusHeld, rt
}

// allCall is a command sent to every shard.
type allCall struct {
	q       *exchange
	rt      *route
	op      opKind
	parts   []allPart
	pending atomic.Int32
}

// allPart is one shard's share: its pool.Completion.
type allPart struct {
	c     *allCall
	up    *upstream
	resps []pool.Response
	err   error
}

func (c *allCall) send() {
	q := c.q
	q.st.Hold()
	c.pending.Store(int32(len(c.parts)) + 1)
	for i := range c.parts {
		p := &c.parts[i]
		p.up.host.RequestStarted()
		if err := p.up.p.SendAsync(q.ctx, &q.st.Request, p, q.batch); err != nil {
			p.Complete(nil, nil, err)
		}
	}
	c.done(nil)
}

// Complete implements pool.Completion.
func (p *allPart) Complete(b *pool.Batch, resps []pool.Response, err error) {
	p.resps = append(p.resps[:0], resps...)
	p.err = err
	p.up.host.RequestFinished()
	if err != nil {
		p.up.host.ReportFailure(true)
	} else {
		p.up.host.ReportSuccess()
	}
	d := time.Since(p.c.q.st.Start)
	observeRqTime(p.up.rqTime, d)
	p.c.q.f.clusterStats.record(p.up.cluster, p.c.q.a.cmd, p.c.q.info, partStatus(p), d)
	p.c.done(b)
}

func partStatus(p *allPart) codecs.Status {
	switch {
	case p.err != nil:
		return codecs.StatusOf(p.err)
	case len(p.resps) == 1 && p.resps[0].Frame.Attrs.Status == codecs.StatusError:
		return codecs.StatusError
	}
	return codecs.StatusOK
}

// done counts one part (or the sender) finished; the last merges.
func (c *allCall) done(b *pool.Batch) {
	if c.pending.Add(-1) > 0 {
		return
	}
	q := c.q
	st := q.st
	status := c.merge()
	for i := range c.parts {
		pool.ReleaseAll(c.parts[i].resps)
	}
	q.end(status, c.rt)
	st.CompleteIn(b, nil)
}

// outcome reads a part's reply: its bytes, or the error reply to give.
func (p *allPart) outcome() outcome {
	s := shard{err: p.err, resps: p.resps}
	return outcomeOf(&s)
}

// merge answers the command from the parts' replies.
func (c *allCall) merge() codecs.Status {
	st := c.q.st
	var out []byte
	var sum int64
	var keys [][]byte
	count := 0
	for i := range c.parts {
		o := c.parts[i].outcome()
		if o.status != codecs.StatusOK {
			st.Reply(o.errRaw)
			return o.status
		}
		switch c.op {
		case opKeys:
			n, body, ok := arrayBody(o.raw)
			if !ok {
				st.Reply(errorReply(msgProtocol))
				return codecs.StatusInternal
			}
			count += n
			out = append(out, body...)
		case opDBSize:
			n, ok := integerReply(o.raw)
			if !ok {
				st.Reply(errorReply(msgProtocol))
				return codecs.StatusInternal
			}
			sum += n
		case opFlushAll, opFlushDB:
			if !bytes.Equal(o.raw, okReply) {
				st.Reply(errorReply(msgProtocol))
				return codecs.StatusInternal
			}
		case opRandomKey:
			if o.raw[0] == '$' && o.raw[1] != '-' {
				keys = append(keys, o.raw)
			}
		}
	}
	switch c.op {
	case opKeys:
		st.Reply(append(redis.AppendArray(nil, count), out...))
	case opDBSize:
		st.Reply(redis.AppendInteger(nil, sum))
	case opFlushAll, opFlushDB:
		st.Reply(okReply)
	case opRandomKey:
		if len(keys) == 0 {
			st.Reply(redis.AppendNull(nil, c.q.a.proto))
		} else {
			st.Reply(keys[rand.IntN(len(keys))])
		}
	}
	return codecs.StatusOK
}

// arrayBody splits an array reply into its length and element bytes.
func arrayBody(raw []byte) (int, []byte, bool) {
	if len(raw) < 4 || raw[0] != '*' && raw[0] != '~' {
		return 0, nil, false
	}
	end := bytes.Index(raw, []byte("\r\n"))
	if end < 0 {
		return 0, nil, false
	}
	n, err := strconv.Atoi(string(raw[1:end]))
	if err != nil || n < 0 {
		return 0, nil, false
	}
	return n, raw[end+2:], true
}

const msgInvalidCursor = "invalid cursor"

// scan serves SCAN with its logical cursor.
func (q *exchange) scan(shards []shardHost, rt *route) codecs.Status {
	cur, err := strconv.ParseUint(string(q.args.At(1)), 10, 64)
	if err != nil {
		return q.fail(codecs.StatusBadRequest, msgInvalidCursor)
	}
	idx := int(cur >> scanShift)
	if idx >= len(shards) || len(shards) > maxScanShards {
		return q.fail(codecs.StatusBadRequest, msgInvalidCursor)
	}
	up, err := q.f.ups.get(shards[idx].cl, shards[idx].host, q.a.proto)
	if err != nil {
		return q.failErr(err)
	}
	raw := redis.AppendArray(nil, q.args.Len())
	raw = redis.AppendBulk(raw, q.args.At(0))
	raw = redis.AppendBulkString(raw, strconv.FormatUint(cur&scanMask, 10))
	for i := 2; i < q.args.Len(); i++ {
		raw = redis.AppendBulk(raw, q.args.At(i))
	}
	f := codecs.Frame{Raw: raw, Kind: codecs.KindRequest, Attrs: q.st.Request.Attrs}
	sc := &scanCall{q: q, rt: rt, up: up, idx: idx, n: len(shards)}
	q.st.Hold()
	up.host.RequestStarted()
	if err := up.p.SendAsync(q.ctx, &f, sc, q.batch); err != nil {
		sc.Complete(nil, nil, err)
	}
	return statusHeld
}

// scanCall is SCAN on one shard: its pool.Completion.
type scanCall struct {
	q      *exchange
	rt     *route
	up     *upstream
	idx, n int
}

// Complete implements pool.Completion: it answers with the shard's keys
// and the logical cursor that continues after them.
func (sc *scanCall) Complete(b *pool.Batch, resps []pool.Response, err error) {
	q, st := sc.q, sc.q.st
	sc.up.host.RequestFinished()
	if err != nil {
		sc.up.host.ReportFailure(true)
	} else {
		sc.up.host.ReportSuccess()
	}
	s := shard{err: err, resps: resps}
	status := sc.reply(outcomeOf(&s))
	d := time.Since(st.Start)
	observeRqTime(sc.up.rqTime, d)
	q.f.clusterStats.record(sc.up.cluster, q.a.cmd, q.info, status, d)
	pool.ReleaseAll(resps)
	q.end(status, sc.rt)
	st.CompleteIn(b, nil)
}

func (sc *scanCall) reply(o outcome) codecs.Status {
	st := sc.q.st
	if o.status != codecs.StatusOK {
		st.Reply(o.errRaw)
		return o.status
	}
	inner, keys, ok := parseScanReply(o.raw)
	if !ok || inner > scanMask {
		st.Reply(errorReply(msgProtocol))
		return codecs.StatusInternal
	}
	var next uint64
	switch {
	case inner != 0:
		next = uint64(sc.idx)<<scanShift | inner
	case sc.idx+1 < sc.n:
		next = uint64(sc.idx+1) << scanShift
	}
	out := redis.AppendArray(make([]byte, 0, 32+len(keys)), 2)
	out = redis.AppendBulkString(out, strconv.FormatUint(next, 10))
	st.Reply(append(out, keys...))
	return codecs.StatusOK
}

// parseScanReply reads SCAN's reply, a complete reply from an upstream:
// an array of the next cursor (a bulk string of digits) and the keys'
// array, returned as its bytes.
func parseScanReply(raw []byte) (cursor uint64, keys []byte, ok bool) {
	parts, ok := splitArray(nil, raw, 2)
	if !ok {
		return 0, nil, false
	}
	c := parts[0]
	nl := bytes.IndexByte(c, '\n')
	if len(c) < 5 || c[0] != '$' || c[1] == '-' || nl < 0 || nl+1 > len(c)-2 {
		return 0, nil, false
	}
	cursor, err := strconv.ParseUint(string(c[nl+1:len(c)-2]), 10, 64)
	if err != nil || len(parts[1]) == 0 || parts[1][0] != '*' {
		return 0, nil, false
	}
	return cursor, parts[1], true
}
