package redisproxy

import (
	"testing"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/config"
)

// FuzzRequest runs client bytes through everything the proxy parses
// before routing: admission (AUTH, HELLO, CLIENT SETNAME), the error
// texts, key positions and rewriting. None may panic.
//
//	go test -run '^$' -fuzz FuzzRequest -fuzztime 30s ./proxy/redisproxy
func FuzzRequest(f *testing.F) {
	for _, seed := range []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
		"HELLO 3 AUTH default pw SETNAME n\r\n",
		"AUTH a b\r\n",
		"CLIENT SETNAME x\r\n",
		"EVAL s 3 a b\r\n",
		"MSET a 1 b\r\n",
		"NOSUCH 'x' y\r\n",
		"OBJECT ENCODING\r\n",
		"QUIT\r\nGET k\r\n",
	} {
		f.Add([]byte(seed))
	}
	cfg := &config.RedisProxy{
		Routes: config.RedisPrefixRoutes{
			Routes:   []config.RedisRoute{{Prefix: "a", RemovePrefix: true, KeyFormatter: "{%KEY%}", Cluster: "c"}},
			CatchAll: &config.RedisRoute{Cluster: "c"},
		},
		DownstreamAuthPasswords: [][]byte{[]byte("pw")},
		CustomCommands:          []string{"JSON.GET"},
	}
	flt := &Filter{cfg: cfg, codec: redis.New(redis.Limits{}), cmds: newCommandTable(cfg.CustomCommands),
		auth: downstreamAuth{passwords: cfg.DownstreamAuthPasswords}, routes: newRouteTable(&cfg.Routes)}
	f.Fuzz(func(t *testing.T, b []byte) {
		st := newConnState(flt, 1, codecs.Limits{})
		for len(b) > 0 {
			fr, n, err := st.Decode(b)
			if err != nil {
				return
			}
			b = b[n:]
			if fr.Kind != codecs.KindRequest {
				continue
			}
			a := admissionOf(fr.ID)
			info := flt.cmds.info(a.cmd)
			unknownCommand(fr.Raw)
			parseHello(fr.Raw)
			args := redis.ArgsOf(fr.Raw)
			var c *redis.Command
			if info != nil {
				c = info.cmd
			}
			pos, _ := keyPositions(nil, c, &fr, &args)
			routes := make([]*route, len(pos))
			for i, p := range pos {
				if p <= 0 || p >= args.Len() {
					t.Fatalf("key position %d outside %d arguments", p, args.Len())
				}
				routes[i] = flt.routes.lookup(args.At(p))
			}
			out, _ := appendRewritten(nil, &args, pos, routes, nil)
			if g, _, err := redis.NewServerCodec(redis.Limits{}, codecs.Limits{}).Decode(out); err != nil || g.Kind != codecs.KindRequest && args.Len() > 0 {
				t.Fatalf("rewritten request %q does not decode: %v", out, err)
			}
		}
	})
}

// FuzzSplitArray checks the reply splitter on arbitrary upstream bytes.
func FuzzSplitArray(f *testing.F) {
	for _, seed := range []string{"*2\r\n$1\r\na\r\n$-1\r\n", "*1\r\n%1\r\n+a\r\n:1\r\n", "*0\r\n", ":5\r\n"} {
		f.Add([]byte(seed), 2)
	}
	f.Fuzz(func(t *testing.T, b []byte, want int) {
		elems, ok := splitArray(nil, b, want)
		if !ok {
			return
		}
		n := 0
		for _, e := range elems {
			n += len(e)
		}
		if len(elems) != want || n >= len(b) {
			t.Fatalf("split %q into %d elements of %d bytes", b, len(elems), n)
		}
		integerReply(b)
	})
}
