package redisproxy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
)

func pubsubMsg(kind, ch string, count int) string {
	return respArray(bulk(kind), bulk(ch), fmt.Sprintf(":%d\r\n", count))
}

// A RESP2 client subscribes through the proxy, receives what a direct
// client publishes, is held to the subscribed context, unsubscribes from
// everything with argument-less commands and is back in shared mode.
func TestPubSubRESP2(t *testing.T) {
	srv := testpeer.StartRedis(t)
	p := startProxy(t, catchAll("redis"), staticCluster("redis", config.RoundRobin, srv.Addr()))
	c := dial(t, p.addr)
	direct := dial(t, srv.Addr())

	c.send("SUBSCRIBE ch1 ch2\r\n")
	if got := c.reply() + c.reply(); got != pubsubMsg("subscribe", "ch1", 1)+pubsubMsg("subscribe", "ch2", 2) {
		t.Fatalf("SUBSCRIBE confirmations %q", got)
	}
	if got := c.do("PSUBSCRIBE", "news.*"); got != pubsubMsg("psubscribe", "news.*", 3) {
		t.Fatalf("PSUBSCRIBE = %q", got)
	}
	if got := p.gauge("pubsub.subscriptions"); got != 3 {
		t.Errorf("pubsub.subscriptions = %d, want 3", got)
	}
	if got := direct.do("PUBLISH", "ch1", "hello"); got != ":1\r\n" {
		t.Fatalf("direct PUBLISH = %q", got)
	}
	if got := c.reply(); got != respArray(bulk("message"), bulk("ch1"), bulk("hello")) {
		t.Fatalf("message %q", got)
	}
	// PUBLISH through the proxy reaches the same host.
	pub := dial(t, p.addr)
	if got := pub.do("PUBLISH", "news.today", "x"); got != ":1\r\n" {
		t.Fatalf("proxied PUBLISH = %q", got)
	}
	if got := c.reply(); got != respArray(bulk("pmessage"), bulk("news.*"), bulk("news.today"), bulk("x")) {
		t.Fatalf("pmessage %q", got)
	}
	if got := c.do("GET", "k"); !strings.HasPrefix(got, "-ERR Can't execute 'get'") {
		t.Errorf("GET while subscribed = %q", got)
	}
	if got := c.do("PING"); got != respArray(bulk("pong"), bulk("")) {
		t.Errorf("PING while subscribed = %q", got)
	}
	c.send("UNSUBSCRIBE\r\n")
	got := []string{c.reply(), c.reply()}
	slices.Sort(got)
	if want := []string{pubsubMsg("unsubscribe", "ch1", 1), pubsubMsg("unsubscribe", "ch2", 2)}; !slices.Equal(got, want) &&
		!slices.Equal(got, []string{pubsubMsg("unsubscribe", "ch1", 2), pubsubMsg("unsubscribe", "ch2", 1)}) {
		t.Fatalf("UNSUBSCRIBE confirmations %q", got)
	}
	if got := c.do("PUNSUBSCRIBE"); got != pubsubMsg("punsubscribe", "news.*", 0) {
		t.Fatalf("PUNSUBSCRIBE = %q", got)
	}
	if got := c.do("SET", "k", "v"); got != "+OK\r\n" {
		t.Errorf("SET after unsubscribing = %q", got)
	}
	if got := c.do("UNSUBSCRIBE", "nope"); got != pubsubMsg("unsubscribe", "nope", 0) {
		t.Errorf("UNSUBSCRIBE with no subscriptions = %q", got)
	}
	if got := p.gauge("pubsub.subscriptions"); got != 0 {
		t.Errorf("pubsub.subscriptions = %d after unsubscribing", got)
	}
	if got := p.counter("pubsub.messages"); got != 2 {
		t.Errorf("pubsub.messages = %d, want 2", got)
	}
}

// go-redis's PubSub receives messages in order through the proxy, in
// RESP2 (arrays) and RESP3 (pushes), while other commands keep flowing.
func TestPubSubGoRedis(t *testing.T) {
	srv := testpeer.StartRedis(t)
	p := startProxy(t, catchAll("redis"), staticCluster("redis", config.RoundRobin, srv.Addr()))
	publisher := newGoRedis(t, &goredis.Options{Addr: srv.Addr()})
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c := newGoRedis(t, &goredis.Options{Addr: p.addr, Protocol: proto})
			ch := fmt.Sprintf("events%d", proto)
			sub := c.Subscribe(ctx, ch)
			defer sub.Close()
			if _, err := sub.Receive(ctx); err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			if err := sub.PSubscribe(ctx, ch+".*"); err != nil {
				t.Fatalf("psubscribe: %v", err)
			}
			const n = 200
			go func() {
				for i := range n {
					publisher.Publish(ctx, ch, fmt.Sprint(i))
				}
				publisher.Publish(ctx, ch+".end", "done")
			}()
			for i := range n {
				m, err := sub.ReceiveMessage(ctx)
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if m.Channel != ch || m.Payload != fmt.Sprint(i) {
					t.Fatalf("message %d = %s %q", i, m.Channel, m.Payload)
				}
				if i == n/2 {
					if err := c.Set(ctx, ch+":k", "v", 0).Err(); err != nil {
						t.Fatalf("SET on another connection while subscribed: %v", err)
					}
				}
			}
			m, err := sub.ReceiveMessage(ctx)
			if err != nil || m.Pattern != ch+".*" || m.Channel != ch+".end" || m.Payload != "done" {
				t.Fatalf("pmessage = %+v, %v", m, err)
			}
			if got := p.gauge("pubsub.subscriptions"); got != 2 {
				t.Errorf("pubsub.subscriptions = %d, want 2", got)
			}
			sub.Close()
			waitFor(t, "subscriptions released", func() bool { return p.gauge("pubsub.subscriptions") == 0 })
			waitFor(t, "bound connection closed", func() bool { return p.gauge("bound_cx_active") == 0 })
		})
	}
}

// SSUBSCRIBE goes to its shard channel's host, where SPUBLISH through
// the proxy reaches it; shard channels of several hosts on one
// connection are refused.
func TestShardedPubSub(t *testing.T) {
	_, addrs := startShards(t, 3)
	p := startProxy(t, catchAll("shards"), staticCluster("shards", config.Maglev, addrs...))
	hosts := map[string]string{} // host -> a channel on it
	for i := 0; len(hosts) < 3 && i < 1000; i++ {
		ch := fmt.Sprintf("sch%d", i)
		if h := p.hostOf("shards", ch); hosts[h] == "" {
			hosts[h] = ch
		}
	}
	var chans []string
	for _, ch := range hosts {
		chans = append(chans, ch)
	}
	c := dial(t, p.addr)
	if got := c.do("SSUBSCRIBE", chans[0]); got != pubsubMsg("ssubscribe", chans[0], 1) {
		t.Fatalf("SSUBSCRIBE = %q", got)
	}
	if got := c.do("SSUBSCRIBE", chans[1]); !strings.HasPrefix(got, "-CROSSSLOT") {
		t.Errorf("SSUBSCRIBE to another host = %q, want -CROSSSLOT", got)
	}
	pub := dial(t, p.addr)
	if got := pub.do("SPUBLISH", chans[0], "m"); got != ":1\r\n" {
		t.Fatalf("SPUBLISH = %q", got)
	}
	if got := c.reply(); got != respArray(bulk("smessage"), bulk(chans[0]), bulk("m")) {
		t.Fatalf("smessage %q", got)
	}
	if got := c.do("SUNSUBSCRIBE"); got != pubsubMsg("sunsubscribe", chans[0], 0) {
		t.Fatalf("SUNSUBSCRIBE = %q", got)
	}
	if got := c.do("SET", "k", "v"); got != "+OK\r\n" {
		t.Errorf("SET after unsubscribing = %q", got)
	}
}

// When the upstream of a subscribed client dies, the proxy closes the
// client connection: its subscriptions are gone, and a closed connection
// is how clients learn to subscribe again.
func TestPubSubUpstreamDies(t *testing.T) {
	srv := testpeer.StartRedis(t)
	p := startProxy(t, catchAll("redis"), staticCluster("redis", config.RoundRobin, srv.Addr()))
	c := dial(t, p.addr)
	if got := c.do("SUBSCRIBE", "ch"); got != pubsubMsg("subscribe", "ch", 1) {
		t.Fatalf("SUBSCRIBE = %q", got)
	}
	srv.Stop()
	if r, err := c.readReply(); err == nil {
		t.Fatalf("read %q from a subscribed client whose upstream died, want the connection closed", r)
	}
}
