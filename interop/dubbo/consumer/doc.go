// Package consumer calls the interop Greeter service with a real dubbo-go
// consumer over the "dubbo" protocol, by direct URL (no registry), and
// drives it under load: a fixed call count or duration, N concurrent
// callers, optionally paced at a fixed rate, reporting successes, errors,
// which provider served each call and latency percentiles.
package consumer
