package codecs

// Kind says what a frame is for, which decides how a session or pool
// treats it.
type Kind uint8

// Frame kinds.
const (
	// KindRequest is a request that expects one or more responses.
	KindRequest Kind = iota + 1
	// KindOneWay is a request that expects no response (Dubbo one-way,
	// Kafka Produce with acks=0).
	KindOneWay
	// KindResponse answers a request.
	KindResponse
	// KindEvent is a control frame the peer starts: a heartbeat, which
	// the receiver answers with AppendEventResponse, or a server push
	// (RESP3 push, pub/sub message), which needs no answer.
	KindEvent
	// KindEventReply answers a KindEvent frame, e.g. a heartbeat reply.
	KindEventReply
)

// String returns the lower-case kind name.
func (k Kind) String() string {
	switch k {
	case KindRequest:
		return "request"
	case KindOneWay:
		return "oneway"
	case KindResponse:
		return "response"
	case KindEvent:
		return "event"
	case KindEventReply:
		return "event_reply"
	}
	return "invalid"
}

// IsRequest reports whether the frame is a request of either kind.
func (k Kind) IsRequest() bool { return k == KindRequest || k == KindOneWay }
