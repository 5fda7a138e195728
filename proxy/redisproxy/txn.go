package redisproxy

import (
	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/cluster"
)

// Transactions. WATCH binds the connection to its keys' host (all its
// keys must map there, else -CROSSSLOT) and is sent on that binding;
// the commands that follow to that host keep to it (bindings.sticky).
// MULTI is answered by the proxy; the transaction's host is the WATCH's,
// or that of the first queued command with a key: MULTI is sent there,
// then the commands queued so far without a key (answered +QUEUED by the
// proxy meanwhile), then each command as it comes, answered by the
// upstream. A queued command whose key maps to another host gets
// -CROSSSLOT and, like any command refused while queueing (unknown,
// wrong arity, denied by policy, not allowed in a transaction), makes
// EXEC answer -EXECABORT and discard the transaction, as Redis does.
// EXEC and DISCARD go to the binding and end the transaction: the
// connection returns to shared mode (commands pipelined behind EXEC to
// its host still follow it while it is in flight). A transaction without
// any key runs on the pub/sub host; an empty one is answered locally.

// maxHeldTx bounds the bytes of commands queued before a transaction's
// host is known.
const maxHeldTx = 4 << 20

const (
	msgExecAbort     = "-EXECABORT Transaction discarded because of previous errors."
	msgNotInTx       = "Command not allowed inside a transaction"
	msgTxTooLarge    = "too many commands queued before the transaction's first key"
	msgNestedMulti   = "MULTI calls can not be nested"
	msgWatchInMulti  = "WATCH inside MULTI is not allowed"
	msgExecNoMulti   = "EXEC without MULTI"
	msgDiscardNoMult = "DISCARD without MULTI"
)

// txState is a connection's transaction: the read goroutine owns it.
type txState struct {
	multi bool     // between MULTI and EXEC or DISCARD
	dirty bool     // a command was refused while queueing
	watch *binding // holding the connection's WATCHed keys
	b     *binding // the transaction's binding, once its host is known
	sent  bool     // MULTI was sent on b
	held  [][]byte // commands queued before the host was known
	bytes int
}

// reset ends the transaction and the WATCH.
func (tx *txState) reset() { *tx = txState{} }

var queuedReply = []byte("+QUEUED\r\n")

// txn serves MULTI, EXEC, DISCARD, WATCH and UNWATCH outside MULTI.
func (q *exchange) txn() (codecs.Status, *route) {
	tx := &q.r.b.tx
	switch q.info.op {
	case opMulti:
		tx.multi, tx.dirty = true, false
		q.st.Reply(okReply)
		return codecs.StatusOK, nil
	case opExec:
		return q.fail(codecs.StatusBadRequest, msgExecNoMulti), nil
	case opDiscard:
		return q.fail(codecs.StatusBadRequest, msgDiscardNoMult), nil
	case opWatch:
		return q.keyed() // forwardBound calls watch
	}
	// UNWATCH
	if w := tx.watch; w != nil {
		tx.watch = nil
		return q.sendBound(w, &q.st.Request, nil, q.f.opBudget(), false), nil
	}
	q.st.Reply(okReply)
	return codecs.StatusOK, nil
}

// watch sends WATCH to host h of cl, on the connection's WATCH binding.
func (q *exchange) watch(cl *cluster.Cluster, h *cluster.Host, f *codecs.Frame, rt *route) codecs.Status {
	tx := &q.r.b.tx
	b := tx.watch
	if b != nil && b.host != h {
		return q.fail(codecs.StatusBadRequest, msgCrossSlot)
	}
	if b == nil {
		var err error
		if b, err = q.binding(cl, h); err != nil {
			return q.failErr(err)
		}
		tx.watch = b
	}
	return q.sendBound(b, f, rt, q.f.opBudget(), false)
}

// queueError marks the transaction to abort when a command is refused
// while queueing.
func (bs *bindings) queueError() {
	if bs.tx.multi {
		bs.tx.dirty = true
	}
}

// inMulti serves a command between MULTI and EXEC.
func (q *exchange) inMulti() (codecs.Status, *route) {
	info := q.info
	switch info.kind {
	case cmdTxn:
		switch info.op {
		case opMulti:
			return q.fail(codecs.StatusBadRequest, msgNestedMulti), nil
		case opExec:
			return q.exec(), nil
		case opDiscard:
			return q.discard(), nil
		case opWatch:
			return q.fail(codecs.StatusBadRequest, msgWatchInMulti), nil
		}
		return q.queueKeyless(), nil // UNWATCH
	case cmdLocal:
		switch info.local {
		case localPing, localEcho:
			return q.queueKeyless(), nil
		case localQuit:
			return q.r.local(q.st, q.a, info, &q.args), nil
		}
	case cmdKeyed, cmdScript:
		if q.hasKey() {
			return q.route()
		}
		return q.queueKeyless(), nil
	case cmdFanout:
		return q.routeByKey(q.args.At(1))
	case cmdBlocking:
		if info.op == opWait || !q.hasKey() {
			return q.queueKeyless(), nil
		}
		return q.route()
	case cmdPublish:
		return q.queueKeyless(), nil
	}
	q.r.b.queueError()
	return q.fail(codecs.StatusBadRequest, msgNotInTx), nil
}

// hasKey reports whether the request has a key to route by.
func (q *exchange) hasKey() bool {
	if q.info.cmd == nil {
		return q.args.Len() > 1
	}
	return q.st.Request.Attrs.KeyCount() > 0
}

// txQueue queues a keyed command of the transaction on host h of cl,
// fixing the transaction's host with the first one.
func (q *exchange) txQueue(cl *cluster.Cluster, h *cluster.Host, f *codecs.Frame, rt *route) codecs.Status {
	bs := &q.r.b
	tx := &bs.tx
	if tx.b == nil {
		if tx.watch != nil && tx.watch.host != h {
			bs.queueError()
			return q.fail(codecs.StatusBadRequest, msgCrossSlot)
		}
		b := tx.watch
		if b == nil {
			var err error
			if b, err = q.binding(cl, h); err != nil {
				bs.queueError()
				return q.failErr(err)
			}
		}
		tx.b = b
		if err := q.beginTx(); err != nil {
			bs.queueError()
			return q.failErr(err)
		}
	} else if tx.b.host != h {
		bs.queueError()
		return q.fail(codecs.StatusBadRequest, msgCrossSlot)
	}
	return q.sendBound(tx.b, f, rt, q.f.opBudget(), false)
}

// beginTx sends MULTI and the commands held so far on the transaction's
// binding; their replies (+OK, +QUEUED) were given by the proxy.
func (q *exchange) beginTx() error {
	tx := &q.r.b.tx
	if err := q.sendQuiet(tx.b, redis.AppendCommandString(nil, "MULTI")); err != nil {
		return err
	}
	tx.sent = true
	for i, raw := range tx.held {
		if err := q.sendQuiet(tx.b, raw); err != nil {
			return err
		}
		tx.held[i] = nil
	}
	tx.held, tx.bytes = nil, 0
	return nil
}

// sendQuiet sends a command whose reply nobody reads.
func (q *exchange) sendQuiet(b *binding, raw []byte) error {
	f := codecs.Frame{Raw: raw, Kind: codecs.KindRequest}
	f.Attrs.Protocol = redis.Name
	f.Attrs.Method = redis.ArgAt(raw, 0)
	return b.send(q.ctx, &f, nil, q.f.opBudget(), false, q.batch)
}

// queueKeyless queues a command without a key: on the transaction's
// binding once there is one, else held (and answered +QUEUED) until the
// host is known.
func (q *exchange) queueKeyless() codecs.Status {
	tx := &q.r.b.tx
	if tx.b != nil {
		return q.sendBound(tx.b, &q.st.Request, nil, q.f.opBudget(), false)
	}
	raw := q.st.Request.Raw
	if tx.bytes+len(raw) > maxHeldTx {
		q.r.b.queueError()
		return q.fail(codecs.StatusBadRequest, msgTxTooLarge)
	}
	tx.held = append(tx.held, append([]byte(nil), raw...))
	tx.bytes += len(raw)
	q.st.Reply(queuedReply)
	return codecs.StatusOK
}

// exec ends the transaction: EXEC on its binding, or -EXECABORT.
func (q *exchange) exec() codecs.Status {
	tx := &q.r.b.tx
	defer tx.reset()
	if tx.dirty {
		switch {
		case tx.sent:
			_ = q.sendQuiet(tx.b, redis.AppendCommandString(nil, "DISCARD"))
		case tx.watch != nil:
			_ = q.sendQuiet(tx.watch, redis.AppendCommandString(nil, "UNWATCH"))
		}
		q.f.stats.txAborted.Inc()
		return q.fail(codecs.StatusBadRequest, msgExecAbort)
	}
	if tx.b == nil {
		switch {
		case tx.watch != nil:
			tx.b = tx.watch
		case len(tx.held) == 0:
			q.st.Reply(redis.AppendArray(nil, 0))
			return codecs.StatusOK
		default:
			_, cl, h, err := q.f.pubsubTarget()
			if err == nil {
				tx.b, err = q.binding(cl, h)
			}
			if err != nil {
				return q.failErr(err)
			}
		}
		if err := q.beginTx(); err != nil {
			return q.failErr(err)
		}
	}
	return q.sendBound(tx.b, &q.st.Request, nil, q.f.opBudget(), false)
}

// discard ends the transaction without running it.
func (q *exchange) discard() codecs.Status {
	tx := &q.r.b.tx
	defer tx.reset()
	switch {
	case tx.sent:
		return q.sendBound(tx.b, &q.st.Request, nil, q.f.opBudget(), false)
	case tx.watch != nil:
		_ = q.sendQuiet(tx.watch, redis.AppendCommandString(nil, "UNWATCH"))
	}
	q.st.Reply(okReply)
	return codecs.StatusOK
}

// routeCmd is the command keys are placed for: inside a transaction or
// under WATCH none, so that reads stay with the transaction's writes on
// the route's cluster rather than going to its read cluster.
func (q *exchange) routeCmd() *redis.Command {
	if q.batch == nil { // delayed by a fault, off the read goroutine
		return q.info.cmd
	}
	if tx := &q.r.b.tx; tx.multi || tx.watch != nil || q.info.kind == cmdTxn {
		return nil
	}
	return q.info.cmd
}
