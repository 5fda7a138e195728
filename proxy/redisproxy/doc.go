// Package redisproxy is the runtime of Envoy's
// envoy.filters.network.redis_proxy: it speaks RESP2 and RESP3 to
// clients, routes each command by its key prefix to a cluster, shards
// keys across a cluster's hosts with its consistent-hash policy
// (RING_HASH, MAGLEV; honouring {hash tags} when enabled), and answers
// the connection commands itself.
//
// # Connections
//
// A Filter serves each downstream connection with a session.Session whose
// server codec is the connection's state (connState): decoding applies
// AUTH, HELLO, CLIENT SETNAME and QUIT exactly where the client put them,
// and each request carries the state it was decoded under (its admission,
// packed into Frame.ID, which Redis frames do not use). The router runs
// inline on the session's read goroutine (session.Config.Inline): it
// routes each command as it is decoded and queues it on its upstream
// with pool.Pipeline.SendAsync, so a client's commands reach each
// upstream in the order it sent them, with no goroutine per command. It
// never waits for a reply: the upstream connection's reader completes
// the command (exchange.Complete), which answers the stream.
//
// Writes are batched both ways with pool.Batch: the commands decoded
// from one read of the client are written upstream together once all of
// them are queued (or by the pool's writer goroutine, which coalesces
// many clients' commands, when others are already in flight), and the
// replies read together from an upstream are written to each client
// together, by the reader, with a write that does not block; only what
// a slow client's socket cannot take wakes the session's writer.
//
// HELLO is answered locally (server, version, proto, id, mode standalone,
// role master, modules) as a RESP2 array or RESP3 map. A listener whose
// protocol_version is RESP2 (the default) lets each client negotiate:
// after HELLO 3 the connection's commands go to RESP3 upstream pools, so
// replies have the shape the client asked for (go-redis v9 connects with
// HELLO 3 and CLIENT SETINFO). This goes beyond Envoy, which answers
// HELLO 3 with -NOPROTO on RESP2 listeners, and needs Redis 6 or later
// upstream for clients that ask for RESP3. A RESP3 listener speaks
// nothing else: data commands before HELLO 3, and HELLO 2, get -NOPROTO.
//
// # Routing
//
// Keyed commands go to the host their first key maps to; every other key
// must map to the same host (else -CROSSSLOT), checked by the command
// table's key positions (for commands whose keys move with their
// arguments, the first four keys). remove_prefix and key_formatter
// rewrite the keys, and the command is re-encoded; otherwise it is
// forwarded as the exact bytes it arrived as. read_command_policy sends
// read-only commands to the read cluster; request_mirror_policy copies
// keyed commands to mirror clusters, fire and forget. EVAL and friends
// route by their first key, or with no key to a random host of the
// catch-all route's cluster (else the first route's).
//
// MGET, MSET, DEL, UNLINK, EXISTS and TOUCH are split per upstream host
// and merged as Envoy merges them (fanout.go). SCAN, KEYS, DBSIZE,
// FLUSHALL, FLUSHDB and RANDOMKEY go to every shard (keyless.go): every
// host of a hashed cluster, every primary of a Redis Cluster; SCAN with
// one logical cursor carrying the shard in its top bits. Other
// keyless commands (INFO, CONFIG, CLUSTER, RESET, ...), MONITOR and
// CLIENT REPLY are refused with "unsupported command" and the connection
// keeps serving; unknown commands get Redis's own error. Upstream
// failures (dead host, op_timeout, overflow) answer only the request
// concerned with "-ERR upstream failure: ..."; the connection keeps
// serving.
//
// # Bound mode
//
// Pub/sub (pubsub.go), blocking commands (blocking.go) and transactions
// (txn.go) need an upstream connection of their own: a binding, a
// pool.BoundConn serving this client only, dialed on first need to the
// host the command maps to and kept, idle, for reuse (at most
// maxBindings per client; bindings.go). Commands go on it with SendAsync
// from the read goroutine, like shared ones, and complete on its reader,
// so the read goroutine never waits for a blocking command. While a
// binding has commands in flight, later commands to its host follow it,
// so a client's commands to one host run in the order it sent them.
// Subscribers get their messages through Session.Push. After the last
// UNSUBSCRIBE, EXEC or DISCARD the connection is back in shared mode.
// op_timeout bounds each bound command, counted from when it reaches
// the head of its binding; a blocking command gets its own timeout plus
// op_timeout instead, or no bound for a timeout of 0.
//
// # Command policy
//
// Sidewire's command policy (sidewire.io TypedStruct,
// config.RedisCommandPolicy) is enforced per route (policy.go): a
// command is refused with -NOPERM when the rules of a route its keys
// reach, or the default rules for keyless commands, deny it.
//
// # Upstreams
//
// All connections of a Filter share one pipelined pool per (host, RESP
// version), created on first use: many clients share one upstream
// connection per host. Dials go through the cluster (circuit breaker,
// connect timeout, stats, outlier detection), then AUTH with the
// cluster's RedisProtocolOptions and, for RESP3 pools, HELLO 3. Pools of
// hosts that left their cluster are closed by a periodic sweep.
//
// # Redis Cluster
//
// On an envoy.clusters.redis cluster (package rediscluster discovers its
// topology) keys go by hash slot (CRC16 of the {hash tag}, always
// honoured) to the shard owning the slot: its primary, or for read-only
// commands the node settings.read_policy picks (MASTER, PREFER_MASTER,
// REPLICA, PREFER_REPLICA, ANY; healthy nodes first). Every connection
// to such a cluster sends READONLY once after connecting. Multi-key
// commands need one slot owner for all their keys (else -CROSSSLOT);
// fan-out commands split by slot owner. With enable_redirection, MOVED
// and ASK replies are followed (redirect.go) and trigger topology
// refreshes; without it they reach the client unchanged.
//
// # Not implemented yet
//
// MONITOR, CLIENT REPLY, RESET, SELECT of another database, CONFIG,
// INFO, CLUSTER and the other keyless administrative commands. Keyless
// commands over every shard use one node of a Redis Cluster (not every
// primary), and report keys as stored (a route's remove_prefix is not
// undone). Pub/sub channels of one client live on one host. Commands
// delayed by a fault skip the bound-mode ordering (as in Envoy, they may
// overtake later commands); faults never apply to pub/sub, blocking
// commands and transactions.
// Upstream writes are coalesced as
// they come rather than after max_buffer_size_before_flush or
// buffer_flush_timeout.
//
// # Telemetry
//
// Envoy's redis.<stat_prefix>.* stats (the stat prefix tagged
// envoy_redis_prefix, the command envoy_redis_command), Sidewire's own
// redis.<stat_prefix>.{pubsub.messages, pubsub.subscriptions,
// bound_cx_active, command_policy_denied, transaction.aborted}, Envoy's
// cluster.<name>.upstream_commands.upstream_rq_time histogram (µs, one
// sample per upstream request, always kept), with enable_command_stats
// Envoy's per-cluster
// cluster.<name>.upstream_commands.<command>.{total,success,failure,latency}
// (tagged envoy_cluster_name, envoy_redis_command), and the
// sidewire_redis_commands_total{command,route,status} counter and
// sidewire_redis_command_duration_seconds{command,route} histogram, with
// bounded labels.
package redisproxy
