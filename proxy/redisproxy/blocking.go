package redisproxy

import (
	"math"
	"strconv"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/proxy/cluster"
)

// Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN,
// BZPOPMAX, BLMPOP, BZMPOP, XREAD and XREADGROUP with BLOCK, WAIT) run on
// a binding to their key's host, never on the shared pipeline, where
// they would stall every other client's replies. The session's read
// goroutine only queues them: the stream is held and the reply, whenever
// it comes, completes it. Their time budget is their own timeout plus
// op_timeout, or none for a timeout of 0 (block until served); so
// op_timeout does not cut a legitimate wait short. A client that
// disconnects while blocked has its binding closed at once, as Redis
// unblocks a client that leaves (an element popped for nobody would be
// lost). WAIT, which has no key, waits on the connection's most recently
// used binding (where its transaction or blocking commands ran), else on
// the pub/sub host.

// blocking serves a blocking command: by its key, like any keyed
// command, with forward detouring it to a binding (forwardBound); WAIT
// by the connection's bindings.
func (q *exchange) blocking() (codecs.Status, *route) {
	if q.info.op != opWait {
		return q.keyed()
	}
	b := q.r.b.recent()
	var rt *route
	if b == nil {
		var cl *cluster.Cluster
		var h *cluster.Host
		var err error
		if rt, cl, h, err = q.f.pubsubTarget(); err != nil {
			return q.failErr(err), rt
		}
		if b, err = q.binding(cl, h); err != nil {
			return q.failErr(err), rt
		}
	}
	budget, _ := q.blockBudget()
	return q.sendBound(b, &q.st.Request, rt, budget, true), rt
}

// recent returns the most recently used live binding, or nil.
func (bs *bindings) recent() *binding {
	var best *binding
	for _, b := range bs.list {
		if !b.dead() && (best == nil || b.lastUse > best.lastUse) {
			best = b
		}
	}
	return best
}

// blockBudget returns the time budget of a blocking command, and whether
// it blocks at all (XREAD without BLOCK does not). A timeout the proxy
// cannot read gets op_timeout: the upstream refuses it at once.
func (q *exchange) blockBudget() (time.Duration, bool) {
	args := &q.args
	var d time.Duration
	var ok bool
	switch q.info.op {
	case opBlockLast:
		d, ok = seconds(args.At(args.Len() - 1))
	case opBlockFirst:
		d, ok = seconds(args.At(1))
	case opWait:
		d, ok = millis(args.At(2))
	case opXRead, opXReadGroup:
		found := false
		for i := 1; i+1 < args.Len(); i++ {
			a := args.At(i)
			if equalFoldUpper(a, "STREAMS") {
				break
			}
			if equalFoldUpper(a, "BLOCK") {
				d, ok = millis(args.At(i + 1))
				found = true
				break
			}
		}
		if !found {
			return 0, false
		}
	default:
		return q.f.opBudget(), false
	}
	switch {
	case !ok:
		return q.f.opBudget(), true
	case d == 0:
		return -1, true // blocks until served
	}
	op := q.f.cfg.Settings.OpTimeout
	if d > math.MaxInt64/2-op {
		return -1, true
	}
	return d + op, true
}

// seconds parses a blocking timeout in seconds (Redis accepts decimals).
func seconds(b []byte) (time.Duration, bool) {
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	if v > float64(math.MaxInt64/2)/float64(time.Second) {
		return 0, true
	}
	return time.Duration(v * float64(time.Second)), true
}

// millis parses a timeout in milliseconds.
func millis(b []byte) (time.Duration, bool) {
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	if v > math.MaxInt64/2/int64(time.Millisecond) {
		return 0, true
	}
	return time.Duration(v) * time.Millisecond, true
}
