package tlsctx

import (
	"crypto/x509"
	"errors"
	"net/netip"
	"strings"

	"github.com/sidewire/sidewire/proxy/config"
)

// ErrSANMismatch rejects a peer certificate no SAN matcher accepts.
var ErrSANMismatch = errors.New("verify peer certificate: no subject alternative name matches")

// MatchSANs accepts leaf when one of its SANs matches one of ms.
func MatchSANs(leaf *x509.Certificate, ms []config.SANMatch) error {
	for _, m := range ms {
		var names []string
		switch m.Type {
		case config.SANDNS:
			names = leaf.DNSNames
		case config.SANEmail:
			names = leaf.EmailAddresses
		case config.SANURI:
			for _, u := range leaf.URIs {
				names = append(names, u.String())
			}
		case config.SANIPAddress:
			for _, ip := range leaf.IPAddresses {
				if a, ok := netip.AddrFromSlice(ip); ok {
					names = append(names, a.Unmap().String())
				}
			}
		}
		for _, n := range names {
			if matchString(m.Match, n) {
				return nil
			}
		}
	}
	return ErrSANMismatch
}

// matchString applies a StringMatch (regex matchers are rejected when
// the config is translated).
func matchString(m config.StringMatch, s string) bool {
	v := m.Value
	if m.IgnoreCase {
		s, v = strings.ToLower(s), strings.ToLower(v)
	}
	switch m.Kind {
	case config.MatchExact:
		return s == v
	case config.MatchPrefix:
		return strings.HasPrefix(s, v)
	case config.MatchSuffix:
		return strings.HasSuffix(s, v)
	case config.MatchContains:
		return strings.Contains(s, v)
	}
	return false
}
