// Package tlsctx holds the TLS material both directions of the proxy
// share: the store of SDS secrets (certificates and validation contexts
// by name, rotated in place) and the parsing and peer checks Envoy's TLS
// contexts call for. Package listener terminates TLS with it
// (DownstreamTlsContext); package cluster originates TLS to upstream
// hosts with it (UpstreamTlsContext).
package tlsctx
