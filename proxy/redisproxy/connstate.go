package redisproxy

import (
	"sync/atomic"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/config"
)

// connState is one downstream connection's Redis state: its RESP
// version, whether it authenticated, its client name, whether it sent
// QUIT. It is the connection's server codec: Decode runs on the
// session's read goroutine, in request order, and applies AUTH, HELLO,
// CLIENT SETNAME and QUIT there, before any later request is decoded.
// Each request's handler gets the state as of its decode in its
// admission ticket, so pipelined commands behave as on a Redis server
// even when an answer (a fault's delay) completes later.
type connState struct {
	*redis.ServerCodec
	f  *Filter
	id uint64 // the connection id, for HELLO and CLIENT ID

	// Owned by the read goroutine.
	proto  redis.Proto
	authed bool
	quit   bool

	// name is the CLIENT SETNAME name; handlers read it concurrently.
	name atomic.Pointer[[]byte]
}

var _ codecs.ServerCodec = (*connState)(nil)

func newConnState(f *Filter, id uint64, l codecs.Limits) *connState {
	return &connState{
		ServerCodec: redis.NewServerCodec(f.codec.Limits(), l),
		f:           f, id: id, proto: redis.RESP2,
		authed: !f.auth.required(),
	}
}

// Decode implements codecs.ServerCodec: it decodes a command and admits
// it, recording the admission in the frame's ID.
func (s *connState) Decode(b []byte) (codecs.Frame, int, error) {
	f, n, err := s.ServerCodec.Decode(b)
	if err == nil && f.Kind == codecs.KindRequest {
		s.admit(&f)
	}
	return f, n, err
}

// admit decides about one request and applies its effect on the
// connection state.
func (s *connState) admit(f *codecs.Frame) {
	if s.quit {
		// Redis reads nothing after QUIT; neither do we answer it.
		f.Kind = codecs.KindOneWay
		return
	}
	a := admission{cmd: s.f.cmds.index(f.Attrs.Method), proto: s.proto}
	info := s.f.cmds.info(a.cmd)
	var local localKind
	if info != nil && info.kind == cmdLocal {
		local = info.local
	}
	switch {
	case local == localQuit:
		s.quit = true
	case local == localAuth:
		a.verdict = s.admitAuth(f.Raw)
	case local == localHello:
		a.verdict, a.proto = s.admitHello(f.Raw)
	case !s.authed:
		a.verdict = vNoAuth
	case s.f.cfg.ProtocolVersion == config.RESP3 && s.proto != redis.RESP3:
		a.verdict = vNoProto
	case local == localClient:
		a.verdict = s.admitClient(f.Raw)
	}
	f.ID = a.id()
}

// admitAuth checks AUTH [user] pass. Other argument counts change
// nothing; the handler answers them with an error.
func (s *connState) admitAuth(raw []byte) verdict {
	args := redis.ArgsOf(raw)
	var v verdict
	switch args.Len() {
	case 2:
		v = s.f.auth.check(nil, args.At(1))
	case 3:
		v = s.f.auth.check(args.At(1), args.At(2))
	default:
		return vServe
	}
	if v == vAuthOK {
		s.authed = true
	}
	return v
}

// admitHello applies HELLO: authentication, client name, then protocol.
// It returns the verdict and the protocol of the reply.
func (s *connState) admitHello(raw []byte) (verdict, redis.Proto) {
	h := parseHello(raw)
	// A RESP3 listener speaks nothing else: HELLO 2, or a bare HELLO
	// before HELLO 3, gets -NOPROTO.
	resp3Only := s.f.cfg.ProtocolVersion == config.RESP3
	switch {
	case h.err != "":
		return vHelloBad, s.proto
	case resp3Only && (h.proto == redis.RESP2 || h.proto == 0 && s.proto != redis.RESP3):
		return vNoProto, s.proto
	}
	if h.pass != nil {
		if v := s.f.auth.check(h.user, h.pass); v != vAuthOK {
			return v, s.proto
		}
		s.authed = true
	}
	if !s.authed {
		return vHelloNoAuth, s.proto
	}
	if h.hasName {
		if !validName(h.name) {
			return vNameBad, s.proto
		}
		s.setName(h.name)
	}
	if h.proto != 0 {
		s.proto = h.proto
		s.SetProtocol(int(h.proto))
	}
	return vServe, s.proto
}

// admitClient applies CLIENT SETNAME; other subcommands change nothing.
func (s *connState) admitClient(raw []byte) verdict {
	args := redis.ArgsOf(raw)
	if args.Len() != 3 || !equalFoldUpper(args.At(1), "SETNAME") {
		return vServe
	}
	name := args.At(2)
	if !validName(name) {
		return vNameBad
	}
	s.setName(name)
	return vServe
}

func (s *connState) setName(name []byte) {
	if len(name) == 0 {
		s.name.Store(nil) // an empty name clears it
		return
	}
	cp := append([]byte(nil), name...)
	s.name.Store(&cp)
}

// clientName returns the name set by CLIENT SETNAME or HELLO, or nil.
func (s *connState) clientName() []byte {
	if p := s.name.Load(); p != nil {
		return *p
	}
	return nil
}

// connCodec is the codec of one connection: the Redis codec whose server
// codec is the connection's state.
type connCodec struct {
	*redis.Codec
	st *connState
}

// NewServerCodec implements codecs.Codec: the session asks once.
func (c connCodec) NewServerCodec(codecs.Limits) codecs.ServerCodec { return c.st }
