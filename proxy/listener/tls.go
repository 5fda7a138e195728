package listener

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/sidewire/sidewire/proxy/config"
)

// TLS terminates TLS for one filter chain. Static certificates are parsed
// once; SDS secrets are read from their store slots at each handshake.
// The *tls.Config handed to crypto/tls is rebuilt only when a secret it
// depends on changed. Safe for concurrent use.
type TLS struct {
	cfg    *config.DownstreamTLS
	static staticTLS
	certs  []*secretSlot
	valid  *secretSlot
	cached atomic.Pointer[builtTLS]
}

// staticTLS is what the chain's config holds inline, parsed.
type staticTLS struct {
	certs []tls.Certificate
	valid *validation
}

// builtTLS is a tls.Config and the secret values it was built from.
type builtTLS struct {
	from []*parsedSecret
	cfg  *tls.Config
}

// NewTLS prepares TLS termination for a chain. secrets may be nil when
// the context names no secrets.
func NewTLS(cfg *config.DownstreamTLS, secrets *SecretStore) (*TLS, error) {
	st, err := parseStatic(cfg)
	if err != nil {
		return nil, err
	}
	t := &TLS{cfg: cfg, static: st}
	if len(cfg.CertificateSecrets) > 0 || cfg.ValidationSecret != nil {
		if secrets == nil {
			return nil, errors.New("build tls context: secrets are named but there is no secret store")
		}
	}
	for _, r := range cfg.CertificateSecrets {
		t.certs = append(t.certs, secrets.slot(r.Name))
	}
	if cfg.ValidationSecret != nil {
		t.valid = secrets.slot(cfg.ValidationSecret.Name)
	}
	return t, nil
}

func parseStatic(cfg *config.DownstreamTLS) (staticTLS, error) {
	var st staticTLS
	for i := range cfg.Certificates {
		kp, err := parseKeyPair(&cfg.Certificates[i])
		if err != nil {
			return st, fmt.Errorf("tls_certificates[%d]: %w", i, err)
		}
		st.certs = append(st.certs, *kp)
	}
	if cfg.Validation != nil {
		v, err := parseValidation(cfg.Validation)
		if err != nil {
			return st, fmt.Errorf("validation_context: %w", err)
		}
		st.valid = v
	}
	return st, nil
}

// ServerConfig returns the tls.Config for a new handshake: static parts
// plus the current value of every secret. It fails while a named secret
// is missing.
func (t *TLS) ServerConfig() (*tls.Config, error) {
	from := make([]*parsedSecret, 0, len(t.certs)+1)
	for _, s := range t.certs {
		from = append(from, s.v.Load())
	}
	if t.valid != nil {
		from = append(from, t.valid.v.Load())
	}
	if b := t.cached.Load(); b != nil && slices.Equal(b.from, from) {
		return b.cfg, nil
	}
	cfg, err := t.build(from)
	if err != nil {
		return nil, err
	}
	t.cached.Store(&builtTLS{from: from, cfg: cfg})
	return cfg, nil
}

func (t *TLS) build(from []*parsedSecret) (*tls.Config, error) {
	certs := slices.Clone(t.static.certs)
	for i, s := range t.certs {
		p := from[i]
		if p == nil || p.cert == nil {
			return nil, fmt.Errorf("build tls config: certificate secret %q has not arrived", s.name)
		}
		certs = append(certs, *p.cert)
	}
	v := t.static.valid
	if t.valid != nil {
		p := from[len(from)-1]
		if p == nil || p.validation == nil {
			return nil, fmt.Errorf("build tls config: validation secret %q has not arrived", t.valid.name)
		}
		v = p.validation
	}
	cfg := &tls.Config{
		Certificates: certs,
		NextProtos:   t.cfg.ALPN,
		MinVersion:   t.cfg.MinVersion,
		MaxVersion:   t.cfg.MaxVersion,
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	switch {
	case v != nil && v.roots != nil:
		cfg.ClientCAs = v.roots
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		if t.cfg.RequireClientCertificate {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	case t.cfg.RequireClientCertificate:
		cfg.ClientAuth = tls.RequireAnyClientCert
	}
	if v != nil && len(v.sans) > 0 {
		sans := v.sans
		cfg.VerifyPeerCertificate = func(_ [][]byte, chains [][]*x509.Certificate) error {
			if len(chains) == 0 || len(chains[0]) == 0 {
				return nil // no certificate given and none required
			}
			return matchSANs(chains[0][0], sans)
		}
	}
	return cfg, nil
}

// errSANMismatch rejects a client certificate no SAN matcher accepts.
var errSANMismatch = errors.New("verify client certificate: no subject alternative name matches")

// matchSANs accepts leaf when one of its SANs matches one of ms.
func matchSANs(leaf *x509.Certificate, ms []config.SANMatch) error {
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
	return errSANMismatch
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

// Stream returns the connection's byte stream: the TLS connection when
// the chain terminates TLS, else the TCP connection. Filters read and
// write it; closing it closes the socket (after a TLS close_notify).
func (c *Conn) Stream() net.Conn {
	if c.TLS != nil {
		return c.TLS
	}
	return c.TCP
}
