package httpproxy

import (
	"slices"
	"strings"
)

// domainIndex finds a route table's virtual host for a request's host
// with Envoy's precedence: an exact domain, then the longest "*suffix"
// wildcard, then the longest "prefix*" wildcard, then "*". A domain with
// a port is compared with the host as sent (port included), one without
// with the host stripped of its port. Wildcards match at least one
// character. Lookups allocate nothing for a lower-case host.
type domainIndex struct {
	exact    map[string]*vhost
	suffixes []wildcards // longest first
	prefixes []wildcards // longest first
	any      *vhost
}

// wildcards are the wildcard domains whose fixed part is n bytes long.
type wildcards struct {
	n int
	m map[string]*vhost
}

func (d *domainIndex) add(domain string, vh *vhost) {
	switch {
	case domain == "*":
		if d.any == nil {
			d.any = vh
		}
	case strings.HasPrefix(domain, "*"):
		d.suffixes = addWildcard(d.suffixes, domain[1:], vh)
	case strings.HasSuffix(domain, "*"):
		d.prefixes = addWildcard(d.prefixes, domain[:len(domain)-1], vh)
	default:
		if d.exact == nil {
			d.exact = map[string]*vhost{}
		}
		if _, dup := d.exact[domain]; !dup {
			d.exact[domain] = vh
		}
	}
}

func addWildcard(ws []wildcards, fixed string, vh *vhost) []wildcards {
	i, found := slices.BinarySearchFunc(ws, len(fixed), func(w wildcards, n int) int { return n - w.n })
	if !found {
		ws = slices.Insert(ws, i, wildcards{n: len(fixed), m: map[string]*vhost{}})
	}
	if _, dup := ws[i].m[fixed]; !dup {
		ws[i].m[fixed] = vh
	}
	return ws
}

// lookup returns the virtual host for host (lower case), or nil.
func (d *domainIndex) lookup(host string) *vhost {
	bare := stripPort(host)
	if vh := d.exact[host]; vh != nil {
		return vh
	}
	if bare != host {
		if vh := d.exact[bare]; vh != nil {
			return vh
		}
	}
	for _, w := range d.suffixes {
		if len(host) > w.n {
			if vh := w.m[host[len(host)-w.n:]]; vh != nil {
				return vh
			}
		}
		if bare != host && len(bare) > w.n {
			if vh := w.m[bare[len(bare)-w.n:]]; vh != nil {
				return vh
			}
		}
	}
	for _, w := range d.prefixes {
		if len(host) > w.n {
			if vh := w.m[host[:w.n]]; vh != nil {
				return vh
			}
		}
		if bare != host && len(bare) > w.n {
			if vh := w.m[bare[:w.n]]; vh != nil {
				return vh
			}
		}
	}
	return d.any
}

// stripPort returns host without a trailing ":port": "a.com:80" ->
// "a.com", "[::1]:80" -> "[::1]". A bare IPv6 address ("::1"), a host
// without a port or with a non-numeric one is returned as it is.
func stripPort(host string) string {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || !allDigits(host[i+1:]) {
		return host
	}
	if strings.HasPrefix(host, "[") {
		if i > 0 && host[i-1] == ']' {
			return host[:i]
		}
		return host
	}
	if strings.IndexByte(host[:i], ':') >= 0 {
		return host // an unbracketed IPv6 address
	}
	return host[:i]
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// lowerASCII lower-cases s, allocating only when it has an upper-case
// letter.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
