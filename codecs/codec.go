package codecs

// PoolMode is how upstream connections carry a protocol's requests.
type PoolMode uint8

// Pool modes, see docs/architecture.md.
const (
	// Pipeline protocols answer in request order on a connection; many
	// downstreams may share one upstream connection (Redis, Kafka).
	Pipeline PoolMode = iota + 1
	// Multiplex protocols match responses by request id, out of order;
	// ids are rewritten when downstreams share a connection (Dubbo).
	Multiplex
	// Bound protocols keep one upstream connection per downstream
	// connection (MySQL, plain TCP).
	Bound
)

// String returns the mode name.
func (m PoolMode) String() string {
	switch m {
	case Pipeline:
		return "pipeline"
	case Multiplex:
		return "multiplex"
	case Bound:
		return "bound"
	}
	return "invalid"
}

// Codec describes a protocol and makes per-connection codecs. It is
// immutable and safe for concurrent use.
type Codec interface {
	// Name is the protocol name, also used as Attributes.Protocol.
	Name() string
	// Mode is how upstream pools carry this protocol.
	Mode() PoolMode
	// Sniff tells whether b, the first bytes a client sent, start this
	// protocol. It must decide from as few bytes as it can and must not
	// need more than the registry's sniff limit.
	Sniff(b []byte) SniffResult
	// NewServerCodec returns a codec for one downstream connection.
	NewServerCodec(l Limits) ServerCodec
	// NewClientCodec returns a codec for one upstream connection.
	NewClientCodec(l Limits) ClientCodec
}

// ServerCodec is the downstream side of one connection: it decodes the
// client's requests and encodes what the proxy sends back.
//
// Decode is called by the connection's read goroutine only. The Append
// methods may run on other goroutines concurrently with Decode and with
// each other, so per-connection state they read (a negotiated protocol
// version, say) must be synchronized by the codec.
type ServerCodec interface {
	// Decode decodes the first frame in b; see the package doc for the
	// ErrNeedMore and ownership rules. On success 0 < n <= len(b) and
	// the frame's Raw is b[:n]. Frames of any kind may come back:
	// requests, one-way requests and events (heartbeats).
	Decode(b []byte) (f Frame, n int, err error)
	// AppendResponse appends resp, a response decoded by the peer
	// ClientCodec on an upstream connection, to dst, with id as its
	// request id (the downstream's original id for multiplexed
	// protocols). Codecs without ids append resp.Raw unchanged.
	AppendResponse(dst []byte, resp *Frame, id uint64) []byte
	// AppendError appends a local error reply to req in the protocol's
	// own error format. req is nil when the error concerns the
	// connection (malformed bytes); a codec that cannot answer without a
	// request returns dst unchanged.
	AppendError(dst []byte, req *Frame, status Status, msg string) []byte
	// AppendEventResponse appends the answer to a KindEvent frame the
	// client sent (a heartbeat reply), or returns dst unchanged when the
	// event needs none.
	AppendEventResponse(dst []byte, ev *Frame) []byte
}

// ClientCodec is the upstream side of one connection: it encodes
// requests to a server and decodes its responses. Decode is called by the
// connection's read goroutine; the Append methods are called with the
// connection's write lock held, possibly concurrently with Decode;
// Responses is called before a request is queued, concurrently with any
// other method, so it must depend on the request alone.
type ClientCodec interface {
	// AppendRequest appends req, a request decoded by the peer
	// ServerCodec, to dst with id as its request id. Codecs without ids
	// ignore id and append req.Raw unchanged. It fails only when req
	// cannot be sent on this connection.
	AppendRequest(dst []byte, req *Frame, id uint64) ([]byte, error)
	// Responses returns how many response frames the server sends for
	// req: 0 for one-way requests (Kafka acks=0), 1 usually, several for
	// requests such as Redis SUBSCRIBE a b c. Multiplexed codecs return
	// 0 or 1.
	Responses(req *Frame) int
	// Decode decodes the first frame in b, like ServerCodec.Decode.
	// Frames of any kind may come back: responses, events (server
	// heartbeats and pushes) and event replies.
	Decode(b []byte) (f Frame, n int, err error)
	// AppendHeartbeat appends a heartbeat request with the given id, or
	// returns dst unchanged when the protocol has none.
	AppendHeartbeat(dst []byte, id uint64) []byte
	// AppendEventResponse appends the answer to a KindEvent frame the
	// server sent, or returns dst unchanged when it needs none.
	AppendEventResponse(dst []byte, ev *Frame) []byte
}
