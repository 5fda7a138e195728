package telemetry

import (
	"net"
	"os"
	"strconv"
	"time"
)

// op is a command operator.
type op uint8

const (
	opLiteral op = iota
	opStartTime
	opDuration
	opBytesReceived
	opBytesSent
	opDownstreamRemoteAddress
	opDownstreamRemoteAddressWithoutPort
	opDownstreamLocalAddress
	opDownstreamLocalAddressWithoutPort
	opUpstreamHost
	opUpstreamCluster
	opUpstreamLocalAddress
	opResponseFlags
	opConnectionID
	opRequestedServerName
	opConnectionTerminationDetails
	opProtocol
	opResponseCode
	opHostname
	opReq     // %REQ(X?Y)%: a request header or pseudo-header
	opResp    // %RESP(X?Y)%: a response header
	opTrailer // %TRAILER(X?Y)%: a response trailer
)

// operatorsByName lists the supported command operators.
var operatorsByName = map[string]op{
	"START_TIME":                             opStartTime,
	"DURATION":                               opDuration,
	"BYTES_RECEIVED":                         opBytesReceived,
	"BYTES_SENT":                             opBytesSent,
	"DOWNSTREAM_REMOTE_ADDRESS":              opDownstreamRemoteAddress,
	"DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT": opDownstreamRemoteAddressWithoutPort,
	"DOWNSTREAM_LOCAL_ADDRESS":               opDownstreamLocalAddress,
	"DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT":  opDownstreamLocalAddressWithoutPort,
	"UPSTREAM_HOST":                          opUpstreamHost,
	"UPSTREAM_CLUSTER":                       opUpstreamCluster,
	"UPSTREAM_LOCAL_ADDRESS":                 opUpstreamLocalAddress,
	"RESPONSE_FLAGS":                         opResponseFlags,
	"CONNECTION_ID":                          opConnectionID,
	"REQUESTED_SERVER_NAME":                  opRequestedServerName,
	"CONNECTION_TERMINATION_DETAILS":         opConnectionTerminationDetails,
	"PROTOCOL":                               opProtocol,
	"RESPONSE_CODE":                          opResponseCode,
	"HOSTNAME":                               opHostname,
}

// segment is one piece of a compiled format: literal text or an operator.
type segment struct {
	op     op
	lit    string      // opLiteral
	time   *timeFormat // opStartTime with a custom format; nil for Envoy's default
	maxLen int         // truncate the rendered value to this many bytes; 0: no limit
	// hdr and alt are the headers of opReq, opResp and opTrailer: the
	// value of hdr, else of alt (when set).
	hdr, alt headerRef
}

// hostname is resolved once; Envoy also reads it at startup.
var hostname = func() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
}()

// valueKind says how a rendered value goes into typed JSON.
type valueKind uint8

const (
	kindUnset  valueKind = iota // no value: "-" in text, null in typed JSON
	kindString                  // a JSON string
	kindNumber                  // a JSON number: the rendered bytes as they are
)

// appendValue renders s for e at the end of b. It returns kindUnset, with
// b unchanged, when the value is not set.
func (s *segment) appendValue(b []byte, e *AccessLogEntry) ([]byte, valueKind) {
	switch s.op {
	case opLiteral:
		return append(b, s.lit...), kindString
	case opStartTime:
		if e.StartTime.IsZero() {
			return b, kindUnset
		}
		if s.time == nil {
			return appendDefaultTime(b, e.StartTime.UTC()), kindString
		}
		return s.time.append(b, e.StartTime.UTC()), kindString
	case opDuration:
		return strconv.AppendInt(b, max(e.Duration, 0).Milliseconds(), 10), kindNumber
	case opBytesReceived:
		return strconv.AppendUint(b, e.BytesReceived, 10), kindNumber
	case opBytesSent:
		return strconv.AppendUint(b, e.BytesSent, 10), kindNumber
	case opDownstreamRemoteAddress:
		return appendString(b, e.DownstreamRemoteAddress)
	case opDownstreamRemoteAddressWithoutPort:
		return appendString(b, hostOnly(e.DownstreamRemoteAddress))
	case opDownstreamLocalAddress:
		return appendString(b, e.DownstreamLocalAddress)
	case opDownstreamLocalAddressWithoutPort:
		return appendString(b, hostOnly(e.DownstreamLocalAddress))
	case opUpstreamHost:
		return appendString(b, e.UpstreamHost)
	case opUpstreamCluster:
		return appendString(b, e.UpstreamCluster)
	case opUpstreamLocalAddress:
		return appendString(b, e.UpstreamLocalAddress)
	case opResponseFlags:
		// Envoy prints "-" for "no flags", in JSON too.
		if e.ResponseFlags == "" {
			return append(b, '-'), kindString
		}
		return append(b, e.ResponseFlags...), kindString
	case opConnectionID:
		return strconv.AppendUint(b, e.ConnectionID, 10), kindNumber
	case opRequestedServerName:
		return appendString(b, e.RequestedServerName)
	case opConnectionTerminationDetails:
		return appendString(b, e.ConnectionTerminationDetails)
	case opProtocol:
		// Envoy prints "-" when there is no protocol, in typed JSON too.
		if e.Protocol == "" {
			return append(b, '-'), kindString
		}
		return append(b, e.Protocol...), kindString
	case opResponseCode:
		// Envoy prints 0 when no response code was set (TCP).
		if e.ResponseCode == "" {
			return append(b, '0'), kindNumber
		}
		if isDigits(e.ResponseCode) {
			return append(b, e.ResponseCode...), kindNumber
		}
		return append(b, e.ResponseCode...), kindString
	case opHostname:
		return appendString(b, hostname)
	case opReq, opResp, opTrailer:
		v, ok := s.headerValue(e)
		if !ok {
			return b, kindUnset
		}
		return append(b, v...), kindString
	}
	return b, kindUnset
}

func appendString(b []byte, s string) ([]byte, valueKind) {
	if s == "" {
		return b, kindUnset
	}
	return append(b, s...), kindString
}

// hostOnly strips the port from "ip:port" or "[ipv6]:port" without
// allocating; anything else is returned as it is.
func hostOnly(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

func isDigits(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendText renders s as it goes into a text line or a JSON string: the
// value, truncated to maxLen, or "-" when unset.
func (s *segment) appendText(b []byte, e *AccessLogEntry) []byte {
	start := len(b)
	b, kind := s.appendValue(b, e)
	if kind == kindUnset {
		return append(b, '-')
	}
	if s.maxLen > 0 && len(b)-start > s.maxLen {
		b = b[:start+s.maxLen]
	}
	return b
}

// appendDefaultTime prints Envoy's default START_TIME format,
// %Y-%m-%dT%H:%M:%E3SZ (2016-04-15T20:17:00.310Z). It is what
// t.AppendFormat("2006-01-02T15:04:05.000Z") prints, at a third of the
// cost.
func appendDefaultTime(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	b = appendPadded(b, year, 4)
	b = append(b, '-')
	b = appendPadded(b, int(month), 2)
	b = append(b, '-')
	b = appendPadded(b, day, 2)
	b = append(b, 'T')
	b = appendPadded(b, hour, 2)
	b = append(b, ':')
	b = appendPadded(b, minute, 2)
	b = append(b, ':')
	b = appendPadded(b, sec, 2)
	b = append(b, '.')
	b = appendPadded(b, t.Nanosecond()/1e6, 3)
	return append(b, 'Z')
}
