// Package bench is Sidewire's loopback load harness: it runs the same load
// straight at an upstream and through each proxy under comparison (Sidewire
// and baselines such as haproxy and twemproxy) in one run, and reports the
// ratios: throughput, added p50/p99 latency, proxy CPU per request and
// proxy memory.
//
// Two abstractions keep it extensible:
//
//   - A Target is how to put one proxy in front of an Upstream: Start
//     launches it and returns the Endpoint the load goes to (its listen
//     address and, for real proxies, its Process, whose CPU and memory are
//     sampled). The "direct" target starts nothing.
//   - A Scenario is how to start the upstream server(s) and how to drive
//     load at an address: a list of Cases, each a load shape (for Redis:
//     clients and pipeline depth) run once per operation (SET, GET).
//
// Every child process runs in its own process group with a parent-death
// signal, is registered with the Env that started it, and is stopped by
// Env.Close, so nothing outlives the harness, also on Ctrl-C. Every address
// is on 127.0.0.1 and every load run is bounded in requests and in time.
//
// The harness reads /proc and therefore runs on Linux only. The command is
// bench/cmd/loadtest; docs/performance.md describes the method.
package bench
