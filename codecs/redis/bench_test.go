package redis

import (
	"strings"
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

func benchDecode(b *testing.B, dec func([]byte) (codecs.Frame, int, error), wire []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		if _, _, err := dec(wire); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRequest(b *testing.B, wire []byte) {
	benchDecode(b, NewServerCodec(Limits{}, defaultCodecLimits).Decode, wire)
}

func benchReply(b *testing.B, wire string) {
	benchDecode(b, NewClientCodec(Limits{}, defaultCodecLimits).Decode, []byte(wire))
}

func BenchmarkDecodeRequestGET(b *testing.B) { benchRequest(b, cmd("GET", "user:1000:name")) }

func BenchmarkDecodeRequestSET(b *testing.B) {
	benchRequest(b, cmd("SET", "user:1000:name", strings.Repeat("v", 64), "EX", "3600"))
}

func BenchmarkDecodeRequestMGET(b *testing.B) {
	benchRequest(b, cmd("MGET", "k:1", "k:2", "k:3", "k:4", "k:5", "k:6", "k:7", "k:8", "k:9", "k:10"))
}

func BenchmarkDecodeRequestEVALSHA(b *testing.B) {
	benchRequest(b, cmd("EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff831", "2", "k1", "k2", "a1"))
}

func BenchmarkDecodeRequestInline(b *testing.B) { benchRequest(b, []byte("GET user:1000:name\r\n")) }

func BenchmarkDecodeReplyOK(b *testing.B) { benchReply(b, "+OK\r\n") }

func BenchmarkDecodeReplyBulk(b *testing.B) {
	benchReply(b, "$64\r\n"+strings.Repeat("v", 64)+"\r\n")
}

func BenchmarkDecodeReplyNull(b *testing.B) { benchReply(b, "$-1\r\n") }

func BenchmarkDecodeReplyInteger(b *testing.B) { benchReply(b, ":1234567\r\n") }

func BenchmarkDecodeReplyError(b *testing.B) { benchReply(b, "-WRONGTYPE Operation against a key\r\n") }

func BenchmarkDecodeReplyMGET(b *testing.B) {
	w := string(AppendArray(nil, 10))
	for i := range 10 {
		if i%3 == 0 {
			w += "$-1\r\n"
		} else {
			w += "$16\r\nvalue-0123456789\r\n"
		}
	}
	benchReply(b, w)
}

func BenchmarkDecodeReplyMap(b *testing.B) {
	benchReply(b, "%3\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n,1.5\r\n$2\r\nf3\r\n*2\r\n:1\r\n#t\r\n")
}

func BenchmarkDecodeReplyPush(b *testing.B) {
	benchReply(b, ">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$11\r\nhello world\r\n")
}

func BenchmarkLookup(b *testing.B) {
	b.ReportAllocs()
	name := []byte("zRangeByScore")
	for b.Loop() {
		if Lookup(name) == nil {
			b.Fatal("not found")
		}
	}
}

func BenchmarkArgs(b *testing.B) {
	raw := cmd("MGET", "k:1", "k:2", "k:3", "k:4", "k:5", "k:6", "k:7", "k:8", "k:9", "k:10")
	b.ReportAllocs()
	for b.Loop() {
		a := ArgsOf(raw)
		for _, ok := a.Next(); ok; _, ok = a.Next() {
		}
	}
}

func BenchmarkAppendCommand(b *testing.B) {
	dst := make([]byte, 0, 256)
	get, key := []byte("GET"), []byte("user:1000:name")
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendCommand(dst[:0], get, key)
	}
}
