package httpproxy

import (
	"strconv"
	"strings"
)

// gRPC status codes the proxy reads or writes.
const (
	grpcOK                = 0
	grpcCancelled         = 1
	grpcUnknown           = 2
	grpcDeadlineExceeded  = 4
	grpcPermissionDenied  = 7
	grpcResourceExhausted = 8
	grpcUnimplemented     = 12
	grpcInternal          = 13
	grpcUnavailable       = 14
	grpcUnauthenticated   = 16
)

// grpcCodeNames are the canonical names of the gRPC status codes, the
// grpc_code label values.
var grpcCodeNames = [...]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED",
}

// grpcCodeLabel names a status for metrics: its canonical name, "none"
// when the response carried none (-1), "other" for codes past 16.
func grpcCodeLabel(code int) string {
	switch {
	case code < 0:
		return "none"
	case code < len(grpcCodeNames):
		return grpcCodeNames[code]
	}
	return otherLabel
}

// grpcStatusFromHTTP maps the HTTP status of a local reply to a gRPC
// status as Envoy does (Grpc::Utility::httpToGrpcStatus).
func grpcStatusFromHTTP(status int) int {
	switch status {
	case 400:
		return grpcInternal
	case 401:
		return grpcUnauthenticated
	case 403:
		return grpcPermissionDenied
	case 404:
		return grpcUnimplemented
	case 429, 502, 503, 504:
		return grpcUnavailable
	}
	return grpcUnknown
}

// grpcMethod splits a gRPC path "/pkg.Service/Method" into service and
// method; ok is false for anything else.
func grpcMethod(path string) (service, method string, ok bool) {
	rest, found := strings.CutPrefix(path, "/")
	if !found {
		return "", "", false
	}
	service, method, found = strings.Cut(rest, "/")
	if !found || service == "" || method == "" || strings.ContainsAny(method, "/?") {
		return "", "", false
	}
	return service, method, true
}

// grpcMessageEncode percent-encodes a grpc-message value as the gRPC
// HTTP/2 protocol requires (bytes outside printable ASCII, and '%').
func grpcMessageEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '%' {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexdigits = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '%' {
			b = append(b, '%', hexdigits[c>>4], hexdigits[c&0xf])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

// statusText holds the decimal forms of the HTTP status codes, so access
// logs and stats format them without allocating.
var statusText = func() (t [600]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

func statusString(code int) string {
	if code >= 0 && code < len(statusText) {
		return statusText[code]
	}
	return strconv.Itoa(code)
}
