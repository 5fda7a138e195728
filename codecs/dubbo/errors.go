package dubbo

import (
	"unicode/utf8"

	hessian "github.com/apache/dubbo-go-hessian2"
	"github.com/apache/dubbo-go-hessian2/java_exception"
)

// maxMessageUnits caps a local error message, in UTF-16 code units, so
// it fits one hessian2 string segment.
const maxMessageUnits = 4096

// AppendErrorResponse appends a response to the request with id that
// reports an error, in the two shapes Dubbo consumers understand
// (DubboCodec.decodeBody, DecodeableRpcResult):
//
//   - status StatusOK: an OK response whose result kind is
//     RESPONSE_WITH_EXCEPTION followed by a java.lang.RuntimeException
//     carrying msg (Java's readThrowable requires a Throwable; dubbo-go
//     surfaces it as an error);
//   - any other status: the body is msg as a hessian2 string, which
//     Java and Go consumers report as the error message.
//
// The body is hessian2 whatever the request's serialization. msg is
// truncated to 4096 characters; invalid UTF-8 becomes U+FFFD.
func AppendErrorResponse(dst []byte, id uint64, status ResponseStatus, msg string) []byte {
	var body []byte
	if status == StatusOK {
		body = exceptionBody(msg)
	} else {
		body = appendString(make([]byte, 0, len(msg)+3), msg)
	}
	dst = appendHeader(dst, SerializationHessian2, status, id, len(body))
	return append(dst, body...)
}

// exceptionBody encodes RESPONSE_WITH_EXCEPTION and a RuntimeException.
func exceptionBody(msg string) []byte {
	enc := hessian.NewEncoder()
	if err := enc.Encode(int32(ResponseWithException)); err == nil {
		if err := enc.Encode(java_exception.NewRuntimeException(truncate(msg))); err == nil {
			return enc.Buffer()
		}
	}
	// Unreachable with the types above; a string is still readable by
	// dubbo-go consumers.
	return appendString([]byte{0x90 + ResponseWithException}, msg)
}

// truncate cuts msg to maxMessageUnits characters and replaces invalid
// UTF-8.
func truncate(msg string) string {
	var units int
	for i, r := range msg {
		units += utf16Len(r)
		if units > maxMessageUnits {
			msg = msg[:i]
			break
		}
	}
	if !utf8.ValidString(msg) {
		buf := make([]byte, 0, len(msg))
		for _, r := range msg {
			buf = utf8.AppendRune(buf, r)
		}
		msg = string(buf)
	}
	return msg
}

func utf16Len(r rune) int {
	if r > 0xffff {
		return 2
	}
	return 1
}

// appendString appends msg (truncated, see truncate) as one hessian2
// string segment, writing characters outside the BMP as CESU-8
// surrogate pairs like Java does.
func appendString(dst []byte, msg string) []byte {
	msg = truncate(msg)
	units := 0
	for _, r := range msg {
		units += utf16Len(r)
	}
	switch {
	case units <= 0x1f:
		dst = append(dst, byte(units))
	case units <= 0x3ff:
		dst = append(dst, 0x30+byte(units>>8), byte(units))
	default:
		dst = append(dst, 'S', byte(units>>8), byte(units))
	}
	for _, r := range msg {
		if r <= 0xffff {
			dst = utf8.AppendRune(dst, r)
			continue
		}
		r -= 0x10000
		dst = appendSurrogate(dst, 0xd800+(r>>10))
		dst = appendSurrogate(dst, 0xdc00+(r&0x3ff))
	}
	return dst
}

// appendSurrogate writes a surrogate code unit as three bytes, which
// utf8.AppendRune refuses to do.
func appendSurrogate(dst []byte, u rune) []byte {
	return append(dst, 0xe0|byte(u>>12), 0x80|byte(u>>6)&0x3f, 0x80|byte(u)&0x3f)
}
