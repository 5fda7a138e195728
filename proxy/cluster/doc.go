// Package cluster runs Sidewire's upstream clusters: their hosts, priority
// levels, DNS resolution, active TCP health checks, outlier detection,
// circuit breakers and upstream connects, with Envoy's semantics and stat
// names.
//
// A Manager owns every cluster. Update diffs a new list of cluster configs
// against the running ones by name: an identical config keeps its running
// *Cluster, a changed one gets a new *Cluster (hosts whose addresses match
// keep their active health check and outlier state), a removed one is
// stopped. Get and All read an immutable map through an atomic pointer, so
// the data path never takes a lock.
//
// Each Cluster publishes an immutable load balancing state (per priority
// level: the hosts, the healthy and degraded subsets, their lb.Pickers, the
// priority loads and panic flags). Health checks, outlier detection, DNS
// and EDS updates rebuild that state off the request path and swap it in;
// Pick and Connect only read it.
//
// Priority levels follow Envoy: a level's availability is
// min(100, overprovisioning_factor * healthy / total) (factor 1.4 by
// default); level 0 takes as much load as its availability, the rest spills
// to the next levels, then to degraded hosts. A level chosen while less
// than 50% of its hosts are available (and the cluster as a whole cannot
// absorb the load) is in panic: it balances across all its hosts, healthy
// or not, and counts lb_healthy_panic.
//
// Every goroutine (DNS refresh, one health checker per host and check,
// the outlier detection sweep) belongs to a cluster and stops when the
// cluster is replaced or removed, or when the Manager is closed.
package cluster
