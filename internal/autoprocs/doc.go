// Package autoprocs sizes GOMAXPROCS to the load.
//
// A proxy that runs as a sidecar shares its cores with the application.
// Every P (GOMAXPROCS) the Go scheduler has may wake a thread for each
// goroutine made runnable, and a thread that finds nothing spins before
// it sleeps: with more Ps than the load needs, a request-response proxy
// pays those cross-core wake-ups on every request. Measured on two cores
// (docs/performance.md, scenario redis-concurrency), one P instead of two
// cuts Sidewire's CPU per unpipelined Redis request by a fifth and leaves
// the client and server more of the machine.
//
// A Controller therefore starts with one P and adds Ps while the ones it
// has are saturated (the process uses nearly all of them) and the machine
// has an idle core for another, up to the runtime's default (the cores
// the process may use, cgroup limits included): a P with no idle core to
// run on only contends with the application. It gives one back after the
// load has stayed well below what one fewer P could carry for a while, so
// a brief lull does not undo a scale-up. Decisions use the process's CPU
// time from getrusage(2) and the machine's idle time from /proc/stat,
// sampled every Interval.
package autoprocs
