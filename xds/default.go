package xds

import (
	"bytes"
	_ "embed"
)

//go:embed default_bootstrap.yaml
var defaultBootstrap []byte

// DefaultBootstrapYAML returns Sidewire's built-in bootstrap: admin on
// 127.0.0.1:9901, a loopback Redis proxy 16379->6379, a loopback Dubbo
// proxy 30880->20880 and loopback TCP proxies 13306->3306 (mysql) and
// 19092->9092 (kafka). The caller owns the returned bytes.
func DefaultBootstrapYAML() []byte { return bytes.Clone(defaultBootstrap) }
