package redis

import (
	"math"
	"strconv"
)

// Proto is a RESP version, for the encoders whose output differs
// between RESP2 and RESP3. ServerCodec.Protocol tells which one a client
// speaks.
type Proto uint8

// RESP versions.
const (
	RESP2 Proto = 2
	RESP3 Proto = 3
)

// The Append encoders append one RESP element to dst and return the
// extended slice; they allocate only when dst lacks capacity. Aggregate
// headers (AppendArray, AppendMap, ...) are followed by their elements,
// appended by further calls.

func appendHeader(dst []byte, t byte, n int64) []byte {
	dst = append(dst, t)
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, '\r', '\n')
}

// AppendArray appends an array header for n elements: "*<n>\r\n".
func AppendArray(dst []byte, n int) []byte { return appendHeader(dst, '*', int64(n)) }

// AppendNullArray appends a null array: "*-1\r\n" (RESP2) or "_\r\n".
func AppendNullArray(dst []byte, p Proto) []byte {
	if p == RESP3 {
		return append(dst, "_\r\n"...)
	}
	return append(dst, "*-1\r\n"...)
}

// AppendBulk appends a bulk string: "$<len>\r\n<v>\r\n".
func AppendBulk(dst, v []byte) []byte {
	dst = appendHeader(dst, '$', int64(len(v)))
	dst = append(dst, v...)
	return append(dst, '\r', '\n')
}

// AppendBulkString is AppendBulk for a string.
func AppendBulkString(dst []byte, s string) []byte {
	dst = appendHeader(dst, '$', int64(len(s)))
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendNull appends a null reply: "$-1\r\n" (RESP2's null bulk string)
// or "_\r\n".
func AppendNull(dst []byte, p Proto) []byte {
	if p == RESP3 {
		return append(dst, "_\r\n"...)
	}
	return append(dst, "$-1\r\n"...)
}

// AppendSimple appends a simple string: "+<s>\r\n". CR and LF in s
// become spaces.
func AppendSimple(dst []byte, s string) []byte {
	dst = append(dst, '+')
	return appendLine(dst, s)
}

// AppendError appends an error reply: "-<msg>\r\n". msg starts with the
// error code, as in "ERR unknown command" or "WRONGTYPE ...". CR and LF
// in msg become spaces.
func AppendError(dst []byte, msg string) []byte {
	return appendErrorLine(dst, "", msg)
}

func appendErrorLine(dst []byte, code, msg string) []byte {
	dst = append(dst, '-')
	dst = append(dst, code...)
	return appendLine(dst, msg)
}

// appendLine appends s with CR and LF replaced by spaces, then CRLF.
func appendLine(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return append(dst, '\r', '\n')
}

// AppendInteger appends an integer: ":<v>\r\n".
func AppendInteger(dst []byte, v int64) []byte { return appendHeader(dst, ':', v) }

// AppendMap appends a map header for n key/value pairs: "%<n>\r\n", or
// in RESP2 an array of 2n elements.
func AppendMap(dst []byte, n int, p Proto) []byte {
	if p == RESP3 {
		return appendHeader(dst, '%', int64(n))
	}
	return appendHeader(dst, '*', 2*int64(n))
}

// AppendSet appends a set header: "~<n>\r\n", or an array in RESP2.
func AppendSet(dst []byte, n int, p Proto) []byte {
	if p == RESP3 {
		return appendHeader(dst, '~', int64(n))
	}
	return appendHeader(dst, '*', int64(n))
}

// AppendPush appends a push header: "><n>\r\n", or an array in RESP2
// (how RESP2 delivers pub/sub messages).
func AppendPush(dst []byte, n int, p Proto) []byte {
	if p == RESP3 {
		return appendHeader(dst, '>', int64(n))
	}
	return appendHeader(dst, '*', int64(n))
}

// AppendDouble appends a double: ",<f>\r\n", or in RESP2 a bulk string
// of the same text. Infinities are "inf" and "-inf", NaN is "nan".
func AppendDouble(dst []byte, f float64, p Proto) []byte {
	var buf [32]byte
	var s []byte
	switch {
	case math.IsInf(f, 1):
		s = append(buf[:0], "inf"...)
	case math.IsInf(f, -1):
		s = append(buf[:0], "-inf"...)
	case math.IsNaN(f):
		s = append(buf[:0], "nan"...)
	default:
		s = strconv.AppendFloat(buf[:0], f, 'g', -1, 64)
	}
	if p == RESP3 {
		dst = append(dst, ',')
		dst = append(dst, s...)
		return append(dst, '\r', '\n')
	}
	return AppendBulk(dst, s)
}

// AppendBool appends a boolean: "#t\r\n" / "#f\r\n", or in RESP2 the
// integer 1 or 0.
func AppendBool(dst []byte, v bool, p Proto) []byte {
	switch {
	case p == RESP3 && v:
		return append(dst, "#t\r\n"...)
	case p == RESP3:
		return append(dst, "#f\r\n"...)
	case v:
		return append(dst, ":1\r\n"...)
	}
	return append(dst, ":0\r\n"...)
}

// AppendBigNumber appends a big number given as decimal digits with an
// optional sign: "(<digits>\r\n", or in RESP2 a bulk string.
func AppendBigNumber(dst []byte, digits string, p Proto) []byte {
	if p == RESP3 {
		dst = append(dst, '(')
		return appendLine(dst, digits)
	}
	return AppendBulkString(dst, digits)
}

// AppendVerbatim appends a verbatim string of a three-letter format
// ("txt", "mkd"; any other is sent as "txt"): "=<len>\r\n<fmt>:<text>\r\n",
// or in RESP2 a bulk string of text.
func AppendVerbatim(dst []byte, format string, text []byte, p Proto) []byte {
	if p != RESP3 {
		return AppendBulk(dst, text)
	}
	if len(format) != 3 {
		format = "txt"
	}
	dst = appendHeader(dst, '=', int64(len(text)+4))
	dst = append(dst, format...)
	dst = append(dst, ':')
	dst = append(dst, text...)
	return append(dst, '\r', '\n')
}

// AppendCommand appends a request: an array of the arguments as bulk
// strings, the command name first.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	dst = AppendArray(dst, len(args))
	for _, a := range args {
		dst = AppendBulk(dst, a)
	}
	return dst
}

// AppendCommandString is AppendCommand for string arguments.
func AppendCommandString(dst []byte, args ...string) []byte {
	dst = AppendArray(dst, len(args))
	for _, a := range args {
		dst = AppendBulkString(dst, a)
	}
	return dst
}
