package xds

import (
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	redisproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/redis_proxy/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// redisProxy translates envoy.filters.network.redis_proxy. path is the
// filter's typed_config. Cluster references, duplicate prefixes and a
// missing route are checked by config.Snapshot.Validate.
func (t *translator) redisProxy(path string, m *redisproxyv3.RedisProxy) *config.RedisProxy {
	out := &config.RedisProxy{
		StatPrefix:      m.GetStatPrefix(),
		Settings:        t.redisSettings(field(path, "settings"), m.GetSettings()),
		LatencyInMicros: m.GetLatencyInMicros(),
		Routes:          t.redisPrefixRoutes(field(path, "prefix_routes"), m.GetPrefixRoutes()),
		CustomCommands:  t.commandNames(field(path, "custom_commands"), m.GetCustomCommands()),
	}
	switch v := m.GetProtocolVersion(); v {
	case redisproxyv3.RedisProxy_RESP2:
		out.ProtocolVersion = config.RESP2
	case redisproxyv3.RedisProxy_RESP3:
		out.ProtocolVersion = config.RESP3
	default:
		t.errs.add(field(path, "protocol_version"), "unsupported protocol version %s", v)
	}
	t.redisDownstreamAuth(path, m, out)
	for i, f := range m.GetFaults() {
		out.Faults = append(out.Faults, t.redisFault(index(field(path, "faults"), i), f))
	}
	return out
}

// redisSettings translates the connection pool settings. Settings that
// only matter together with another one are errors on their own (Envoy
// ignores them).
func (t *translator) redisSettings(path string, s *redisproxyv3.RedisProxy_ConnPoolSettings) config.RedisSettings {
	out := config.RedisSettings{
		OpTimeout:                     t.duration(field(path, "op_timeout"), s.GetOpTimeout(), 0),
		EnableHashtagging:             s.GetEnableHashtagging(),
		EnableRedirection:             s.GetEnableRedirection(),
		MaxBufferSizeBeforeFlush:      s.GetMaxBufferSizeBeforeFlush(),
		MaxUpstreamUnknownConnections: uint32Or(s.GetMaxUpstreamUnknownConnections(), config.DefaultRedisMaxUpstreamUnknownConnections),
		EnableCommandStats:            s.GetEnableCommandStats(),
		ConnectionRateLimit:           s.GetConnectionRateLimit().GetConnectionRateLimitPerSec(),
	}
	// A missing op_timeout is reported by the validation rules.
	if s.GetOpTimeout() != nil && out.OpTimeout == 0 {
		t.errs.add(field(path, "op_timeout"), "must be positive (every command would time out)")
	}
	if out.MaxBufferSizeBeforeFlush > 0 {
		out.BufferFlushTimeout = t.duration(field(path, "buffer_flush_timeout"), s.GetBufferFlushTimeout(), config.DefaultRedisBufferFlushTimeout)
	} else if s.GetBufferFlushTimeout() != nil {
		t.errs.add(field(path, "buffer_flush_timeout"), "only applies when max_buffer_size_before_flush is set")
	}
	if !out.EnableRedirection && s.GetMaxUpstreamUnknownConnections() != nil {
		t.errs.add(field(path, "max_upstream_unknown_connections"), "only applies when enable_redirection is true")
	}
	switch p := s.GetReadPolicy(); p {
	case redisproxyv3.RedisProxy_ConnPoolSettings_MASTER:
		out.ReadPolicy = config.RedisReadMaster
	case redisproxyv3.RedisProxy_ConnPoolSettings_PREFER_MASTER:
		out.ReadPolicy = config.RedisReadPreferMaster
	case redisproxyv3.RedisProxy_ConnPoolSettings_REPLICA:
		out.ReadPolicy = config.RedisReadReplica
	case redisproxyv3.RedisProxy_ConnPoolSettings_PREFER_REPLICA:
		out.ReadPolicy = config.RedisReadPreferReplica
	case redisproxyv3.RedisProxy_ConnPoolSettings_ANY:
		out.ReadPolicy = config.RedisReadAny
	default:
		// The zone-affinity policies need zone discovery, which needs
		// Valkey's INFO and a node locality: not supported.
		t.errs.add(field(path, "read_policy"), "unsupported read policy %s", p)
	}
	return out
}

// redisPrefixRoutes translates prefix_routes.
func (t *translator) redisPrefixRoutes(path string, pr *redisproxyv3.RedisProxy_PrefixRoutes) config.RedisPrefixRoutes {
	out := config.RedisPrefixRoutes{CaseInsensitive: pr.GetCaseInsensitive()}
	for i, r := range pr.GetRoutes() {
		out.Routes = append(out.Routes, t.redisRoute(index(field(path, "routes"), i), r))
	}
	if ca := pr.GetCatchAllRoute(); ca != nil {
		cp := field(path, "catch_all_route")
		// Envoy would strip a catch-all prefix from keys that do not
		// start with it.
		if ca.GetPrefix() != "" {
			t.errs.add(field(cp, "prefix"), "a catch_all_route matches every key; it has no prefix")
		}
		if ca.GetRemovePrefix() {
			t.errs.add(field(cp, "remove_prefix"), "a catch_all_route has no prefix to remove")
		}
		r := t.redisRoute(cp, ca)
		out.CatchAll = &r
	}
	return out
}

func (t *translator) redisRoute(path string, r *redisproxyv3.RedisProxy_PrefixRoutes_Route) config.RedisRoute {
	out := config.RedisRoute{
		Prefix:       r.GetPrefix(),
		RemovePrefix: r.GetRemovePrefix(),
		Cluster:      r.GetCluster(),
		KeyFormatter: r.GetKeyFormatter(),
		ReadCluster:  r.GetReadCommandPolicy().GetCluster(),
	}
	if out.KeyFormatter != "" {
		t.checkKeyFormatter(field(path, "key_formatter"), out.KeyFormatter)
	}
	for i, mp := range r.GetRequestMirrorPolicy() {
		p := index(field(path, "request_mirror_policy"), i)
		m := config.RedisMirror{
			Cluster:             mp.GetCluster(),
			Fraction:            1,
			ExcludeReadCommands: mp.GetExcludeReadCommands(),
		}
		if rf := mp.GetRuntimeFraction(); rf != nil {
			m.Fraction = t.runtimeFraction(field(p, "runtime_fraction"), rf)
		}
		out.Mirrors = append(out.Mirrors, m)
	}
	return out
}

// redisKeyOperator is the one command operator of a key_formatter.
const redisKeyOperator = "%KEY%"

// checkKeyFormatter accepts literal text around %KEY% operators. Envoy
// also evaluates its connection-level command operators in a key
// formatter; Sidewire does not, and a formatter without %KEY% would send
// every command to one key.
func (t *translator) checkKeyFormatter(path, f string) {
	if !strings.Contains(f, redisKeyOperator) {
		t.errs.add(path, "%q has no %s: every key would become the same", f, redisKeyOperator)
		return
	}
	if rest := strings.ReplaceAll(f, redisKeyOperator, ""); strings.Contains(rest, "%") {
		t.errs.add(path, "%q: only the %s operator is supported", f, redisKeyOperator)
	}
}

// redisDownstreamAuth translates the downstream AUTH settings.
func (t *translator) redisDownstreamAuth(path string, m *redisproxyv3.RedisProxy, out *config.RedisProxy) {
	add := func(p string, ds *corev3.DataSource) {
		pw, ok := t.dataSource(p, ds)
		if !ok {
			return
		}
		if len(pw) == 0 {
			// Envoy skips empty passwords silently.
			t.errs.add(p, "password is empty")
			return
		}
		out.DownstreamAuthPasswords = append(out.DownstreamAuthPasswords, pw)
	}
	if ds := m.GetDownstreamAuthPassword(); ds != nil {
		add(field(path, "downstream_auth_password"), ds)
	}
	for i, ds := range m.GetDownstreamAuthPasswords() {
		add(index(field(path, "downstream_auth_passwords"), i), ds)
	}
	if ds := m.GetDownstreamAuthUsername(); ds != nil {
		up := field(path, "downstream_auth_username")
		user, ok := t.dataSource(up, ds)
		out.DownstreamAuthUsername = user
		switch {
		case !ok:
		case len(user) == 0:
			t.errs.add(up, "username is empty")
		case m.GetDownstreamAuthPassword() == nil && len(m.GetDownstreamAuthPasswords()) == 0:
			// Envoy would refuse every AUTH.
			t.errs.add(up, "needs downstream_auth_passwords")
		}
	}
}

// redisFault translates one fault.
func (t *translator) redisFault(path string, f *redisproxyv3.RedisProxy_RedisFault) config.RedisFault {
	out := config.RedisFault{
		Delay:    t.duration(field(path, "delay"), f.GetDelay(), 0),
		Commands: t.commandNames(field(path, "commands"), f.GetCommands()),
	}
	switch ft := f.GetFaultType(); ft {
	case redisproxyv3.RedisProxy_RedisFault_DELAY:
		out.Type = config.RedisFaultDelay
	case redisproxyv3.RedisProxy_RedisFault_ERROR:
		out.Type = config.RedisFaultError
	default:
		t.errs.add(field(path, "fault_type"), "unsupported fault type %s", ft)
	}
	// A missing fault_enabled is reported by the validation rules.
	if fe := f.GetFaultEnabled(); fe != nil {
		out.Fraction = t.runtimeFraction(field(path, "fault_enabled"), fe)
	}
	return out
}

// runtimeFraction returns the default_value of a RuntimeFractionalPercent
// as a fraction in [0, 1]. Sidewire has no runtime values (static layers
// with keys are rejected), so runtime_key never overrides it, as in an
// Envoy whose runtime lacks the key.
func (t *translator) runtimeFraction(path string, rf *corev3.RuntimeFractionalPercent) float64 {
	return t.fractionalPercent(field(path, "default_value"), rf.GetDefaultValue())
}

// fractionalPercent returns numerator / denominator, capped at 1 as Envoy
// caps a numerator above its denominator.
func (t *translator) fractionalPercent(path string, fp *typev3.FractionalPercent) float64 {
	var den float64
	switch d := fp.GetDenominator(); d {
	case typev3.FractionalPercent_HUNDRED:
		den = 100
	case typev3.FractionalPercent_TEN_THOUSAND:
		den = 10_000
	case typev3.FractionalPercent_MILLION:
		den = 1_000_000
	default:
		t.errs.add(field(path, "denominator"), "unsupported denominator %s", d)
		return 0
	}
	return min(float64(fp.GetNumerator())/den, 1)
}
