package main

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/internal/testpeer"
)

// Envoy's redis example (envoyproxy/examples redis/envoy.yaml) runs with
// only its addresses changed, and its verify script's steps pass: SET and
// GET through redis-cli on the listener, then the stat it greps from the
// admin endpoint.
func TestEnvoyRedisExample(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/bootstrap/envoy-examples/redis.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := testpeer.StartRedis(t)
	cfg := strings.NewReplacer(
		"port_value: 1999", "port_value: 0",
		"port_value: 8001", "port_value: 0",
		"address: redis\n                port_value: 6379", "address: 127.0.0.1\n                port_value: "+strconv.Itoa(srv.Port),
	).Replace(string(raw))
	if strings.Contains(cfg, "address: redis\n") {
		t.Fatal("the example's upstream address was not localized")
	}
	p := startSidewire(t, cfg)
	_, port, err := net.SplitHostPort(onlyListener(t, p))
	if err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("redis-cli", append([]string{"-p", port}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s (install it with `apt-get install -y redis-tools`)", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	// The steps of the example's verify.sh.
	for _, kv := range [][2]string{{"foo", "FOO"}, {"bar", "BAR"}} {
		if got := cli("set", kv[0], kv[1]); got != "OK" {
			t.Fatalf("set %s = %q", kv[0], got)
		}
		if got := cli("get", kv[0]); got != kv[1] {
			t.Fatalf("get %s = %q, want %q", kv[0], got, kv[1])
		}
	}
	_, stats := p.get("/stats?usedonly&filter=redis.egress_redis.command")
	for _, want := range []string{"redis.egress_redis.command.get.total: 2", "redis.egress_redis.command.set.total: 2"} {
		if !strings.Contains(stats, want) {
			t.Errorf("stats lack %q:\n%s", want, stats)
		}
	}
}
