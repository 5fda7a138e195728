package xds

import (
	"net/netip"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// addrKind says which addresses a field accepts.
type addrKind int

const (
	// bindAddr is a listener or admin address: an IP literal; port 0 asks
	// the kernel for a free port.
	bindAddr addrKind = iota
	// ipEndpoint is an upstream host of a STATIC or EDS cluster: an IP
	// literal and a port.
	ipEndpoint
	// dnsEndpoint is an upstream host of a STRICT_DNS or LOGICAL_DNS
	// cluster: a host name or an IP literal, and a port.
	dnsEndpoint
	// ipAddr is an upstream address outside an endpoint list (e.g. the
	// address a credential applies to): an IP literal and a port.
	ipAddr
)

// address translates a core.v3.Address holding a TCP socket_address.
// IP literals are returned in canonical form ("::1", not "0:0::1").
func (t *translator) address(path string, a *corev3.Address, kind addrKind) config.Address {
	sa := a.GetSocketAddress()
	if sa == nil {
		t.errs.add(path, "socket_address is required")
		return config.Address{}
	}
	sp := field(path, "socket_address")
	if sa.GetProtocol() != corev3.SocketAddress_TCP {
		t.errs.add(field(sp, "protocol"), "only TCP is supported, got %s", sa.GetProtocol())
	}
	host, isIP := canonicalIP(sa.GetAddress())
	if !isIP {
		switch {
		case kind == bindAddr:
			t.errs.add(field(sp, "address"), "%q is not an IP address", host)
		case kind == ipEndpoint:
			t.errs.add(field(sp, "address"), "%q is not an IP address (use a STRICT_DNS or LOGICAL_DNS cluster for host names)", host)
		case kind == ipAddr:
			t.errs.add(field(sp, "address"), "%q is not an IP address", host)
		case !isHostname(host):
			t.errs.add(field(sp, "address"), "%q is neither an IP address nor a host name", host)
		}
	}
	port := sa.GetPortValue()
	// An unset port is reported by the validation rules; 0 is only
	// meaningful for a socket we bind.
	if sa.GetPortSpecifier() != nil && port == 0 && kind != bindAddr {
		t.errs.add(field(sp, "port_value"), "an upstream port is required")
	}
	return config.Address{Host: host, Port: port}
}

// canonicalIP returns s in canonical form ("::1", not "0:0::1") when it
// is an IP literal. The string received is kept when it is canonical
// already, the usual case, rather than making an equal one per endpoint.
func canonicalIP(s string) (string, bool) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return s, false
	}
	var buf [64]byte
	if c := ip.AppendTo(buf[:0]); string(c) != s {
		return string(c), true
	}
	return s, true
}

// isHostname reports whether s is a syntactically valid DNS name
// (letters, digits, '-' and '_' in labels of at most 63 bytes).
func isHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := range len(label) {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
