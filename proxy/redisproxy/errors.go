package redisproxy

import (
	"errors"
	"strings"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/session"
)

// Error replies. Texts starting with '-' carry their own Redis error code
// (codecs' AppendError convention); the others get "ERR ".
const (
	msgNoAuth       = "-NOAUTH Authentication required."
	msgWrongPass    = "-WRONGPASS invalid username-password pair or user is disabled."
	msgNoPassword   = "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	msgHelloNoAuth  = "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
	msgNoProto      = "-NOPROTO this listener speaks RESP3 only: send HELLO 3 first"
	msgHelloNoProto = "-NOPROTO unsupported protocol version"
	msgBadName      = "Client names cannot contain spaces, newlines or special characters."
	msgSyntax       = "syntax error"
	msgNotInteger   = "value is not an integer or out of range"
	msgSelect       = "SELECT is not allowed: the proxy serves database 0 only"
	msgNoUpstream   = "no upstream host"
	msgCrossSlot    = "-CROSSSLOT Keys in request don't map to the same upstream host"
)

var (
	errNoRoute    = &codecs.ReplyError{Status: codecs.StatusNotFound, Err: errors.New(msgNoUpstream)}
	errNoUpstream = &codecs.ReplyError{Status: codecs.StatusUnavailable, Err: errors.New(msgNoUpstream)}
)

// fail answers st with an error reply and returns its status.
func fail(st *session.Stream, status codecs.Status, msg string) codecs.Status {
	st.ReplyError(status, msg)
	return status
}

// failErr answers st with err's text and status.
func failErr(st *session.Stream, err error) codecs.Status {
	return fail(st, codecs.StatusOf(err), errorText(err))
}

// errorText is the reply text for a failed upstream request: the pools'
// errors (dead host, timeout, overflow) read "upstream failure: ...".
func errorText(err error) string {
	var re *codecs.ReplyError
	if errors.As(err, &re) {
		return err.Error()
	}
	return "upstream failure: " + err.Error()
}

// unsupported is the reply text for a command the proxy does not serve.
func unsupported(name string) string { return "unsupported command '" + name + "'" }

// arityError is Redis's text for a wrong argument count.
func arityError(name string) string {
	return "wrong number of arguments for '" + name + "' command"
}

// unknownCommand is Redis's text for an unknown command: its name and up
// to 128 bytes of its first arguments, quoted.
func unknownCommand(raw []byte) string {
	args := redis.ArgsOf(raw)
	name, _ := args.Next()
	var b strings.Builder
	b.WriteString("unknown command '")
	b.Write(name[:min(len(name), 128)])
	b.WriteString("', with args beginning with: ")
	n := 0
	for arg, ok := args.Next(); ok && n < 128; arg, ok = args.Next() {
		arg = arg[:min(len(arg), 128-n)]
		b.WriteByte('\'')
		b.Write(arg)
		b.WriteString("' ")
		n += len(arg) + 3
	}
	return b.String()
}
