// Package redisproxy is the runtime of Envoy's
// envoy.filters.network.redis_proxy: it routes Redis commands by key
// prefix to clusters, shards keys across a cluster's hosts with its
// consistent-hash policy (honouring {hash tags}), or follows a Redis
// Cluster's slot map, and answers the connection-level commands (PING,
// HELLO, AUTH, SELECT 0, CLIENT SETINFO) locally.
package redisproxy
