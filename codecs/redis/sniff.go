package redis

import (
	"bytes"

	"github.com/sidewire/sidewire/codecs"
)

// Sniff tells whether b, the first bytes a client sent, start Redis:
//
//   - a multibulk request: '*', a count without leading zeros, CRLF and
//     the '$' of the first argument (5 bytes for "*1\r\n$");
//   - an inline command: a known command name (any case) followed by a
//     space, tab, CR or LF ("PING\r\n", "HELLO 3\r\n").
//
// GET is both a Redis command and an HTTP method, so an inline GET
// matches only once its whole line is in and does not look like HTTP:
// its argument does not start with '/' and the line has no " HTTP/". An
// inline GET of a key starting with '/' is therefore not recognised;
// clients send multibulk anyway. TLS records (0x16), HTTP/2's preface
// ("PRI * HTTP/2.0") and every other HTTP method never match. Leading
// blank lines or spaces, which Redis tolerates, do not match either.
// Text protocols whose verbs are also Redis commands (memcached's
// "get k\r\n") cannot be told apart: register Redis after them.
func Sniff(b []byte) codecs.SniffResult {
	switch {
	case len(b) == 0:
		return codecs.NeedMore
	case b[0] == '*':
		return sniffMultibulk(b)
	}
	return sniffInline(b)
}

func sniffMultibulk(b []byte) codecs.SniffResult {
	i := 1
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if b[1] == '0' || i > 10 {
			return codecs.NoMatch
		}
	}
	if i == len(b) {
		return codecs.NeedMore
	}
	if i == 1 {
		return codecs.NoMatch
	}
	const rest = "\r\n$"
	for j := range len(rest) {
		switch {
		case i+j == len(b):
			return codecs.NeedMore
		case b[i+j] != rest[j]:
			return codecs.NoMatch
		}
	}
	return codecs.Match
}

func sniffInline(b []byte) codecs.SniffResult {
	i := 0
	for ; i < len(b) && isNameByte(b[i]); i++ {
		if i == longestName {
			return codecs.NoMatch
		}
	}
	switch {
	case i == len(b):
		if hasCommandPrefix(b) {
			return codecs.NeedMore
		}
		return codecs.NoMatch
	case i == 0:
		return codecs.NoMatch
	}
	switch b[i] {
	case ' ', '\t', '\r', '\n':
	default:
		return codecs.NoMatch
	}
	cmd := Lookup(b[:i])
	switch {
	case cmd == nil:
		return codecs.NoMatch
	case cmd.Name == "get":
		return sniffGet(b[i:])
	}
	return codecs.Match
}

var httpVersion = []byte(" HTTP/")

// sniffGet decides an inline GET from the rest of its line.
func sniffGet(rest []byte) codecs.SniffResult {
	arg := bytes.TrimLeft(rest, " \t")
	if len(arg) > 0 && arg[0] == '/' {
		return codecs.NoMatch
	}
	nl := bytes.IndexByte(rest, '\n')
	if nl < 0 {
		return codecs.NeedMore
	}
	if bytes.Contains(rest[:nl], httpVersion) {
		return codecs.NoMatch
	}
	return codecs.Match
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-'
}

// hasCommandPrefix reports whether some command name starts with b, in
// any case. It scans the table: sniffing runs once per connection.
func hasCommandPrefix(b []byte) bool {
	for i := range commandTable {
		name := commandTable[i].Name
		if len(b) <= len(name) && equalFold(b, name[:len(b)]) {
			return true
		}
	}
	return false
}
