// Package config is Sidewire's internal configuration IR: plain Go types that
// the rest of proxy/ builds its runtime from. It never imports Envoy protos;
// package xds translates Envoy v3 resources (from a bootstrap file or a
// control plane) into these types.
//
// A Snapshot is immutable once published: build it, call Validate, then hand
// it to the server, which swaps it in atomically. Nothing may mutate a
// Snapshot (or anything reachable from it) after Validate returns nil.
package config
