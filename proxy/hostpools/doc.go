// Package hostpools keeps a protocol proxy's connection pools, one
// member per upstream host (and whatever else the proxy keys them by),
// shared by every downstream connection of a filter. Members are made on
// first use, found lock-free afterwards, and closed by a periodic sweep
// once their host has been gone from its cluster for two sweeps in a row
// (so requests that picked the host just before it left can finish). A
// replaced or removed cluster counts as gone: its successor has new
// hosts, and so new members.
package hostpools
