package config

import (
	"errors"
	"fmt"
)

// validate checks a redis_proxy against the snapshot: it has a route,
// every cluster it names exists, its prefixes are unique (ignoring ASCII
// case when CaseInsensitive, as Envoy compares them), and a read policy
// other than MASTER reaches an envoy.clusters.redis cluster, the only kind
// it applies to. p is the filter's typed_config.
func (r *RedisProxy) validate(p string, clusters map[string]*Cluster) error {
	var errs []error
	rp := p + ".prefix_routes"
	if len(r.Routes.Routes) == 0 && r.Routes.CatchAll == nil {
		errs = append(errs, fieldErr(rp, "a redis_proxy needs routes or a catch_all_route"))
	}
	redisCluster := false
	seen := make(map[string]int, len(r.Routes.Routes))
	for i := range r.Routes.Routes {
		rt := &r.Routes.Routes[i]
		ip := fmt.Sprintf("%s.routes[%d]", rp, i)
		k := rt.Prefix
		if r.Routes.CaseInsensitive {
			k = asciiLower(k)
		}
		if j, dup := seen[k]; dup {
			errs = append(errs, fieldErr(ip+".prefix", "prefix %q is already routed by routes[%d]", rt.Prefix, j))
		} else {
			seen[k] = i
		}
		errs = append(errs, rt.validate(ip, clusters, &redisCluster))
	}
	if r.Routes.CatchAll != nil {
		errs = append(errs, r.Routes.CatchAll.validate(rp+".catch_all_route", clusters, &redisCluster))
	}
	if r.Settings.ReadPolicy != RedisReadMaster && !redisCluster {
		errs = append(errs, fieldErr(p+".settings.read_policy",
			"%s only applies to envoy.clusters.redis clusters, and this redis_proxy routes to none", r.Settings.ReadPolicy))
	}
	return errors.Join(errs...)
}

// validate checks the clusters a route names exist; it sets *redisCluster
// when one is an envoy.clusters.redis cluster.
func (rt *RedisRoute) validate(p string, clusters map[string]*Cluster, redisCluster *bool) error {
	var errs []error
	check := func(path, name string) {
		c := clusters[name]
		if c == nil {
			errs = append(errs, fieldErr(path, "unknown cluster %q", name))
			return
		}
		if c.Type == RedisClusterType {
			*redisCluster = true
		}
	}
	check(p+".cluster", rt.Cluster)
	for i, m := range rt.Mirrors {
		check(fmt.Sprintf("%s.request_mirror_policy[%d].cluster", p, i), m.Cluster)
	}
	if rt.ReadCluster != "" {
		check(p+".read_command_policy.cluster", rt.ReadCluster)
	}
	return errors.Join(errs...)
}

// validate checks a command policy's place: a redis_proxy ends its chain
// (after holds the filters after the policy, before those ahead of it),
// the chain has no other policy, and every route it names is a prefix
// route of that redis_proxy, once. p is the policy's filter.
func (cp *RedisCommandPolicy) validate(p string, before, after []NetworkFilter) error {
	var errs []error
	for i, f := range before {
		if _, ok := f.(*RedisCommandPolicy); ok {
			errs = append(errs, fieldErr(p, "the chain already has a redis command policy at filters[%d]", i))
			break
		}
	}
	var rp *RedisProxy
	if len(after) > 0 {
		rp, _ = after[len(after)-1].(*RedisProxy)
	}
	if rp == nil {
		errs = append(errs, fieldErr(p, "%s needs an %s at the end of its chain", RedisCommandPolicyFilter, RedisProxyFilter))
	}
	seen := make(map[string]int, len(cp.Routes))
	for i, r := range cp.Routes {
		pp := fmt.Sprintf("%s.typed_config.value.routes[%d].prefix", p, i)
		if j, dup := seen[r.Prefix]; dup {
			errs = append(errs, fieldErr(pp, "prefix %q already has rules in routes[%d]", r.Prefix, j))
			continue
		}
		seen[r.Prefix] = i
		if rp != nil && !rp.hasPrefixRoute(r.Prefix) {
			errs = append(errs, fieldErr(pp, "the chain's redis_proxy has no prefix route %q (spelled exactly so)", r.Prefix))
		}
	}
	return errors.Join(errs...)
}

func (r *RedisProxy) hasPrefixRoute(prefix string) bool {
	for _, rt := range r.Routes.Routes {
		if rt.Prefix == prefix {
			return true
		}
	}
	return false
}

// validateRedis checks that the envoy.clusters.redis type, its config and
// the CLUSTER_PROVIDED policy go together.
func (c *Cluster) validateRedis(p string) error {
	redis := c.Type == RedisClusterType
	switch {
	case redis && c.RedisCluster == nil:
		return fieldErr(p+".cluster_type", "envoy.clusters.redis cluster %q has no RedisClusterConfig", c.Name)
	case !redis && c.RedisCluster != nil:
		return fieldErr(p+".cluster_type", "%s cluster %q has a RedisClusterConfig", c.Type, c.Name)
	case redis != (c.LBPolicy == ClusterProvided):
		return fieldErr(p+".lb_policy", "CLUSTER_PROVIDED goes with envoy.clusters.redis clusters only, and they need it; cluster %q is %s with %s", c.Name, c.Type, c.LBPolicy)
	}
	return nil
}

// asciiLower lower-cases ASCII letters only, as Envoy does for
// case-insensitive prefixes.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
