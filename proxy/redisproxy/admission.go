package redisproxy

import "github.com/sidewire/sidewire/codecs/redis"

// verdict is what a connection's read goroutine decided about a request
// when it decoded it (see connState.admit).
type verdict uint8

const (
	// vServe: serve the request (route it or answer it locally).
	vServe verdict = iota
	// vNoAuth: downstream auth is required and the client has not
	// authenticated.
	vNoAuth
	// vNoProto: a RESP3 listener's client has not sent HELLO 3 yet.
	vNoProto
	// vAuthOK, vAuthWrongPass, vAuthNoPassword: the outcome of AUTH, or of
	// HELLO's AUTH option.
	vAuthOK
	vAuthWrongPass
	vAuthNoPassword
	// vHelloNoAuth: HELLO without AUTH on a connection that must
	// authenticate first.
	vHelloNoAuth
	// vHelloBad: HELLO with bad arguments; parseHello tells which.
	vHelloBad
	// vNameBad: a client name with spaces or special characters.
	vNameBad
)

// admission is a request's ticket from the decoder to its handler,
// packed into the request's Frame.ID. Redis frames carry no id (the codec
// and the pools ignore it), so the proxy uses it to hand each request the
// connection state as of its place in the pipeline: AUTH, HELLO and
// CLIENT SETNAME take effect in request order, as on a Redis server.
type admission struct {
	// cmd is the command's index in the filter's command table plus one;
	// 0 for unknown commands. It fits in 16 bits.
	cmd uint32
	// proto is the RESP version the reply must use, and so the upstream
	// pools the request goes to.
	proto   redis.Proto
	verdict verdict
}

func (a admission) id() uint64 {
	return uint64(a.cmd&0xffff)<<16 | uint64(a.proto)<<8 | uint64(a.verdict)
}

func admissionOf(id uint64) admission {
	return admission{cmd: uint32(id>>16) & 0xffff, proto: redis.Proto(id >> 8), verdict: verdict(id)}
}
