package httpproxy

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

// retryOn is a set of Envoy retry conditions.
type retryOn uint16

const (
	retry5xx retryOn = 1 << iota
	retryGatewayError
	retryReset
	retryConnectFailure
	retryRetriable4xx
	retryRefusedStream
	retryStatusCodes
	retryGRPCCancelled
	retryGRPCDeadlineExceeded
	retryGRPCInternal
	retryGRPCResourceExhausted
	retryGRPCUnavailable
)

var retryConditions = map[string]retryOn{
	"5xx": retry5xx, "gateway-error": retryGatewayError, "reset": retryReset,
	"connect-failure": retryConnectFailure, "retriable-4xx": retryRetriable4xx,
	"refused-stream": retryRefusedStream, "retriable-status-codes": retryStatusCodes,
	"cancelled": retryGRPCCancelled, "deadline-exceeded": retryGRPCDeadlineExceeded,
	"internal": retryGRPCInternal, "resource-exhausted": retryGRPCResourceExhausted,
	"unavailable": retryGRPCUnavailable,
}

// retryPolicy is a compiled config.HTTPRetryPolicy.
type retryPolicy struct {
	on         retryOn
	numRetries int
	perTry     time.Duration
	codes      []int
	base, max  time.Duration
}

func compileRetry(p *config.HTTPRetryPolicy) *retryPolicy {
	if p == nil {
		return nil
	}
	rp := &retryPolicy{numRetries: int(p.NumRetries), perTry: p.PerTryTimeout, base: p.BaseInterval, max: p.MaxInterval}
	for _, c := range p.RetryOn {
		rp.on |= retryConditions[c]
	}
	for _, c := range p.RetriableStatusCodes {
		rp.codes = append(rp.codes, int(c))
	}
	if rp.base <= 0 {
		rp.base = config.DefaultHTTPRetryBaseInterval
	}
	if rp.max <= 0 {
		rp.max = 10 * rp.base
	}
	return rp
}

// failure is why an upstream attempt did not produce a usable response.
type failure uint8

const (
	failNone failure = iota
	failConnect
	failReset // disconnect or reset before response headers
	failRefused
	failPerTryTimeout
	failOverflow
	failNoHealthy
	// failExchange: the exchange itself ended (route, idle or request
	// timeout, or the client went away); never retried.
	failExchange
)

// retriableFailure reports whether a failure without a response may be
// retried under p. A per-try timeout counts as a 504.
func (p *retryPolicy) retriableFailure(f failure) bool {
	if p == nil {
		return false
	}
	switch f {
	case failConnect:
		return p.on&(retry5xx|retryGatewayError|retryReset|retryConnectFailure) != 0
	case failReset:
		return p.on&(retry5xx|retryGatewayError|retryReset) != 0
	case failRefused:
		return p.on&(retry5xx|retryGatewayError|retryReset|retryRefusedStream) != 0
	case failPerTryTimeout:
		return p.on&(retry5xx|retryGatewayError) != 0
	}
	return false
}

// retriableResponse reports whether a response (status and, for gRPC,
// the grpc-status of a trailers-only response: -1 when absent) may be
// retried under p.
func (p *retryPolicy) retriableResponse(status, grpcStatus int) bool {
	if p == nil {
		return false
	}
	switch {
	case status >= 500 && p.on&retry5xx != 0:
		return true
	case (status == 502 || status == 503 || status == 504) && p.on&retryGatewayError != 0:
		return true
	case status == 409 && p.on&retryRetriable4xx != 0:
		return true
	case p.on&retryStatusCodes != 0 && slices.Contains(p.codes, status):
		return true
	}
	switch grpcStatus {
	case grpcCancelled:
		return p.on&retryGRPCCancelled != 0
	case grpcDeadlineExceeded:
		return p.on&retryGRPCDeadlineExceeded != 0
	case grpcInternal:
		return p.on&retryGRPCInternal != 0
	case grpcResourceExhausted:
		return p.on&retryGRPCResourceExhausted != 0
	case grpcUnavailable:
		return p.on&retryGRPCUnavailable != 0
	}
	return false
}

// backoff returns the wait before retry n (1 for the first retry):
// Envoy's jittered exponential back-off, uniform in
// [0, (2^n - 1) * base], capped at max.
func (p *retryPolicy) backoff(n int) time.Duration {
	ceil := p.max
	if n < 30 {
		if c := time.Duration(1<<n-1) * p.base; c > 0 && c < ceil {
			ceil = c
		}
	}
	if ceil <= 0 {
		return 0
	}
	return rand.N(ceil + 1)
}

// grpcStatusOf parses a grpc-status header value; -1 when absent or not
// a number.
func grpcStatusOf(v string) int {
	if v == "" || len(v) > 3 {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return -1
	}
	return n
}
