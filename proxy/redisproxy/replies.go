package redisproxy

import (
	"bytes"
	"strconv"
	"sync"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
)

// splitters frame reply elements; a ClientCodec frames one complete value
// at a time, which is exactly an element of an aggregate.
var splitters = sync.Pool{New: func() any { return redis.NewClientCodec(redis.Limits{}, codecs.Limits{}) }}

// splitArray appends the elements of raw, a complete array reply, to dst.
// Elements alias raw. It fails on anything but an array of exactly want
// elements.
func splitArray(dst [][]byte, raw []byte, want int) ([][]byte, bool) {
	if len(raw) < 4 || raw[0] != '*' {
		return dst, false
	}
	end := bytes.Index(raw, []byte("\r\n"))
	if end < 0 {
		return dst, false
	}
	n, err := strconv.Atoi(string(raw[1:end]))
	if err != nil || n != want {
		return dst, false
	}
	cc := splitters.Get().(*redis.ClientCodec)
	defer splitters.Put(cc)
	pos := end + 2
	for range n {
		_, m, err := cc.Decode(raw[pos:])
		if err != nil {
			return dst, false
		}
		dst = append(dst, raw[pos:pos+m:pos+m])
		pos += m
	}
	return dst, pos == len(raw)
}

// integerReply parses an integer reply (":<n>\r\n").
func integerReply(raw []byte) (int64, bool) {
	if len(raw) < 4 || raw[0] != ':' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw[1:len(raw)-2]), 10, 64)
	return n, err == nil
}

var okReply = []byte("+OK\r\n")

// errorReply encodes a local error text as a reply element.
func errorReply(msg string) []byte {
	if len(msg) > 0 && msg[0] == '-' {
		return redis.AppendError(nil, msg[1:])
	}
	return redis.AppendError(nil, "ERR "+msg)
}
