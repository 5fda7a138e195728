// Package lb holds Sidewire's load balancing pickers: pure, immutable
// functions from a request (optionally carrying a hash) to an index into the
// host slice a picker was built from. Pickers open no connections and start
// no goroutines; package cluster rebuilds them off the request path whenever
// a priority level's membership or health changes and swaps them in
// atomically.
//
// The policies follow Envoy's semantics:
//
//   - ROUND_ROBIN: strict rotation for equal weights; otherwise a precomputed
//     earliest-deadline-first schedule, so hosts are interleaved smoothly.
//     A pick is one atomic add and a slice index.
//   - LEAST_REQUEST: power of N choices (default 2) on active requests. With
//     unequal weights candidates are drawn in proportion to weight and
//     compared by active^bias / weight (Envoy's active_request_bias,
//     default 1), so idle hosts receive traffic exactly in proportion to
//     their weights and busy hosts are avoided relative to their capacity.
//   - RANDOM: weighted random with an alias table (O(1) per pick).
//   - RING_HASH: ketama-style ring sized within [min, max] (defaults 1024
//     and 8M) in proportion to weights; hosts hashed with xxHash64 of
//     "key_i"; lookup by binary search.
//   - MAGLEV: Maglev lookup table (default 65537 entries, prime), weighted
//     by letting a host take a slot only every max/weight rounds; removing
//     one of N hosts moves about 1/N of the keys.
//
// Hash policies without a hash pick a random entry. Every Pick is safe for
// concurrent use and allocates nothing.
package lb
