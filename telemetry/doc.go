// Package telemetry is Sidewire's observability layer and the only package
// that imports Prometheus. It has three parts.
//
// # Envoy-compatible stats
//
// A Store holds counters, gauges and histograms named the way Envoy names
// them. Scopes build the names:
//
//	cl := store.Root().Sub("cluster").Tagged("envoy_cluster_name", "foo")
//	cx := cl.Counter("upstream_cx_total") // cluster.foo.upstream_cx_total
//
// Literal segments (Sub) stay in the name; tagged segments (Tagged) are
// dynamic values that Prometheus output turns into labels, exactly as
// Envoy's default tag extraction does:
//
//	envoy_cluster_upstream_cx_total{envoy_cluster_name="foo"} 1
//
// Stats are created while a config is provisioned (under a mutex) and are
// never removed: asking for the same full name again returns the same
// object, so values survive config reloads. Updating a stat (Inc, Add,
// Set, Record) is a lock-free atomic with no allocation; hot stats are
// padded to a cache line each so cores do not contend on neighbours.
//
// Store.EnvoyTextHandler serves /stats (text, format=json,
// format=prometheus) and Store.PrometheusHandler serves /stats/prometheus,
// both with Envoy's usedonly, filter and type parameters. The Prometheus
// output is what Envoy prints for the same stats (family names, labels,
// ordering, "# TYPE" and blank lines, "{}" on untagged stats, histogram
// buckets) except that label values are escaped as the format requires,
// and it then appends the sidewire_* families registered in
// Store.Registry.
// Store.Lint enforces the naming conventions; packages that create stats
// call it from their tests.
//
// # Access logs
//
// An AccessLogger writes one line per finished connection or request to a
// file, in an Envoy format string (command operators such as %START_TIME%,
// %BYTES_SENT% or %UPSTREAM_HOST%) or as one JSON object per line. Lines
// are formatted into pooled buffers and appended to a per-file in-memory
// buffer under a short mutex; a background goroutine per file writes that
// buffer out at least once a second, so a slow disk never blocks the data
// path. Loggers that name the same path share one writer; the last Close
// flushes and closes the file. ReopenAccessLogs reopens every file for log
// rotation (SIGUSR1 in Envoy).
//
// # Naming conventions
//
// Stat name segments and tag names match [a-z0-9_]+; Prometheus families
// of the registry are named sidewire_*, with bounded label values. A test
// in this package scans the whole module for stat names given as string
// literals and checks them, in the spirit of CoreDNS's metric naming test.
package telemetry
