package redisproxy

import (
	"strconv"

	"github.com/sidewire/sidewire/codecs/redis"
)

// serverVersion is the Redis version HELLO reports: the one whose command
// table the proxy implements.
const serverVersion = "7.0.15"

// helloReq is a parsed HELLO [protover [AUTH user pass] [SETNAME name]].
// Its slices alias the request.
type helloReq struct {
	proto      redis.Proto // 0: unchanged
	user, pass []byte      // set together by the AUTH option
	name       []byte
	hasName    bool
	// err is the error reply (without '-') for bad arguments, checked in
	// Redis's order: version number, options, version range.
	err string
}

func parseHello(raw []byte) helloReq {
	var h helloReq
	args := redis.ArgsOf(raw)
	if args.Len() < 2 {
		return h
	}
	ver, err := strconv.ParseInt(string(args.At(1)), 10, 64)
	if err != nil {
		h.err = "ERR Protocol version is not an integer or out of range"
		return h
	}
	if ver < 2 || ver > 3 {
		h.err = "NOPROTO unsupported protocol version"
		return h
	}
	h.proto = redis.Proto(ver)
	for i := 2; i < args.Len(); i++ {
		opt := args.At(i)
		more := args.Len() - 1 - i
		switch {
		case equalFoldUpper(opt, "AUTH") && more >= 2:
			h.user, h.pass = args.At(i+1), args.At(i+2)
			i += 2
		case equalFoldUpper(opt, "SETNAME") && more >= 1:
			h.name, h.hasName = args.At(i+1), true
			i++
		default:
			h.err = "ERR Syntax error in HELLO option '" + string(opt) + "'"
			return h
		}
	}
	return h
}

// validName reports whether a client name has no spaces, newlines or
// special characters, as Redis requires.
func validName(name []byte) bool {
	for _, c := range name {
		if c < '!' || c > '~' {
			return false
		}
	}
	return true
}

// appendHello appends HELLO's reply in RESP p: the proxy presents itself
// as a standalone Redis primary without modules.
func appendHello(dst []byte, p redis.Proto, id uint64) []byte {
	dst = redis.AppendMap(dst, 7, p)
	dst = redis.AppendBulkString(dst, "server")
	dst = redis.AppendBulkString(dst, "redis")
	dst = redis.AppendBulkString(dst, "version")
	dst = redis.AppendBulkString(dst, serverVersion)
	dst = redis.AppendBulkString(dst, "proto")
	dst = redis.AppendInteger(dst, int64(p))
	dst = redis.AppendBulkString(dst, "id")
	dst = redis.AppendInteger(dst, int64(id))
	dst = redis.AppendBulkString(dst, "mode")
	dst = redis.AppendBulkString(dst, "standalone")
	dst = redis.AppendBulkString(dst, "role")
	dst = redis.AppendBulkString(dst, "master")
	dst = redis.AppendBulkString(dst, "modules")
	return redis.AppendArray(dst, 0)
}
