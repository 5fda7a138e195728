package redisproxy

import (
	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/session"
)

const msgProtocol = "upstream protocol error"

// outcome is one shard's reply as a merge sees it.
type outcome struct {
	raw    []byte        // the reply, when the shard answered
	errRaw []byte        // an error reply element, when it failed
	status codecs.Status // StatusOK, or why it failed
}

// outcomeOf reads shard s's result.
func outcomeOf(s *shard) outcome {
	if s.err != nil {
		return outcome{errRaw: errorReply(errorText(s.err)), status: codecs.StatusOf(s.err)}
	}
	if len(s.resps) != 1 {
		return outcome{errRaw: errorReply(msgProtocol), status: codecs.StatusInternal}
	}
	f := &s.resps[0].Frame
	if f.Attrs.Status == codecs.StatusError {
		return outcome{errRaw: f.Raw, status: codecs.StatusError}
	}
	return outcome{raw: f.Raw, status: codecs.StatusOK}
}

// merge answers st with the merged replies and returns the status: OK,
// or that of the first failure.
func (fo *fanout) merge(st *session.Stream) codecs.Status {
	switch fo.kind {
	case fanMGet:
		return fo.mergeMGet(st)
	case fanMSet:
		return fo.mergeMSet(st)
	}
	return fo.mergeSum(st)
}

// mergeMGet assembles MGET's array in key order.
func (fo *fanout) mergeMGet(st *session.Stream) codecs.Status {
	fo.elems = append(fo.elems[:0], make([][]byte, len(fo.keys))...)
	status := codecs.StatusOK
	note := func(s codecs.Status) {
		if status == codecs.StatusOK {
			status = s
		}
	}
	for i, err := range fo.failed {
		if err != nil {
			fo.elems[i] = errorReply(err.Error())
			note(codecs.StatusOf(err))
		}
	}
	var parts [][]byte
	for i := range fo.shards {
		s := &fo.shards[i]
		o := outcomeOf(s)
		if o.status == codecs.StatusOK {
			var ok bool
			if parts, ok = splitArray(parts[:0], o.raw, len(s.keys)); !ok {
				o = outcome{errRaw: errorReply(msgProtocol), status: codecs.StatusInternal}
			}
		}
		for j, k := range s.keys {
			if o.status == codecs.StatusOK {
				fo.elems[k] = parts[j]
			} else {
				fo.elems[k] = o.errRaw
			}
		}
		if o.status != codecs.StatusOK {
			note(o.status)
		}
	}
	out := redis.AppendArray(fo.scratch[:0], len(fo.keys))
	for _, e := range fo.elems {
		out = append(out, e...)
	}
	fo.scratch = out
	st.Reply(out)
	return status
}

// mergeMSet answers +OK when every shard did, else the first failure.
func (fo *fanout) mergeMSet(st *session.Stream) codecs.Status {
	for i := range fo.shards {
		o := outcomeOf(&fo.shards[i])
		switch {
		case o.status != codecs.StatusOK:
			st.Reply(o.errRaw)
			return o.status
		case string(o.raw) != string(okReply):
			st.Reply(errorReply(msgProtocol))
			return codecs.StatusInternal
		}
	}
	st.Reply(okReply)
	return codecs.StatusOK
}

// mergeSum answers the sum of the shards' integers, else the first
// failure.
func (fo *fanout) mergeSum(st *session.Stream) codecs.Status {
	var sum int64
	for i := range fo.shards {
		o := outcomeOf(&fo.shards[i])
		if o.status != codecs.StatusOK {
			st.Reply(o.errRaw)
			return o.status
		}
		n, ok := integerReply(o.raw)
		if !ok {
			st.Reply(errorReply(msgProtocol))
			return codecs.StatusInternal
		}
		sum += n
	}
	var buf [24]byte
	st.Reply(redis.AppendInteger(buf[:0], sum))
	return codecs.StatusOK
}
