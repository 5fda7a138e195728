package redisproxy

import (
	"testing"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
)

// FuzzShardReplies feeds upstream replies (whatever the client codec
// frames) to the parsers that merge the shards' replies of SCAN, KEYS,
// DBSIZE and MGET. None may panic.
//
//	go test -run '^$' -fuzz FuzzShardReplies -fuzztime 30s ./proxy/redisproxy
func FuzzShardReplies(f *testing.F) {
	for _, seed := range []string{
		"*2\r\n$1\r\n0\r\n*0\r\n",
		"*2\r\n$2\r\n17\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n",
		"*2\r\n$-1\r\n*0\r\n",
		"*2\r\n:5\r\n*0\r\n",
		"*-1\r\n",
		"~2\r\n$1\r\na\r\n$1\r\nb\r\n",
		":12\r\n",
		"$-1\r\n",
		"_\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cc := redis.NewClientCodec(redis.Limits{}, codecs.Limits{})
		fr, n, err := cc.Decode(b)
		if err != nil || n <= 0 {
			return
		}
		raw := fr.Raw
		if c, keys, ok := parseScanReply(raw); ok {
			if len(keys) == 0 || keys[0] != '*' {
				t.Fatalf("parseScanReply(%q) = %d, %q", raw, c, keys)
			}
		}
		if n, body, ok := arrayBody(raw); ok && (n < 0 || len(body) > len(raw)) {
			t.Fatalf("arrayBody(%q) = %d, %q", raw, n, body)
		}
		integerReply(raw)
		splitArray(nil, raw, 3)
	})
}
