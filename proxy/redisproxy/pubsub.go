package redisproxy

import (
	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/cluster"
)

// Pub/sub. SUBSCRIBE and PSUBSCRIBE go to the pub/sub host: one host of
// the catch-all route's cluster (else the first route's), the same for
// every client, where PUBLISH and PUBSUB go too (over the shared
// pipeline), so that publishers reach subscribers on standalone shards.
// SSUBSCRIBE goes to its shard channel's host, found as a key's is, where
// SPUBLISH goes. A connection's subscriptions live on one binding (a
// bound upstream connection): the upstream's messages, RESP2 arrays or
// RESP3 pushes, reach the client in order through Session.Push, after
// the answers already owed. Channels and shard channels of one client
// must be on the same host (else -CROSSSLOT).
//
// The proxy keeps each connection's channels, patterns and shard
// channels, so an UNSUBSCRIBE without arguments is sent naming them:
// the upstream's confirmations are then exactly as many as the proxy
// expects, whatever is still unconfirmed. When a client has unsubscribed
// from everything it returns to shared mode; the binding stays, idle,
// for reuse. A RESP2 client with subscriptions may send only the
// subscribe family, PING (answered by the upstream, in the shape of the
// subscribed context) and QUIT, as on Redis; a RESP3 client may send
// anything. If the upstream connection dies while subscribed, the client
// connection is closed: that is how clients learn to resubscribe.

// subscription sets, by kind.
const (
	subChannels = iota
	subPatterns
	subShards
	subKinds
)

// subscriptions are a connection's channels, patterns and shard
// channels, and the binding they live on. The read goroutine changes
// them under bindings.mu; forget runs from the closers.
type subscriptions struct {
	f    *Filter
	b    *binding
	sets [subKinds]map[string]struct{}
	n    int
	// gone: the connection ended and its subscriptions left the gauge.
	gone bool
}

// msgSubHost refuses subscriptions that would need a second upstream.
const msgSubHost = "-CROSSSLOT channels and shard channels of one connection must be served by the same upstream host"

const msgSubContext = "only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"

// subKind maps an op of the subscribe family to its set.
func subKind(op opKind) int {
	switch op {
	case opPSubscribe, opPUnsubscribe:
		return subPatterns
	case opSSubscribe, opSUnsubscribe:
		return subShards
	}
	return subChannels
}

// add records names in set k.
func (s *subscriptions) add(k int, args *redis.Args) {
	if s.sets[k] == nil {
		s.sets[k] = make(map[string]struct{})
	}
	for i := 1; i < args.Len(); i++ {
		name := args.At(i)
		if _, ok := s.sets[k][string(name)]; !ok {
			s.sets[k][string(name)] = struct{}{}
			s.n++
			if !s.gone {
				s.f.stats.pubsubActive.Inc()
			}
		}
	}
}

// remove forgets names of set k (all of them when args has none).
func (s *subscriptions) remove(k int, args *redis.Args) {
	left := 0
	if args.Len() == 1 {
		left = len(s.sets[k])
		clear(s.sets[k])
	}
	for i := 1; i < args.Len(); i++ {
		name := args.At(i)
		if _, ok := s.sets[k][string(name)]; ok {
			delete(s.sets[k], string(name))
			left++
		}
	}
	s.n -= left
	if !s.gone {
		s.f.stats.pubsubActive.Sub(int64(left))
	}
}

// forget takes the subscriptions out of the gauge: the connection ended.
// bindings.mu is held.
func (s *subscriptions) forget() {
	if s.f != nil && !s.gone {
		s.f.stats.pubsubActive.Sub(int64(s.n))
	}
	s.gone = true
}

// subscribed reports whether the connection is in subscribed mode.
func (bs *bindings) subscribed() bool { return bs.subs.b != nil }

// pubsubTarget is where SUBSCRIBE, PSUBSCRIBE, PUBLISH and PUBSUB go.
func (f *Filter) pubsubTarget() (*route, *cluster.Cluster, *cluster.Host, error) {
	rt := f.routes.fallback
	if rt == nil {
		return nil, nil, nil, errNoRoute
	}
	cl := f.deps.Clusters.Get(rt.cfg.Cluster)
	if cl == nil {
		return rt, nil, nil, errNoUpstream
	}
	h, err := stableHost(cl)
	return rt, cl, h, err
}

// stableHost picks the same host of cl for everyone while its membership
// holds: a fixed point of the hash ring, or the first healthy host.
func stableHost(cl *cluster.Cluster) (*cluster.Host, error) {
	if hashed(cl) {
		h, err := cl.Pick(cluster.LBContext{Hash: 0, HasHash: true})
		if err != nil {
			return nil, errNoUpstream
		}
		return h, nil
	}
	hosts := cl.Hosts()
	for _, h := range hosts {
		if h.Healthy() {
			return h, nil
		}
	}
	if len(hosts) == 0 {
		return nil, errNoUpstream
	}
	return hosts[0], nil
}

// subscribe serves the subscribe and unsubscribe families.
func (q *exchange) subscribe() (codecs.Status, *route) {
	switch q.info.op {
	case opSubscribe, opPSubscribe:
		rt, cl, h, err := q.f.pubsubTarget()
		if err != nil {
			return q.failErr(err), rt
		}
		return q.subscribeOn(rt, cl, h), rt
	case opSSubscribe:
		ch := q.args.At(1)
		rt := q.f.routes.lookup(ch)
		if rt == nil {
			return q.failErr(errNoRoute), nil
		}
		t, err := q.f.target(rt, nil, ch)
		if err != nil {
			return q.failErr(err), rt
		}
		for i := 2; i < q.args.Len(); i++ {
			if _, ok := q.f.sameTarget(t, q.args.At(i), nil); !ok {
				return q.fail(codecs.StatusBadRequest, msgCrossSlot), rt
			}
		}
		return q.subscribeOn(rt, t.cl, t.host), rt
	}
	return q.unsubscribe(), nil
}

// subscribeOn sends a SUBSCRIBE-family command to host h, on the
// connection's subscription binding.
func (q *exchange) subscribeOn(rt *route, cl *cluster.Cluster, h *cluster.Host) codecs.Status {
	bs := &q.r.b
	b := bs.subs.b
	if b != nil && b.host != h {
		return q.fail(codecs.StatusBadRequest, msgSubHost)
	}
	if b == nil {
		var err error
		if b, err = q.binding(cl, h); err != nil {
			return q.failErr(err)
		}
	}
	bs.mu.Lock()
	bs.subs.f, bs.subs.b = q.f, b
	bs.subs.add(subKind(q.info.op), &q.args)
	bs.mu.Unlock()
	b.subscribed.Store(true)
	if b.dead() {
		// Died before the watcher could see the subscription: end the
		// client connection as it would have (Close waits for the read
		// goroutine, so not from here).
		go q.st.Session().Close()
	}
	return q.sendBound(b, &q.st.Request, rt, q.f.opBudget(), false)
}

// unsubscribe sends an UNSUBSCRIBE-family command to the subscription
// binding, naming the subscriptions when the client named none; without
// a binding it answers as Redis answers a client with no subscriptions.
func (q *exchange) unsubscribe() codecs.Status {
	bs := &q.r.b
	k := subKind(q.info.op)
	b := bs.subs.b
	if b == nil {
		q.st.Reply(appendUnsubscribed(nil, q.info.name, &q.args, q.a.proto))
		return codecs.StatusOK
	}
	f := &q.st.Request
	var rewritten codecs.Frame
	if q.args.Len() == 1 && len(bs.subs.sets[k]) > 0 {
		raw := redis.AppendArray(nil, 1+len(bs.subs.sets[k]))
		raw = redis.AppendBulk(raw, q.args.At(0))
		for name := range bs.subs.sets[k] {
			raw = redis.AppendBulkString(raw, name)
		}
		rewritten = codecs.Frame{Raw: raw, Kind: codecs.KindRequest, Attrs: f.Attrs}
		f = &rewritten
	}
	bs.mu.Lock()
	bs.subs.remove(k, &q.args)
	if bs.subs.n == 0 {
		bs.subs.b = nil
		b.subscribed.Store(false)
	}
	bs.mu.Unlock()
	return q.sendBound(b, f, nil, q.f.opBudget(), false)
}

// appendUnsubscribed appends the confirmations of an unsubscribe from a
// connection with no subscriptions: one per name (one with a null name
// when none), each with a count of 0.
func appendUnsubscribed(dst []byte, kind string, args *redis.Args, p redis.Proto) []byte {
	one := func(dst, name []byte) []byte {
		dst = redis.AppendPush(dst, 3, p)
		dst = redis.AppendBulkString(dst, kind)
		if name == nil {
			dst = redis.AppendNull(dst, p)
		} else {
			dst = redis.AppendBulk(dst, name)
		}
		return redis.AppendInteger(dst, 0)
	}
	if args.Len() == 1 {
		return one(dst, nil)
	}
	for i := 1; i < args.Len(); i++ {
		dst = one(dst, args.At(i))
	}
	return dst
}

// subscribedContext serves a command from a RESP2 client with
// subscriptions: the subscribe family and PING go to the subscription
// binding, QUIT is answered; everything else is refused as Redis
// refuses it. handled is false for commands served as usual.
func (q *exchange) subscribedContext() (codecs.Status, *route, bool) {
	info := q.info
	switch {
	case info.kind == cmdPubSub:
		return 0, nil, false
	case info.kind == cmdLocal && info.local == localPing:
		return q.sendBound(q.r.b.subs.b, &q.st.Request, nil, q.f.opBudget(), false), nil, true
	case info.kind == cmdLocal && info.local == localQuit:
		return 0, nil, false
	}
	return q.fail(codecs.StatusBadRequest, "Can't execute '"+info.name+"': "+msgSubContext), nil, true
}

// publish serves PUBLISH and PUBSUB (on the pub/sub host) and SPUBLISH
// (on its shard channel's host), over the shared pipeline.
func (q *exchange) publish() (codecs.Status, *route) {
	var rt *route
	var cl *cluster.Cluster
	var h *cluster.Host
	var err error
	if q.info.op == opSPublish {
		ch := q.args.At(1)
		if rt = q.f.routes.lookup(ch); rt == nil {
			return q.failErr(errNoRoute), nil
		}
		var t target
		if t, err = q.f.target(rt, nil, ch); err != nil {
			return q.failErr(err), rt
		}
		cl, h = t.cl, t.host
	} else if rt, cl, h, err = q.f.pubsubTarget(); err != nil {
		return q.failErr(err), rt
	}
	up, err := q.f.ups.get(cl, h, q.a.proto)
	if err != nil {
		return q.failErr(err), rt
	}
	return q.forward(up, &q.st.Request, rt, nil), rt
}
