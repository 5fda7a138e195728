package redis

import (
	"testing"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/codectest"
)

var defaultCodecLimits = codecs.Limits{}.WithDefaults()

// req returns request attributes: the method, then keys.
func req(method string, keys ...string) codecs.Attributes {
	a := codecs.Attributes{Protocol: Name, Method: []byte(method)}
	for _, k := range keys {
		a.AddKey([]byte(k))
	}
	return a
}

// reply returns reply attributes with a status.
func reply(st codecs.Status) codecs.Attributes {
	return codecs.Attributes{Protocol: Name, Status: st}
}

func with(a codecs.Attributes, edit func(*codecs.Attributes)) codecs.Attributes {
	edit(&a)
	return a
}

func cmd(args ...string) []byte { return AppendCommandString(nil, args...) }

func suite() codectest.Suite {
	requestSamples := []codectest.Sample{
		{Name: "get", Wire: cmd("GET", "foo"), Kind: codecs.KindRequest, Attrs: req("GET", "foo")},
		{Name: "set", Wire: cmd("set", "foo", "bar", "EX", "10"), Kind: codecs.KindRequest, Attrs: req("set", "foo")},
		{Name: "mget", Wire: cmd("MGET", "a", "b", "c", "d", "e"), Kind: codecs.KindRequest,
			Attrs: with(req("MGET", "a", "b", "c", "d"), func(a *codecs.Attributes) { a.AddKey(nil) })},
		{Name: "mset", Wire: cmd("MSET", "a", "1", "b", "2"), Kind: codecs.KindRequest, Attrs: req("MSET", "a", "b")},
		{Name: "eval", Wire: cmd("EVAL", "return 1", "2", "k1", "k2", "arg"), Kind: codecs.KindRequest, Attrs: req("EVAL", "k1", "k2")},
		{Name: "xread", Wire: cmd("XREAD", "COUNT", "1", "STREAMS", "s1", "s2", "0", "0"), Kind: codecs.KindRequest, Attrs: req("XREAD", "s1", "s2")},
		{Name: "zunionstore", Wire: cmd("ZUNIONSTORE", "dst", "2", "z1", "z2", "WEIGHTS", "1", "2"), Kind: codecs.KindRequest,
			Attrs: req("ZUNIONSTORE", "dst", "z1", "z2")},
		{Name: "hello", Wire: cmd("HELLO", "3"), Kind: codecs.KindRequest, Attrs: req("HELLO")},
		{Name: "client setinfo", Wire: cmd("CLIENT", "SETINFO", "lib-name", "go-redis"), Kind: codecs.KindRequest,
			Attrs: with(req("CLIENT"), func(a *codecs.Attributes) { a.SetExtra(ExtraSubcommand, []byte("SETINFO")) })},
		{Name: "xgroup create", Wire: cmd("XGROUP", "CREATE", "stream", "grp", "$"), Kind: codecs.KindRequest,
			Attrs: with(req("XGROUP", "stream"), func(a *codecs.Attributes) { a.SetExtra(ExtraSubcommand, []byte("CREATE")) })},
		{Name: "subscribe", Wire: cmd("SUBSCRIBE", "news", "sport"), Kind: codecs.KindRequest,
			Attrs: with(req("SUBSCRIBE"), func(a *codecs.Attributes) { a.Topic = []byte("news") })},
		{Name: "spublish", Wire: cmd("SPUBLISH", "orders", "hi"), Kind: codecs.KindRequest,
			Attrs: with(req("SPUBLISH", "orders"), func(a *codecs.Attributes) { a.Topic = []byte("orders") })},
		{Name: "unknown command", Wire: cmd("NOSUCH", "x"), Kind: codecs.KindRequest, Attrs: req("NOSUCH")},
		{Name: "binary key", Wire: cmd("GET", "a\r\n\x00b"), Kind: codecs.KindRequest, Attrs: req("GET", "a\r\n\x00b")},
		{Name: "inline ping", Wire: []byte("PING\r\n"), Kind: codecs.KindRequest, Attrs: req("PING")},
		{Name: "inline lf only", Wire: []byte("get k\n"), Kind: codecs.KindRequest, Attrs: req("get", "k")},
		{Name: "inline quoted", Wire: []byte("SET \"a b\" 'c d'\r\n"), Kind: codecs.KindRequest, Attrs: req("SET", "a b")},
		{Name: "empty multibulk", Wire: []byte("*0\r\n"), Kind: codecs.KindOneWay, Attrs: codecs.Attributes{Protocol: Name}},
		{Name: "negative multibulk", Wire: []byte("*-1\r\n"), Kind: codecs.KindOneWay, Attrs: codecs.Attributes{Protocol: Name}},
		{Name: "blank line", Wire: []byte("  \r\n"), Kind: codecs.KindOneWay, Attrs: codecs.Attributes{Protocol: Name}},
	}
	ok, errA := reply(codecs.StatusOK), reply(codecs.StatusError)
	replySamples := []codectest.Sample{
		{Name: "simple", Wire: []byte("+OK\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "error", Wire: []byte("-ERR unknown command 'foo'\r\n"), Kind: codecs.KindResponse,
			Attrs: with(errA, func(a *codecs.Attributes) { a.SetExtra(ExtraError, []byte("ERR")) })},
		{Name: "moved", Wire: []byte("-MOVED 3999 127.0.0.1:6381\r\n"), Kind: codecs.KindResponse,
			Attrs: with(errA, func(a *codecs.Attributes) { a.SetExtra(ExtraError, []byte("MOVED")) })},
		{Name: "integer", Wire: []byte(":-1000\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "bulk", Wire: []byte("$5\r\nhe\r\no\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "empty bulk", Wire: []byte("$0\r\n\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "null bulk", Wire: []byte("$-1\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "null array", Wire: []byte("*-1\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "empty array", Wire: []byte("*0\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "mget reply", Wire: []byte("*3\r\n$1\r\na\r\n$-1\r\n$1\r\nc\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "nested", Wire: []byte("*2\r\n*2\r\n:1\r\n*1\r\n+x\r\n*0\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "exec with error", Wire: []byte("*2\r\n+OK\r\n-WRONGTYPE bad\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "map", Wire: []byte("%2\r\n+a\r\n:1\r\n$1\r\nb\r\n%1\r\n+c\r\n_\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "resp3 set", Wire: []byte("~2\r\n+a\r\n+b\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "double", Wire: []byte(",3.14e-2\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "double inf", Wire: []byte(",-inf\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "boolean", Wire: []byte("#t\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "big number", Wire: []byte("(3492890328409238509324850943850943825024385\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "null", Wire: []byte("_\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "verbatim", Wire: []byte("=15\r\ntxt:Some string\r\n"), Kind: codecs.KindResponse, Attrs: ok},
		{Name: "blob error", Wire: []byte("!21\r\nSYNTAX invalid syntax\r\n"), Kind: codecs.KindResponse,
			Attrs: with(errA, func(a *codecs.Attributes) { a.SetExtra(ExtraError, []byte("SYNTAX")) })},
		{Name: "attribute", Wire: []byte("|1\r\n+key-popularity\r\n*2\r\n$1\r\na\r\n,0.1923\r\n*2\r\n:2039123\r\n:9543892\r\n"),
			Kind: codecs.KindResponse, Attrs: ok},
		{Name: "attribute on error", Wire: []byte("|1\r\n+a\r\n+b\r\n-ERR x\r\n"), Kind: codecs.KindResponse,
			Attrs: with(errA, func(a *codecs.Attributes) { a.SetExtra(ExtraError, []byte("ERR")) })},
		{Name: "push message", Wire: []byte(">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n"), Kind: codecs.KindEvent,
			Attrs: with(ok, func(a *codecs.Attributes) { a.Method, a.Topic = []byte("message"), []byte("news") })},
		{Name: "push pmessage", Wire: []byte(">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"), Kind: codecs.KindEvent,
			Attrs: with(ok, func(a *codecs.Attributes) {
				a.Method, a.Topic = []byte("pmessage"), []byte("news")
				a.SetExtra(ExtraPattern, []byte("n*"))
			})},
		{Name: "push invalidate", Wire: []byte(">2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nkey\r\n"), Kind: codecs.KindEvent,
			Attrs: with(ok, func(a *codecs.Attributes) { a.Method = []byte("invalidate") })},
		{Name: "push subscribe", Wire: []byte(">3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n"), Kind: codecs.KindResponse,
			Attrs: with(ok, func(a *codecs.Attributes) { a.Method, a.Topic = []byte("subscribe"), []byte("news") })},
		{Name: "resp2 subscribe", Wire: []byte("*3\r\n$9\r\nsubscribe\r\n$5\r\nsport\r\n:2\r\n"), Kind: codecs.KindResponse,
			Attrs: with(ok, func(a *codecs.Attributes) { a.Method, a.Topic = []byte("subscribe"), []byte("sport") })},
		{Name: "resp2 unsubscribe all", Wire: []byte("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"), Kind: codecs.KindResponse,
			Attrs: with(ok, func(a *codecs.Attributes) { a.Method = []byte("unsubscribe") })},
	}
	return codectest.Suite{
		Codec:     New(Limits{}),
		Requests:  requestSamples,
		Responses: replySamples,
		Sniff: []codectest.SniffCase{
			{Name: "multibulk", Bytes: []byte("*1\r\n$4\r\nPING\r\n"), Want: codecs.Match},
			{Name: "multibulk set", Bytes: []byte("*3\r\n$3\r\nSET\r\n"), Want: codecs.Match},
			{Name: "multibulk 10 args", Bytes: []byte("*10\r\n$"), Want: codecs.Match},
			{Name: "inline ping", Bytes: []byte("PING\r\n"), Want: codecs.Match},
			{Name: "inline lower", Bytes: []byte("ping\n"), Want: codecs.Match},
			{Name: "inline hello", Bytes: []byte("HELLO 3\r\n"), Want: codecs.Match},
			{Name: "inline auth", Bytes: []byte("AUTH secret\r\n"), Want: codecs.Match},
			{Name: "inline get", Bytes: []byte("GET foo\r\n"), Want: codecs.Match},
			{Name: "inline get no key", Bytes: []byte("GET\r\n"), Want: codecs.Match},
			{Name: "http get", Bytes: []byte("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), Want: codecs.NoMatch},
			{Name: "http get short", Bytes: []byte("GET /"), Want: codecs.NoMatch},
			{Name: "http get absolute", Bytes: []byte("GET http://example.com/ HTTP/1.1\r\n"), Want: codecs.NoMatch},
			{Name: "http post", Bytes: []byte("POST /api HTTP/1.1\r\n"), Want: codecs.NoMatch},
			{Name: "http head", Bytes: []byte("HEAD / HTTP/1.0\r\n"), Want: codecs.NoMatch},
			{Name: "http2 preface", Bytes: []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Want: codecs.NoMatch},
			{Name: "tls", Bytes: []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), Want: codecs.NoMatch},
			{Name: "ssh", Bytes: []byte("SSH-2.0-OpenSSH_9.2\r\n"), Want: codecs.NoMatch},
			{Name: "zero count", Bytes: []byte("*0\r\n"), Want: codecs.NoMatch},
			{Name: "leading space", Bytes: []byte(" PING\r\n"), Want: codecs.NoMatch},
			{Name: "unknown word", Bytes: []byte("HELO example.com\r\n"), Want: codecs.NoMatch},
			{Name: "star prefix", Bytes: []byte("*"), Want: codecs.NeedMore},
			{Name: "name prefix", Bytes: []byte("PIN"), Want: codecs.NeedMore},
			{Name: "get line open", Bytes: []byte("GET foo"), Want: codecs.NeedMore},
		},
		Invalid: []codectest.Invalid{
			{Name: "expected dollar", Wire: []byte("*1\r\n:1\r\n"), Side: codectest.Server},
			{Name: "bad count", Wire: []byte("*x\r\n"), Side: codectest.Server},
			{Name: "negative bulk", Wire: []byte("*1\r\n$-5\r\n"), Side: codectest.Server},
			{Name: "leading zero bulk", Wire: []byte("*1\r\n$03\r\nabc\r\n"), Side: codectest.Server},
			{Name: "bulk overrun", Wire: []byte("*1\r\n$3\r\nabcde\r\n"), Side: codectest.Server},
			{Name: "cr without lf", Wire: []byte("*1\r$4\r\n"), Side: codectest.Server},
			{Name: "unbalanced quotes", Wire: []byte("SET \"a\r\n"), Side: codectest.Server},
			{Name: "quote then text", Wire: []byte("SET 'a'b c\r\n"), Side: codectest.Server},
			{Name: "count too long", Wire: []byte("*111111111111111111111111111111111111"), Side: codectest.Server},
			{Name: "reply type", Wire: []byte("?x\r\n"), Side: codectest.Client},
			{Name: "streamed array", Wire: []byte("*?\r\n:1\r\n.\r\n"), Side: codectest.Client},
			{Name: "streamed string", Wire: []byte("$?\r\n;4\r\nHell\r\n;0\r\n"), Side: codectest.Client},
			{Name: "bad integer", Wire: []byte(":12a\r\n"), Side: codectest.Client},
			{Name: "bad boolean", Wire: []byte("#x\r\n"), Side: codectest.Client},
			{Name: "bad null", Wire: []byte("_x\r\n"), Side: codectest.Client},
			{Name: "bad double", Wire: []byte(",1.2.3\r\n"), Side: codectest.Client},
			{Name: "bad big number", Wire: []byte("(12x\r\n"), Side: codectest.Client},
			{Name: "short verbatim", Wire: []byte("=3\r\ntxt\r\n"), Side: codectest.Client},
			{Name: "null map", Wire: []byte("%-1\r\n"), Side: codectest.Client},
			{Name: "bulk without crlf", Wire: []byte("$1\r\nab\r\n"), Side: codectest.Client},
			{Name: "lf in simple", Wire: []byte("+a\nb\r\n"), Side: codectest.Client},
			{Name: "nested bad", Wire: []byte("*2\r\n:1\r\n*1\r\n@\r\n"), Side: codectest.Client},
		},
	}
}

func TestConformance(t *testing.T) { codectest.Run(t, suite()) }

func BenchmarkCodec(b *testing.B) { codectest.Benchmark(b, suite()) }
