// Package harness builds and runs the real processes of the interop
// tests and load scenarios: the sidewire binary from the main module and
// peer programs from this module. It does not depend on package testing,
// so commands can use it too.
//
// Every process started here is stopped by its Stop or Kill method; the
// goroutines reading its output end when it exits.
package harness
