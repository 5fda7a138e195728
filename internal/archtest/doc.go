// Package archtest holds tests that enforce the architecture's package
// boundaries (docs/architecture.md): which packages may import Envoy
// protos, Prometheus or the proxy runtime.
package archtest
