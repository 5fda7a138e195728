package redisproxy

import (
	"context"
	"strconv"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/session"
)

// local answers the connection commands the proxy serves itself. Their
// effect on the connection (AUTH, HELLO, CLIENT SETNAME, QUIT) was
// applied when they were decoded; a says how that went.
func (r *router) local(st *session.Stream, a admission, info *cmdInfo, args *redis.Args) codecs.Status {
	var buf [256]byte
	out := buf[:0]
	switch info.local {
	case localPing:
		switch args.Len() {
		case 1:
			out = redis.AppendSimple(out, "PONG")
		case 2:
			out = redis.AppendBulk(out, args.At(1))
		default:
			return fail(st, codecs.StatusBadRequest, arityError(info.name))
		}
	case localEcho:
		out = redis.AppendBulk(out, args.At(1))
	case localQuit:
		st.Reply(redis.AppendSimple(out, "OK"))
		// Drain from another goroutine: it waits for this stream.
		go st.Session().Drain(context.Background())
		return codecs.StatusOK
	case localSelect:
		db, err := strconv.ParseInt(string(args.At(1)), 10, 64)
		switch {
		case err != nil:
			return fail(st, codecs.StatusBadRequest, msgNotInteger)
		case db != 0:
			return fail(st, codecs.StatusBadRequest, msgSelect)
		}
		out = redis.AppendSimple(out, "OK")
	case localAuth:
		if args.Len() > 3 {
			return fail(st, codecs.StatusBadRequest, msgSyntax)
		}
		return r.authReply(st, a.verdict)
	case localHello:
		return r.helloReply(st, a, args)
	case localClient:
		return r.client(st, a, args)
	}
	st.Reply(out)
	return codecs.StatusOK
}

// authReply answers AUTH, or HELLO's AUTH option, by its verdict.
func (r *router) authReply(st *session.Stream, v verdict) codecs.Status {
	switch v {
	case vAuthOK:
		st.Reply([]byte("+OK\r\n"))
		return codecs.StatusOK
	case vAuthNoPassword:
		return fail(st, codecs.StatusBadRequest, msgNoPassword)
	}
	return fail(st, codecs.StatusDenied, msgWrongPass)
}

func (r *router) helloReply(st *session.Stream, a admission, args *redis.Args) codecs.Status {
	switch a.verdict {
	case vServe:
		st.Reply(appendHello(make([]byte, 0, 160), a.proto, r.st.id))
		return codecs.StatusOK
	case vHelloBad:
		return fail(st, codecs.StatusBadRequest, "-"+parseHello(st.Request.Raw).err)
	case vNoProto:
		return fail(st, codecs.StatusBadRequest, msgHelloNoProto)
	case vHelloNoAuth:
		return fail(st, codecs.StatusDenied, msgHelloNoAuth)
	case vNameBad:
		return fail(st, codecs.StatusBadRequest, msgBadName)
	}
	return r.authReply(st, a.verdict)
}

// client answers CLIENT SETNAME, GETNAME, ID and SETINFO; the other
// subcommands are not served.
func (r *router) client(st *session.Stream, a admission, args *redis.Args) codecs.Status {
	sub := args.At(1)
	want := 0
	switch {
	case equalFoldUpper(sub, "SETNAME"):
		want = 3
	case equalFoldUpper(sub, "GETNAME"), equalFoldUpper(sub, "ID"):
		want = 2
	case equalFoldUpper(sub, "SETINFO"):
		want = 4
	default:
		r.f.stats.unsupportedCommand.Inc()
		name := "client"
		if c := redis.Lookup([]byte("client")).Subcommand(sub); c != nil {
			name = c.Name
		}
		return fail(st, codecs.StatusBadRequest, unsupported(name))
	}
	if args.Len() != want {
		return fail(st, codecs.StatusBadRequest, arityError("client|"+lowerASCII(sub)))
	}
	var buf [64]byte
	switch {
	case equalFoldUpper(sub, "SETNAME"):
		if a.verdict == vNameBad {
			return fail(st, codecs.StatusBadRequest, msgBadName)
		}
		st.Reply(redis.AppendSimple(buf[:0], "OK"))
	case equalFoldUpper(sub, "GETNAME"):
		if name := r.st.clientName(); name != nil {
			st.Reply(redis.AppendBulk(buf[:0], name))
		} else {
			st.Reply(redis.AppendNull(buf[:0], a.proto))
		}
	case equalFoldUpper(sub, "ID"):
		st.Reply(redis.AppendInteger(buf[:0], int64(r.st.id)))
	default:
		return r.setInfo(st, args.At(2), args.At(3))
	}
	return codecs.StatusOK
}

// setInfo accepts CLIENT SETINFO LIB-NAME|LIB-VER value, as Redis 7.2
// does; go-redis sends it on every new connection.
func (r *router) setInfo(st *session.Stream, attr, value []byte) codecs.Status {
	if !equalFoldUpper(attr, "LIB-NAME") && !equalFoldUpper(attr, "LIB-VER") {
		return fail(st, codecs.StatusBadRequest, "Unrecognized option '"+string(attr)+"'")
	}
	if !validName(value) {
		return fail(st, codecs.StatusBadRequest, lowerASCII(attr)+" cannot contain spaces, newlines or special characters.")
	}
	st.Reply([]byte("+OK\r\n"))
	return codecs.StatusOK
}

func lowerASCII(b []byte) string {
	out := []byte(string(b))
	for i, c := range out {
		out[i] = lower(c)
	}
	return string(out)
}
