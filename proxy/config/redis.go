package config

import "time"

// RedisProxyFilter is the Envoy name of the Redis proxy filter; it also
// keys a cluster's RedisProtocolOptions in Cluster.ProtocolOptions.
const RedisProxyFilter = "envoy.filters.network.redis_proxy"

// RedisProxy speaks RESP to clients and routes each command by its key to
// an upstream cluster (Envoy's redis_proxy.v3.RedisProxy). Command names
// anywhere in it are upper case.
type RedisProxy struct {
	// StatPrefix roots the filter's stats: redis.<StatPrefix>.*.
	StatPrefix string
	Settings   RedisSettings
	// LatencyInMicros records downstream command latency in microseconds
	// instead of milliseconds.
	LatencyInMicros bool
	Routes          RedisPrefixRoutes
	// DownstreamAuthPasswords, when not empty, make clients AUTH with one
	// of them before any other command (Envoy's deprecated
	// downstream_auth_password first, then downstream_auth_passwords).
	// None is empty.
	DownstreamAuthPasswords [][]byte
	// DownstreamAuthUsername, when set, makes clients use the two-argument
	// AUTH username password; DownstreamAuthPasswords is then not empty.
	// A one-argument AUTH is checked against the passwords only, and the
	// username "default" matches when no username is configured.
	DownstreamAuthUsername []byte
	// Faults are tried as Envoy does: the faults listing the command, in
	// order, then those listing no command; the first whose cumulative
	// Fraction exceeds one uniform draw applies. At most one fault
	// applies to a command.
	Faults []RedisFault
	// CustomCommands are extra commands (e.g. of Redis modules) proxied
	// like simple commands: the first argument is the key that routes them.
	CustomCommands []string
	// ProtocolVersion is the RESP version spoken on both sides. With RESP2
	// a client's HELLO 3 gets -NOPROTO; with RESP3 clients must send
	// HELLO 3 before any command but AUTH, HELLO and QUIT, and every
	// upstream connection starts with HELLO 3.
	ProtocolVersion RedisProtocolVersion
}

var _ NetworkFilter = (*RedisProxy)(nil)

// FilterName implements NetworkFilter.
func (*RedisProxy) FilterName() string { return RedisProxyFilter }

// Terminal implements NetworkFilter.
func (*RedisProxy) Terminal() bool { return true }

// RedisSettings are the upstream connection pool settings (Envoy's
// RedisProxy.ConnPoolSettings).
type RedisSettings struct {
	// OpTimeout bounds the wait for each response once a command is
	// written upstream; every response received restarts the timer. It is
	// always positive (Envoy requires it).
	OpTimeout time.Duration
	// EnableHashtagging hashes only the {tag} part of a key, as Redis
	// Cluster does, so keys sharing a tag reach the same upstream.
	EnableHashtagging bool
	// EnableRedirection follows MOVED and ASK errors to the host they name;
	// a command that cannot be redirected gets the original error.
	EnableRedirection bool
	// MaxBufferSizeBeforeFlush batches commands to an upstream until this
	// many bytes are buffered or BufferFlushTimeout passes; 0 writes each
	// command at once.
	MaxBufferSizeBeforeFlush uint32
	// BufferFlushTimeout is 3ms by default when MaxBufferSizeBeforeFlush
	// is set, 0 otherwise.
	BufferFlushTimeout time.Duration
	// MaxUpstreamUnknownConnections caps the connections a cluster's pool
	// may hold to hosts learned from redirections (default 100).
	MaxUpstreamUnknownConnections uint32
	// EnableCommandStats adds per-command stats per upstream cluster.
	EnableCommandStats bool
	// ReadPolicy picks primaries or replicas for read commands on
	// envoy.clusters.redis clusters.
	ReadPolicy RedisReadPolicy
	// ConnectionRateLimit caps reconnections per second to each upstream
	// cluster (a token bucket); 0 means no limit.
	ConnectionRateLimit uint32
}

// Default Redis connection pool settings (Envoy's).
const (
	DefaultRedisBufferFlushTimeout            = 3 * time.Millisecond
	DefaultRedisMaxUpstreamUnknownConnections = 100
)

// RedisReadPolicy says where read commands go in a Redis Cluster.
type RedisReadPolicy int

// Read policies (Envoy's ConnPoolSettings.ReadPolicy). Replicas may return
// stale data: replication is asynchronous.
const (
	// RedisReadMaster reads from the primary (the default).
	RedisReadMaster RedisReadPolicy = iota
	// RedisReadPreferMaster reads from the primary, or a replica when the
	// primary is unavailable.
	RedisReadPreferMaster
	// RedisReadReplica reads from a random replica, healthy ones first.
	RedisReadReplica
	// RedisReadPreferReplica reads from a replica, or the primary when no
	// replica is available.
	RedisReadPreferReplica
	// RedisReadAny reads from any node of the shard, healthy ones first.
	RedisReadAny
)

func (p RedisReadPolicy) String() string {
	switch p {
	case RedisReadMaster:
		return "MASTER"
	case RedisReadPreferMaster:
		return "PREFER_MASTER"
	case RedisReadReplica:
		return "REPLICA"
	case RedisReadPreferReplica:
		return "PREFER_REPLICA"
	case RedisReadAny:
		return "ANY"
	}
	return "UNKNOWN"
}

// RedisPrefixRoutes routes commands by key prefix (Envoy's
// RedisProxy.PrefixRoutes).
type RedisPrefixRoutes struct {
	// CaseInsensitive matches prefixes ignoring ASCII case.
	CaseInsensitive bool
	// Routes are matched by the longest prefix of the key; prefixes are
	// unique (ignoring case when CaseInsensitive).
	Routes []RedisRoute
	// CatchAll takes keys no prefix matches; nil means those commands fail
	// with "no upstream host". Its Prefix is empty and RemovePrefix false.
	CatchAll *RedisRoute
}

// RedisRoute sends the commands of matching keys to a cluster.
type RedisRoute struct {
	Prefix string
	// RemovePrefix strips Prefix from the key before forwarding.
	RemovePrefix bool
	Cluster      string
	// KeyFormatter, when set, rewrites the key (after RemovePrefix):
	// every %KEY% is replaced by the key, the rest is literal text. It
	// holds at least one %KEY% and no other % operator.
	KeyFormatter string
	// Mirrors copy commands to other clusters, fire and forget.
	Mirrors []RedisMirror
	// ReadCluster, when set, takes the route's read commands instead of
	// Cluster (Envoy's read_command_policy).
	ReadCluster string
}

// RedisMirror copies a route's commands to another cluster without
// waiting for its responses (Envoy's RequestMirrorPolicy).
type RedisMirror struct {
	Cluster string
	// Fraction of commands mirrored, in [0, 1]; 1 when Envoy's
	// runtime_fraction is unset.
	Fraction float64
	// ExcludeReadCommands mirrors write commands only.
	ExcludeReadCommands bool
}

// RedisFaultType is what a fault does.
type RedisFaultType int

// Fault types (Envoy's RedisFault.RedisFaultType).
const (
	// RedisFaultDelay delays the command by Delay.
	RedisFaultDelay RedisFaultType = iota
	// RedisFaultError answers the command with an error, after Delay.
	RedisFaultError
)

func (f RedisFaultType) String() string {
	switch f {
	case RedisFaultDelay:
		return "DELAY"
	case RedisFaultError:
		return "ERROR"
	}
	return "UNKNOWN"
}

// RedisFault injects a delay or an error into a fraction of commands.
type RedisFault struct {
	Type RedisFaultType
	// Fraction of matching commands the fault applies to, in [0, 1]
	// (fault_enabled.default_value: numerator over denominator).
	Fraction float64
	Delay    time.Duration
	// Commands the fault is limited to; empty means every command but
	// AUTH and PING.
	Commands []string
}

// RedisProtocolVersion is the RESP version a Redis proxy speaks.
type RedisProtocolVersion int

// RESP versions (Envoy's RedisProxy.ProtocolVersion).
const (
	RESP2 RedisProtocolVersion = iota
	RESP3
)

func (v RedisProtocolVersion) String() string {
	switch v {
	case RESP2:
		return "RESP2"
	case RESP3:
		return "RESP3"
	}
	return "UNKNOWN"
}
