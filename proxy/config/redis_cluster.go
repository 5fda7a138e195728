package config

import "time"

// RedisClusterConfig configures an envoy.clusters.redis cluster (Envoy's
// clusters.redis.v3.RedisClusterConfig). Such a cluster discovers its
// hosts and slot map with CLUSTER SLOTS, starting from the seeds in its
// LoadAssignment (host names resolved once, with DNSLookupFamily), and
// routes each key to the primary (or, by the redis_proxy's ReadPolicy, a
// replica) owning its slot. Upstream credentials come from the cluster's
// RedisProtocolOptions.
type RedisClusterConfig struct {
	// ClusterRefreshRate is the interval between topology refreshes
	// (default 5s); failed seed resolutions are retried at this rate too.
	ClusterRefreshRate time.Duration
	// ClusterRefreshTimeout bounds one CLUSTER SLOTS request (default 3s).
	ClusterRefreshTimeout time.Duration
	// RedirectRefreshInterval is the least time between two refreshes
	// triggered by errors (default 5s); errors in between are ignored.
	RedirectRefreshInterval time.Duration
	// RedirectRefreshThreshold is the number of MOVED/ASK redirections that
	// trigger a refresh (default 5; 0 disables).
	RedirectRefreshThreshold uint32
	// FailureRefreshThreshold is the number of upstream failures that
	// trigger a refresh (0, the default, disables).
	FailureRefreshThreshold uint32
	// HostDegradedRefreshThreshold is the number of hosts turning degraded
	// or unhealthy that trigger a refresh (0, the default, disables).
	HostDegradedRefreshThreshold uint32
}

// Envoy's RedisClusterConfig defaults.
const (
	DefaultRedisClusterRefreshRate       = 5 * time.Second
	DefaultRedisClusterRefreshTimeout    = 3 * time.Second
	DefaultRedisRedirectRefreshInterval  = 5 * time.Second
	DefaultRedisRedirectRefreshThreshold = 5
)

// RedisProtocolOptions are a cluster's upstream Redis credentials (Envoy's
// redis_proxy.v3.RedisProtocolOptions), stored in
// Cluster.ProtocolOptions[RedisProxyFilter]. Every new upstream connection
// (and an envoy.clusters.redis cluster's discovery connections) first
// sends AUTH: AUTH password, or AUTH username password when a username is
// set. A username is only set with a password.
type RedisProtocolOptions struct {
	AuthUsername []byte
	AuthPassword []byte
	// Credentials override AuthUsername and AuthPassword for the hosts at
	// their addresses; addresses are IP literals and unique.
	Credentials []RedisCredential
}

// RedisCredential is the AUTH of one upstream address.
type RedisCredential struct {
	Address      Address
	AuthUsername []byte
	AuthPassword []byte
}

// For returns the username and password to AUTH with at addr: those of
// the credential for addr, else the defaults. An empty password means no
// AUTH.
func (o *RedisProtocolOptions) For(addr Address) (username, password []byte) {
	for _, c := range o.Credentials {
		if c.Address == addr {
			return c.AuthUsername, c.AuthPassword
		}
	}
	return o.AuthUsername, o.AuthPassword
}
