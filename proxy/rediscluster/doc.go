// Package rediscluster is the runtime of Envoy's envoy.clusters.redis
// cluster type: a Redis Cluster whose topology Sidewire discovers itself.
//
// # Discovery
//
// A Discovery is the cluster.Provider of such a cluster (registered for
// config.RedisClusterType in init). It asks one node for CLUSTER SLOTS
// (RESP2; AUTH first with the cluster's RedisProtocolOptions for that
// node's address), trying the nodes it knows in random order and then the
// seeds of the cluster's load_assignment (host names resolved with its
// dns_lookup_family). Every primary and replica it learns becomes a
// cluster.Host, so connects, circuit breakers, stats, health checks and
// outlier detection apply to them as to any host; nodes that leave the
// topology leave the cluster.
//
// It refreshes every cluster_refresh_rate, each attempt bounded by
// cluster_refresh_timeout, and sooner when asked: redirections (Redirected)
// reaching redirect_refresh_threshold, upstream failures (Failed) reaching
// failure_refresh_threshold, or hosts turning degraded or unhealthy
// reaching host_degraded_refresh_threshold; triggered refreshes are at
// least redirect_refresh_interval apart.
//
// # Slot table
//
// Each refresh publishes an immutable Table (the 16384 slots, each
// mapped to its shard: primary and replicas) with an atomic pointer, so
// the data path reads it without locks. Slot computes a key's hash slot
// (CRC16/XMODEM of its {hash tag}, which Redis Cluster always honours).
//
// # Stats
//
// The cluster's update_attempt, update_success, update_failure and
// membership stats count discoveries; cluster.<name>.redis_cluster.*
// holds Envoy's max_upstream_unknown_connections_reached and
// upstream_cx_drained, which the redis_proxy counts.
package rediscluster
