// Package dubbo holds the Dubbo interop tests: real dubbo-go providers
// (cmd/provider) and consumers (package consumer) talking directly and
// through the sidewire binary's envoy.filters.network.dubbo_proxy
// listener. The package itself has no code outside its tests; the load
// scenario is cmd/dubboload.
package dubbo
