package redis

import "sync/atomic"

// confirmation is a subscribe-family confirmation kind.
type confirmation uint8

const (
	notConfirmation confirmation = iota
	confirmSubscribe
	confirmPSubscribe
	confirmSSubscribe
	confirmUnsubscribe
	confirmPUnsubscribe
	confirmSUnsubscribe
)

// confirmationOf classifies the first element of a pub/sub reply.
func confirmationOf(kind []byte) confirmation {
	switch string(kind) {
	case "subscribe":
		return confirmSubscribe
	case "psubscribe":
		return confirmPSubscribe
	case "ssubscribe":
		return confirmSSubscribe
	case "unsubscribe":
		return confirmUnsubscribe
	case "punsubscribe":
		return confirmPUnsubscribe
	case "sunsubscribe":
		return confirmSUnsubscribe
	}
	return notConfirmation
}

// isMessage reports whether kind starts a published message.
func isMessage(kind []byte) bool {
	switch string(kind) {
	case "message", "pmessage", "smessage":
		return true
	}
	return false
}

// subscriptions tracks what an upstream connection is subscribed to,
// learnt from the confirmations decoded on it. Each confirmation carries
// the connection's count after it: channels plus patterns for the
// SUBSCRIBE and PSUBSCRIBE families, shard channels for SSUBSCRIBE's.
// A count that grew or shrank tells whether the channel was new or
// really left. The read goroutine writes; Responses reads the atomics.
type subscriptions struct {
	total    int64 // channels + patterns, as last confirmed
	channels atomic.Int32
	patterns atomic.Int32
	shard    atomic.Int32
}

// confirm applies one confirmation with its count.
func (s *subscriptions) confirm(c confirmation, count int64) {
	grew, shrank := count > s.total, count < s.total
	switch c {
	case confirmSubscribe:
		if grew {
			s.channels.Add(1)
		}
	case confirmPSubscribe:
		if grew {
			s.patterns.Add(1)
		}
	case confirmUnsubscribe:
		if shrank && s.channels.Load() > 0 {
			s.channels.Add(-1)
		}
	case confirmPUnsubscribe:
		if shrank && s.patterns.Load() > 0 {
			s.patterns.Add(-1)
		}
	case confirmSSubscribe, confirmSUnsubscribe:
		s.shard.Store(int32(min(max(count, 0), 1<<30)))
		return
	}
	s.total = max(count, 0)
	if s.total == 0 {
		s.channels.Store(0)
		s.patterns.Store(0)
	}
}

// active reports whether the connection is in RESP2 pub/sub mode.
func (s *subscriptions) active() bool { return s.total > 0 || s.shard.Load() > 0 }

// reset forgets every subscription (RESET).
func (s *subscriptions) reset() {
	s.total = 0
	s.channels.Store(0)
	s.patterns.Store(0)
	s.shard.Store(0)
}
