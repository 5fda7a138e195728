package dubbo_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidewire/sidewire/interop/dubbo/consumer"
)

// TestSidewireRepliesMatchRequests sends 5000 calls with distinct
// arguments from 16 callers, across version routes to both providers, so
// requests from the consumer's connections share each upstream connection
// under rewritten ids: every reply must be the one for its own request.
func TestSidewireRepliesMatchRequests(t *testing.T) {
	s, addr, _, _ := routingProxy(t)
	clients := map[string]*consumer.Client{
		"v1": dial(t, addr, "v1", "", 5*time.Second),
		"v2": dial(t, addr, "v2", "", 5*time.Second),
	}
	var seq atomic.Int64
	call := func(ctx context.Context) (string, error) {
		i := seq.Add(1)
		want := "v1"
		if i%2 == 0 {
			want = "v2"
		}
		name := fmt.Sprintf("caller-%d", i)
		label, text, err := clients[want].Greet(ctx, name, nil)
		switch {
		case err != nil:
			return "", err
		case label != want || text != "hello, "+name:
			return "", fmt.Errorf("request %q for %s answered %q by %s", name, want, text, label)
		}
		return label, nil
	}
	rep, err := consumer.Run(context.Background(), consumer.Spec{Calls: 5000, Concurrency: 16}, call)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK != 5000 || rep.ByProvider["v1"] != 2500 || rep.ByProvider["v2"] != 2500 {
		t.Errorf("%d of 5000 ok, by provider %v, errors %v", rep.OK, rep.ByProvider, rep.ErrorKinds)
	}
	if n, err := s.Stat("dubbo.dubbo_in.response_success"); err != nil || n < 5000 {
		t.Errorf("dubbo.dubbo_in.response_success = %d (%v); want at least 5000", n, err)
	}
}
