package bench

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/leakcheck"
)

// requireRedisPeers fails (never skips) when a binary the Redis scenario
// drives is missing, naming the package that installs it.
func requireRedisPeers(t *testing.T, opts Options) {
	t.Helper()
	requireLinuxProc(t)
	opts.setDefaults()
	for _, bin := range []string{opts.RedisServer, opts.RedisBenchmark, opts.Haproxy, opts.Nutcracker} {
		if err := needBinary(bin); err != nil {
			t.Fatalf("the load harness test needs its real peers: %v", err)
		}
	}
}

func TestRunScenarioRedisTCP(t *testing.T) {
	leakcheck.Check(t)
	opts := Options{Requests: 2000, Reps: 2, Warmup: true}
	requireRedisPeers(t, opts)
	env := newTestEnv(t, opts)
	sc, err := LookupScenario("redis-tcp")
	if err != nil {
		t.Fatalf("LookupScenario: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := RunScenario(ctx, env, sc, nil)
	if err != nil {
		t.Fatalf("RunScenario: %v", err)
	}

	measured := map[string]bool{}
	for _, tr := range res.Targets {
		switch {
		case tr.Name == "sidewire-tcp":
			if !tr.Skipped || !strings.Contains(tr.Err, "-sidewire") {
				t.Errorf("sidewire-tcp without a binary = %+v, want skipped naming -sidewire", tr)
			}
		case tr.Err != "":
			t.Errorf("target %s failed: %s", tr.Name, tr.Err)
		default:
			measured[tr.Name] = true
			if tr.HasProc && (tr.End.RSS == 0 || tr.End.Peak < tr.End.RSS || tr.Idle.RSS == 0) {
				t.Errorf("target %s memory idle %+v end %+v, want RSS > 0 and peak >= RSS", tr.Name, tr.Idle, tr.End)
			}
		}
	}
	for _, name := range []string{Direct, "haproxy-tcp", "twemproxy"} {
		if !measured[name] {
			t.Errorf("target %s not measured", name)
		}
	}
	if res.Failed() {
		t.Errorf("Failed() = true")
	}

	for _, c := range res.Cases {
		for _, op := range c.Ops {
			rows := res.Rows(c.Name, op)
			if len(rows) != 3 {
				t.Errorf("%s %s: %d rows, want 3", c.Name, op, len(rows))
			}
			for _, r := range rows {
				if r.Samples != opts.Reps || r.RPS <= 0 || r.P99 < r.P50 || !r.HasDirect {
					t.Errorf("%s %s %s: row %+v, want %d samples, positive rate, p99 >= p50", c.Name, op, r.Target, r, opts.Reps)
				}
				if proxy := r.Target != Direct; proxy != r.HasCPU || (proxy && r.CPUPerReq <= 0) {
					t.Errorf("%s %s %s: CPU %v µs/req (has %v), want positive exactly for proxies", c.Name, op, r.Target, r.CPUPerReq, r.HasCPU)
				}
				if r.Target == "twemproxy" && !r.HasCPURatio {
					t.Errorf("%s %s: twemproxy has no CPU ratio against haproxy-tcp", c.Name, op)
				}
			}
		}
	}

	for _, s := range res.Samples {
		if s.Foreign < 0 || s.Foreign > 1 || s.Attempts != 1 || s.Load.ClientCPU <= 0 {
			t.Errorf("sample %s %s %s: foreign %v, attempts %d, client CPU %v; want a share in [0, 1], 1 attempt (no retries configured), client CPU > 0",
				s.Case, s.Op, s.Target, s.Foreign, s.Attempts, s.Load.ClientCPU)
		}
	}

	// Each repetition starts with a different target.
	first := map[int]string{}
	for _, s := range res.Samples {
		if _, ok := first[s.Rep]; !ok {
			first[s.Rep] = s.Target
		}
	}
	if first[1] == first[2] {
		t.Errorf("repetitions 1 and 2 both start with %s, want rotation", first[1])
	}

	pids := envPIDs(env)
	if err := env.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, pid := range pids {
		if !gone(pid) {
			t.Errorf("process %d still exists after Close", pid)
		}
	}
}

func TestRunScenarioFailedTargetAndCancel(t *testing.T) {
	leakcheck.Check(t)
	opts := Options{Requests: 1000, Reps: 50, Haproxy: "/nonexistent/haproxy"}
	requireRedisPeers(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel, as Ctrl-C does, once the second repetition is under way.
	opts.Log = &cancelOn{substr: " rep 2/", cancel: cancel}
	env := newTestEnv(t, opts)
	sc, err := LookupScenario("redis-tcp")
	if err != nil {
		t.Fatalf("LookupScenario: %v", err)
	}
	include := func(n string) bool { return n == Direct || n == "haproxy-tcp" || n == "twemproxy" }
	res, err := RunScenario(ctx, env, sc, include)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("RunScenario error = %v, want context.Canceled", err)
	}
	if len(res.Targets) != 3 {
		t.Fatalf("targets = %+v, want the 3 included", res.Targets)
	}
	haproxy := res.Targets[1]
	if haproxy.Name != "haproxy-tcp" || !haproxy.Failed() || !strings.Contains(haproxy.Err, "apt-get install -y haproxy") {
		t.Errorf("haproxy-tcp = %+v, want failed naming the install command", haproxy)
	}
	if !res.Failed() {
		t.Errorf("Failed() = false with a failed target")
	}
	reps := map[int]bool{}
	for _, s := range res.Samples {
		reps[s.Rep] = true
		if s.Target == "haproxy-tcp" {
			t.Errorf("sample of the failed target: %+v", s)
		}
	}
	if !reps[1] || reps[3] {
		t.Errorf("samples from repetitions %v, want 1 and at most 2 before the cancel", reps)
	}
	pids := envPIDs(env)
	if err := env.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, pid := range pids {
		if !gone(pid) {
			t.Errorf("process %d still exists after Close", pid)
		}
	}
}

func TestSidewireTCPBootstrap(t *testing.T) {
	got, err := sidewireTCPBootstrap("127.0.0.1:7001", "127.0.0.1:7002", []string{"127.0.0.1:6379", "127.0.0.1:6380"})
	if err != nil {
		t.Fatalf("sidewireTCPBootstrap: %v", err)
	}
	for _, want := range []string{
		"admin:\n  address: {socket_address: {address: 127.0.0.1, port_value: 7002}}",
		"address: {socket_address: {address: 127.0.0.1, port_value: 7001}}",
		"name: envoy.filters.network.tcp_proxy",
		`"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`,
		"cluster: upstream\n",
		"type: STATIC",
		"- endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 6379}}}",
		"- endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 6380}}}",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("bootstrap lacks %q:\n%s", want, got)
		}
	}
	if _, err := sidewireTCPBootstrap("nope", "127.0.0.1:1", nil); err == nil {
		t.Errorf("bootstrap with a bad listen address succeeded")
	}
}

func TestSidewireRedisBootstrap(t *testing.T) {
	got, err := sidewireRedisBootstrap("127.0.0.1:7001", "127.0.0.1:7002", []string{"127.0.0.1:6379"})
	if err != nil {
		t.Fatalf("sidewireRedisBootstrap: %v", err)
	}
	for _, want := range []string{
		"name: envoy.filters.network.redis_proxy",
		`"@type": type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy`,
		"settings: {op_timeout: 5s}",
		"catch_all_route: {cluster: upstream}",
		"    - filters:\n      - name: envoy.filters.network.redis_proxy\n",
		"  clusters:\n  - name: upstream\n",
		"- endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 6379}}}",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("bootstrap lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "tcp_proxy") {
		t.Errorf("redis bootstrap has a tcp_proxy filter:\n%s", got)
	}
}

func TestSidewireSkippedWithoutBinary(t *testing.T) {
	env := newTestEnv(t, Options{})
	tgt, err := LookupTarget("sidewire-tcp")
	if err != nil {
		t.Fatalf("LookupTarget: %v", err)
	}
	_, err = tgt.Start(context.Background(), env, Upstream{Protocol: "redis", Addrs: []string{"127.0.0.1:1"}})
	if !errors.Is(err, ErrSkipped) {
		t.Errorf("Start without -sidewire: error = %v, want ErrSkipped", err)
	}
}

// envPIDs lists the processes env started.
func envPIDs(env *Env) []int {
	env.mu.Lock()
	defer env.mu.Unlock()
	var pids []int
	for _, p := range env.procs {
		pids = append(pids, p.PID())
	}
	return pids
}

// cancelOn is a progress log that calls cancel at the first line holding
// substr.
type cancelOn struct {
	mu     sync.Mutex
	substr string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if strings.Contains(string(p), c.substr) {
		c.cancel()
	}
	return io.Discard.Write(p)
}
