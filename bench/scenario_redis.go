package bench

import (
	"context"
	"fmt"
	"strings"
)

// redisKeyspace is redis-benchmark's -r: SET/GET spread over this many keys.
const redisKeyspace = 100000

// redisShape is one redis-benchmark load shape. scale multiplies the base
// request count so that each run lasts about as long: pipelined runs are an
// order of magnitude faster, a single client several times slower.
type redisShape struct {
	clients, pipeline int
	scale             float64
}

var redisShapes = []redisShape{
	{clients: 50, pipeline: 1, scale: 1},
	{clients: 50, pipeline: 16, scale: 10},
	{clients: 1, pipeline: 1, scale: 0.2},
}

// redisCases turns the shapes into cases of redis-benchmark SET and GET.
func redisCases(opts Options) []Case {
	cases := make([]Case, 0, len(redisShapes))
	for _, s := range redisShapes {
		n := max(int(float64(opts.Requests)*s.scale), 1)
		cases = append(cases, Case{
			Name:     fmt.Sprintf("c%d-P%d", s.clients, s.pipeline),
			Detail:   fmt.Sprintf("redis-benchmark -c %d -P %d -n %d -r %d", s.clients, s.pipeline, n, redisKeyspace),
			Ops:      []string{"SET", "GET"},
			Requests: n,
			Run: func(ctx context.Context, env *Env, addr, op string, requests int) (LoadResult, error) {
				rb := redisBenchmark{
					Bin: env.Opts.RedisBenchmark, Addr: addr, Test: strings.ToLower(op),
					Clients: s.clients, Pipeline: s.pipeline, Requests: requests, Keyspace: redisKeyspace,
				}
				return rb.run(ctx, env.Opts.RunTimeout)
			},
		})
	}
	return cases
}

func init() {
	RegisterScenario(Scenario{
		Name:    "redis-tcp",
		Title:   "redis-benchmark SET/GET against redis-server, direct vs L4 proxies (twemproxy, an L7 Redis proxy, for reference)",
		Targets: []string{Direct, "sidewire-tcp", "haproxy-tcp", "twemproxy"},
		CPURef:  "haproxy-tcp",
		Subject: "sidewire-tcp",
		Start:   startRedisServer,
		Probe:   probeRedis,
		Cases:   redisCases,
		Version: redisVersions,
	})
	RegisterScenario(Scenario{
		Name:    "redis-codec",
		Title:   "redis-benchmark SET/GET against redis-server, direct vs L7 Redis proxies (haproxy, an L4 proxy that parses nothing, as the floor)",
		Targets: []string{Direct, "sidewire-redis", "twemproxy", "haproxy-tcp"},
		CPURef:  "twemproxy",
		Subject: "sidewire-redis",
		Start:   startRedisServer,
		Probe:   probeRedis,
		Cases:   redisCases,
		Version: redisVersions,
	})
	RegisterScenario(Scenario{
		Name:    "redis-concurrency",
		Title:   "redis-benchmark SET/GET through Sidewire's redis_proxy: default concurrency vs pinned to one core and to every core",
		Targets: []string{Direct, "sidewire-redis", "sidewire-redis-1core", "sidewire-redis-allcores"},
		CPURef:  "sidewire-redis-allcores",
		Subject: "sidewire-redis",
		Start:   startRedisServer,
		Probe:   probeRedis,
		Cases:   redisCases,
		Version: redisVersions,
	})
}

func redisVersions(env *Env) string {
	return toolVersion(env.Opts.RedisServer, "--version") + "; " + toolVersion(env.Opts.RedisBenchmark, "--version")
}
