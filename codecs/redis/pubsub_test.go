package redis

import (
	"fmt"
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

// TestLivePubSub subscribes on a real redis-server in RESP2 and RESP3
// and checks Responses, the confirmations (responses) and the published
// messages (events).
func TestLivePubSub(t *testing.T) {
	addr := startRedis(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			sub, pub := dial(t, addr), dial(t, addr)
			cc, pcc := NewClientCodec(Limits{}, defaultCodecLimits), NewClientCodec(Limits{}, defaultCodecLimits)
			sc := NewServerCodec(Limits{}, defaultCodecLimits)
			if proto == 3 {
				sub.do(cc, "HELLO", "3")
			}
			// send writes a command and reads the replies Responses
			// announces, which must all be responses.
			send := func(wantN int, args ...string) []codecs.Frame {
				t.Helper()
				req, _, err := sc.Decode(cmd(args...))
				if err != nil {
					t.Fatalf("%v: %v", args, err)
				}
				n := cc.Responses(&req)
				if n != wantN {
					t.Errorf("%v: Responses = %d, want %d", args, n, wantN)
				}
				sub.write(req.Raw)
				var out []codecs.Frame
				for range n {
					f := sub.frame(cc)
					if f.Kind != codecs.KindResponse {
						t.Errorf("%v: reply %q is %s, want a response", args, f.Raw, f.Kind)
					}
					out = append(out, f)
				}
				return out
			}
			// event publishes and reads the message on sub.
			event := func(publish, channel, payload, method, topic, pattern string) {
				t.Helper()
				pub.do(pcc, publish, channel, payload)
				f := sub.frame(cc)
				pat, _ := f.Attrs.Extra(ExtraPattern)
				if f.Kind != codecs.KindEvent || string(f.Attrs.Method) != method || string(f.Attrs.Topic) != topic || string(pat) != pattern {
					t.Errorf("%s %s: got %s method=%q topic=%q pattern=%q (%q), want event %s %s %q",
						publish, channel, f.Kind, f.Attrs.Method, f.Attrs.Topic, pat, f.Raw, method, topic, pattern)
				}
			}
			for i, f := range send(2, "SUBSCRIBE", "a", "b") {
				if string(f.Attrs.Method) != "subscribe" || string(f.Attrs.Topic) != []string{"a", "b"}[i] {
					t.Errorf("confirmation %d: %q", i, f.Raw)
				}
			}
			send(2, "SUBSCRIBE", "a", "c") // a again: no new subscription
			send(1, "PSUBSCRIBE", "p*")
			event("PUBLISH", "a", "hello", "message", "a", "")
			event("PUBLISH", "pz", "x", "pmessage", "pz", "p*")
			send(1, "PING")
			send(3, "UNSUBSCRIBE") // a, b, c
			send(1, "PUNSUBSCRIBE")
			send(1, "UNSUBSCRIBE") // none left: one reply with a null channel
			send(1, "SSUBSCRIBE", "sa")
			event("SPUBLISH", "sa", "m", "smessage", "sa", "")
			send(1, "SUNSUBSCRIBE")
			if f := send(1, "LPUSH", "mq", "x"); len(f) == 1 && f[0].Attrs.Status != codecs.StatusOK {
				t.Errorf("LPUSH after pub/sub: %q", f[0].Raw)
			}
			// Outside pub/sub mode an array that looks like a message is a
			// plain reply.
			send(1, "RPUSH", "mq", "news", "hi")
			if f := send(1, "LRANGE", "mq", "0", "-1"); len(f) == 1 && f[0].Attrs.Method != nil {
				t.Errorf("LRANGE reply classified as pub/sub: %q", f[0].Raw)
			}
		})
	}
}

// TestLiveTracking receives a RESP3 invalidation push.
func TestLiveTracking(t *testing.T) {
	addr := startRedis(t)
	a, b := dial(t, addr), dial(t, addr)
	cc, bcc := NewClientCodec(Limits{}, defaultCodecLimits), NewClientCodec(Limits{}, defaultCodecLimits)
	a.do(cc, "HELLO", "3")
	a.do(cc, "CLIENT", "TRACKING", "ON")
	a.do(cc, "GET", "tk")
	b.do(bcc, "SET", "tk", "v")
	f := a.frame(cc)
	if f.Kind != codecs.KindEvent || string(f.Attrs.Method) != "invalidate" {
		t.Errorf("after SET: %s %q, want an invalidate event", f.Kind, f.Raw)
	}
	if f := a.do(cc, "GET", "tk"); f.Kind != codecs.KindResponse || string(f.Raw) != "$1\r\nv\r\n" {
		t.Errorf("GET after invalidation: %s %q", f.Kind, f.Raw)
	}
}

// TestResp2MessageNeedsSubscription checks that RESP2 arrays shaped like
// messages are events only in pub/sub mode, and that RESET and HELLO 3
// leave it.
func TestResp2MessageNeedsSubscription(t *testing.T) {
	msg := []byte("*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n")
	pmsg := []byte("*4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$2\r\nab\r\n$2\r\nhi\r\n")
	kinds := func(cc *ClientCodec, in ...[]byte) []codecs.Kind {
		var out []codecs.Kind
		for _, b := range in {
			f, _, err := cc.Decode(b)
			if err != nil {
				t.Fatalf("decode %q: %v", b, err)
			}
			out = append(out, f.Kind)
		}
		return out
	}
	sub := []byte("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n")
	unsub := []byte("*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n")
	resp3 := []byte("%1\r\n$6\r\nserver\r\n$5\r\nredis\r\n")
	hello3 := []byte("%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n")
	R, E := codecs.KindResponse, codecs.KindEvent
	for _, tc := range []struct {
		name string
		in   [][]byte
		want []codecs.Kind
	}{
		{"not subscribed", [][]byte{msg, pmsg}, []codecs.Kind{R, R}},
		{"subscribed", [][]byte{sub, msg, pmsg}, []codecs.Kind{R, E, E}},
		{"unsubscribed", [][]byte{sub, unsub, msg}, []codecs.Kind{R, R, R}},
		{"reset", [][]byte{sub, resetReply, msg}, []codecs.Kind{R, R, R}},
		{"map without proto", [][]byte{resp3, sub, msg}, []codecs.Kind{R, R, E}},
		{"resp3", [][]byte{hello3, sub, msg}, []codecs.Kind{R, R, R}},
	} {
		got := kinds(NewClientCodec(Limits{}, defaultCodecLimits), tc.in...)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: kinds %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestResponses(t *testing.T) {
	cc := NewClientCodec(Limits{}, defaultCodecLimits)
	sc := NewServerCodec(Limits{}, defaultCodecLimits)
	for _, tc := range []struct {
		wire string
		want int
	}{
		{"*0\r\n", 0}, {"\r\n", 0}, {"PING\r\n", 1}, {string(cmd("GET", "k")), 1},
		{string(cmd("SUBSCRIBE", "a", "b", "c")), 3}, {string(cmd("subscribe")), 1},
		{"psubscribe a* b*\r\n", 2}, {string(cmd("SSUBSCRIBE", "x")), 1},
		{string(cmd("UNSUBSCRIBE", "a", "b")), 2}, {string(cmd("UNSUBSCRIBE")), 1},
		{string(cmd("PUNSUBSCRIBE")), 1}, {string(cmd("SUNSUBSCRIBE")), 1},
		{string(cmd("PUBLISH", "a", "b")), 1}, {string(cmd("UNSUBSCRIBEX", "a", "b")), 1},
	} {
		f, _, err := sc.Decode([]byte(tc.wire))
		if err != nil {
			t.Fatalf("%q: %v", tc.wire, err)
		}
		if got := cc.Responses(&f); got != tc.want {
			t.Errorf("Responses(%q) = %d, want %d", tc.wire, got, tc.want)
		}
	}
	// Learnt subscriptions drive the argument-less forms.
	for _, r := range []string{
		"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n",
		"*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n",
		"*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n",
		"*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n",
		"*3\r\n$10\r\nssubscribe\r\n$1\r\nx\r\n:1\r\n",
	} {
		if _, _, err := cc.Decode([]byte(r)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		want int
	}{{"UNSUBSCRIBE", 2}, {"PUNSUBSCRIBE", 1}, {"SUNSUBSCRIBE", 1}} {
		f, _, _ := sc.Decode(cmd(tc.name))
		if got := cc.Responses(&f); got != tc.want {
			t.Errorf("%s after subscribing: Responses = %d, want %d", tc.name, got, tc.want)
		}
	}
}
