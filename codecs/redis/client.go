package redis

import (
	"bytes"
	"sync/atomic"

	"github.com/sidewire/sidewire/codecs"
)

// ClientCodec is the upstream side of one connection to a Redis server:
// it forwards requests unchanged and decodes replies. Besides framing it
// follows the few things that change how replies must be read: the RESP
// version (from HELLO's reply; RESET goes back to RESP2) and, for
// RESP2 pub/sub, the subscriptions (from their confirmations).
type ClientCodec struct {
	scan  replyScanner
	proto atomic.Int32
	subs  subscriptions
}

var _ codecs.ClientCodec = (*ClientCodec)(nil)

// NewClientCodec returns a codec for one upstream connection.
func NewClientCodec(l Limits, cl codecs.Limits) *ClientCodec {
	c := &ClientCodec{scan: newReplyScanner(newBounds(l, cl))}
	c.proto.Store(2)
	return c
}

// Protocol returns the RESP version replies use: 2 until a HELLO reply
// switches it.
func (c *ClientCodec) Protocol() int { return int(c.proto.Load()) }

// AppendRequest appends req.Raw unchanged: Redis requests carry no id.
func (c *ClientCodec) AppendRequest(dst []byte, req *codecs.Frame, _ uint64) ([]byte, error) {
	return append(dst, req.Raw...), nil
}

// Responses returns how many replies Redis sends for req: none for an
// empty command, one per channel (or pattern) for the SUBSCRIBE family
// and for UNSUBSCRIBE-family commands naming channels, as many as there
// are subscriptions (at least one) for an UNSUBSCRIBE-family command
// without arguments, one otherwise. Subscription counts come from the
// confirmations decoded so far, so an argument-less UNSUBSCRIBE
// pipelined behind unconfirmed subscriptions is undercounted; and an
// error reply, or +QUEUED inside MULTI, answers the whole request.
// Responses has no side effects.
func (c *ClientCodec) Responses(req *codecs.Frame) int {
	if req.Kind == codecs.KindOneWay {
		return 0
	}
	name := req.Attrs.Method
	if len(name) < len("subscribe") || len(name) > len("punsubscribe") {
		return 1
	}
	cmd := Lookup(name)
	if cmd == nil || cmd.Flags&FlagPubSub == 0 {
		return 1
	}
	args := ArgsOf(req.Raw)
	n := args.Len() - 1
	var subscribed int32
	switch cmd.Name {
	case "subscribe", "psubscribe", "ssubscribe":
		return max(n, 1)
	case "unsubscribe":
		subscribed = c.subs.channels.Load()
	case "punsubscribe":
		subscribed = c.subs.patterns.Load()
	case "sunsubscribe":
		subscribed = c.subs.shard.Load()
	default:
		return 1
	}
	if n > 0 {
		return n
	}
	return max(int(subscribed), 1)
}

// Decode decodes the reply at the start of b: one complete RESP2 or
// RESP3 value, with any attributes before it. Pushes are events, except
// subscribe-family confirmations, which answer requests; in RESP2
// pub/sub mode published messages are events too.
func (c *ClientCodec) Decode(b []byte) (f codecs.Frame, n int, err error) {
	if len(b) == 0 {
		return f, 0, codecs.ErrNeedMore
	}
	n, top, hint, err := c.scan.frame(b)
	if err != nil {
		return f, hint, err
	}
	// Filling the named result in place spares copying the large Frame.
	f.Raw, f.Kind = b[:n:n], codecs.KindResponse
	f.Attrs.Protocol = Name
	f.Attrs.Status = codecs.StatusOK
	c.classify(&f, top)
	return f, n, nil
}

// classify sets the kind and attributes of a reply whose value starts at
// f.Raw[top], and follows protocol and subscription changes.
func (c *ClientCodec) classify(f *codecs.Frame, top int) {
	raw := f.Raw
	switch raw[top] {
	case '-', '!':
		f.Attrs.Status = codecs.StatusError
		if _, msg, _, ok := scalarAt(raw, top); ok {
			f.Attrs.SetExtra(ExtraError, errorCode(msg))
		}
	case '>':
		c.push(f, top)
	case '*':
		if v := helloProto(raw, top); v != 0 {
			c.proto.Store(v)
		} else if c.proto.Load() != 3 {
			c.resp2PubSub(f, top)
		}
	case '%':
		if v := helloProto(raw, top); v != 0 {
			c.proto.Store(v)
		}
	case '+':
		if bytes.Equal(raw[top:], resetReply) {
			c.proto.Store(2)
			c.subs.reset()
		}
	}
}

var resetReply = []byte("+RESET\r\n")

// push classifies a RESP3 push.
func (c *ClientCodec) push(f *codecs.Frame, top int) {
	f.Kind = codecs.KindEvent
	_, count, pos, ok := aggregateAt(f.Raw, top)
	if !ok || count < 1 {
		return
	}
	_, kind, pos, ok := scalarAt(f.Raw, pos)
	if !ok {
		return
	}
	f.Attrs.Method = kind
	if conf := confirmationOf(kind); conf != notConfirmation {
		if c.confirm(f, conf, count, pos) {
			f.Kind = codecs.KindResponse
		}
		return
	}
	messageAttrs(f, kind, count, pos)
}

// resp2PubSub classifies a RESP2 array that may be a subscribe-family
// confirmation (a response) or, in pub/sub mode, a message (an event).
func (c *ClientCodec) resp2PubSub(f *codecs.Frame, top int) {
	_, count, pos, ok := aggregateAt(f.Raw, top)
	if !ok || count != 3 && count != 4 {
		return
	}
	t, kind, pos, ok := scalarAt(f.Raw, pos)
	if !ok || t != '$' {
		return
	}
	if conf := confirmationOf(kind); conf != notConfirmation {
		if c.confirm(f, conf, count, pos) {
			f.Attrs.Method = kind
		}
		return
	}
	if c.subs.active() && isMessage(kind) && messageAttrs(f, kind, count, pos) {
		f.Kind = codecs.KindEvent
		f.Attrs.Method = kind
	}
}

// confirm reads the channel and count of a confirmation whose elements
// after the kind start at pos, and records it.
func (c *ClientCodec) confirm(f *codecs.Frame, conf confirmation, count, pos int) bool {
	if count != 3 {
		return false
	}
	_, channel, pos, ok := scalarAt(f.Raw, pos)
	if !ok {
		return false
	}
	t, num, _, ok := scalarAt(f.Raw, pos)
	if !ok || t != ':' {
		return false
	}
	n, ok := parseInt(num)
	if !ok {
		return false
	}
	c.subs.confirm(conf, n)
	f.Attrs.Topic = channel
	return true
}

// messageAttrs sets Topic (and the pattern extra) of a published
// message whose elements after the kind start at pos.
func messageAttrs(f *codecs.Frame, kind []byte, count, pos int) bool {
	want := 3
	if string(kind) == "pmessage" {
		want = 4
	}
	if !isMessage(kind) || count != want {
		return false
	}
	_, first, pos, ok := scalarAt(f.Raw, pos)
	if !ok {
		return false
	}
	if want == 3 {
		f.Attrs.Topic = first
		return true
	}
	_, channel, _, ok := scalarAt(f.Raw, pos)
	if !ok {
		return false
	}
	f.Attrs.Topic = channel
	f.Attrs.SetExtra(ExtraPattern, first)
	return true
}

// helloProto returns the protocol version a HELLO reply at raw[top]
// reports (its "proto" field), or 0 when the reply is not HELLO's: a map
// (RESP3) or flat array (RESP2) of field/value pairs starting with
// "server".
func helloProto(raw []byte, top int) int32 {
	t, count, pos, ok := aggregateAt(raw, top)
	if !ok || !bytes.HasPrefix(raw[pos:], helloFirstField) {
		return 0
	}
	pairs := count
	if t == '*' {
		pairs = count / 2
	}
	for range min(pairs, 8) {
		_, k, next, ok := scalarAt(raw, pos)
		if !ok {
			return 0
		}
		vt, v, next, ok := scalarAt(raw, next)
		if !ok {
			return 0
		}
		if vt == ':' && string(k) == "proto" {
			switch string(v) {
			case "2":
				return 2
			case "3":
				return 3
			}
			return 0
		}
		pos = next
	}
	return 0
}

var helloFirstField = []byte("$6\r\nserver\r\n")

// AppendHeartbeat returns dst unchanged: Redis has no protocol-level
// heartbeat (a PING's PONG is an ordinary reply a pipeline must match).
func (c *ClientCodec) AppendHeartbeat(dst []byte, _ uint64) []byte { return dst }

// AppendEventResponse returns dst unchanged: pushes need no answer.
func (c *ClientCodec) AppendEventResponse(dst []byte, _ *codecs.Frame) []byte { return dst }
