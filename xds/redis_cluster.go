package xds

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	redisclusterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/clusters/redis/v3"
	redisproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/redis_proxy/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sidewire/sidewire/proxy/config"
)

// customClusterType translates cluster_type; envoy.clusters.redis is the
// only custom cluster type. It reports whether out.Type was set.
func (t *translator) customClusterType(path string, ct *clusterv3.Cluster_CustomClusterType, out *config.Cluster) bool {
	p := field(path, "cluster_type")
	ext, msg, ok := t.typedConfig(p, "cluster type", ct.GetName(), ct.GetTypedConfig(), clusterTypes)
	if !ok {
		return false
	}
	if ct.GetName() != ext.name {
		// Envoy picks the factory by the config's type, which then insists
		// on its name.
		t.errs.add(field(p, "name"), "must be %q, the cluster type of %s", ext.name, ext.msgType.Descriptor().FullName())
	}
	switch ext.name {
	case redisClusterName:
		out.Type = config.RedisClusterType
		out.RedisCluster = t.redisClusterConfig(field(p, "typed_config"), msg.(*redisclusterv3.RedisClusterConfig))
	}
	return true
}

// redisClusterConfig translates envoy.clusters.redis's config.
func (t *translator) redisClusterConfig(path string, m *redisclusterv3.RedisClusterConfig) *config.RedisClusterConfig {
	out := &config.RedisClusterConfig{
		ClusterRefreshRate:           t.duration(field(path, "cluster_refresh_rate"), m.GetClusterRefreshRate(), config.DefaultRedisClusterRefreshRate),
		ClusterRefreshTimeout:        t.duration(field(path, "cluster_refresh_timeout"), m.GetClusterRefreshTimeout(), config.DefaultRedisClusterRefreshTimeout),
		RedirectRefreshInterval:      t.duration(field(path, "redirect_refresh_interval"), m.GetRedirectRefreshInterval(), config.DefaultRedisRedirectRefreshInterval),
		RedirectRefreshThreshold:     uint32Or(m.GetRedirectRefreshThreshold(), config.DefaultRedisRedirectRefreshThreshold),
		FailureRefreshThreshold:      m.GetFailureRefreshThreshold(),
		HostDegradedRefreshThreshold: m.GetHostDegradedRefreshThreshold(),
	}
	if m.GetEnableZoneDiscovery().GetValue() {
		t.errs.add(field(path, "enable_zone_discovery"), "zone discovery is not supported (it needs Valkey's INFO and a node locality)")
	}
	return out
}

// redisProtocolOptions translates the RedisProtocolOptions of
// typed_extension_protocol_options["envoy.filters.network.redis_proxy"].
func redisProtocolOptions(t *translator, path string, m proto.Message) any {
	o := m.(*redisproxyv3.RedisProtocolOptions)
	out := &config.RedisProtocolOptions{}
	out.AuthUsername, out.AuthPassword = t.upstreamAuth(path, o.GetAuthUsername(), o.GetAuthPassword())
	seen := make(map[config.Address]int, len(o.GetCredentials()))
	for i, c := range o.GetCredentials() {
		cp := index(field(path, "credentials"), i)
		var cred config.RedisCredential
		if c.GetAddress() == nil {
			t.errs.add(field(cp, "address"), "is required")
		} else {
			cred.Address = t.address(field(cp, "address"), c.GetAddress(), ipAddr)
			// Envoy silently uses the first entry of an address.
			if j, dup := seen[cred.Address]; dup {
				t.errs.add(field(cp, "address"), "%s already has credentials[%d]", cred.Address, j)
			}
			seen[cred.Address] = i
		}
		cred.AuthUsername, cred.AuthPassword = t.upstreamAuth(cp, c.GetAuthUsername(), c.GetAuthPassword())
		out.Credentials = append(out.Credentials, cred)
	}
	return out
}

// upstreamAuth reads the auth_username and auth_password of the message at
// path. An empty password means no AUTH; a username needs a password
// (Envoy would send AUTH with an empty password, which always fails).
func (t *translator) upstreamAuth(path string, user, pass *corev3.DataSource) (username, password []byte) {
	passOK := true
	if pass != nil {
		password, passOK = t.dataSource(field(path, "auth_password"), pass)
	}
	if user != nil {
		up := field(path, "auth_username")
		var ok bool
		if username, ok = t.dataSource(up, user); ok && len(username) > 0 && passOK && len(password) == 0 {
			t.errs.add(up, "needs a non-empty auth_password")
		}
	}
	return nonEmpty(username), nonEmpty(password)
}

// nonEmpty returns b, or nil when it is empty.
func nonEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
