// Package admin is the admin HTTP server (Envoy's admin interface): readiness,
// stats in Envoy text and Prometheus form, config and cluster dumps, health
// check overrides, shutdown and pprof. It binds only where the bootstrap's
// admin.address says; anyone who can reach it can stop the proxy.
package admin
