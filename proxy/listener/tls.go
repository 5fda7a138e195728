package listener

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync/atomic"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/tlsctx"
)

// TLS terminates TLS for one filter chain. Static certificates are parsed
// once; SDS secrets are read from their store slots at each handshake.
// The *tls.Config handed to crypto/tls is rebuilt only when a secret it
// depends on changed. Safe for concurrent use.
type TLS struct {
	cfg    *config.DownstreamTLS
	static staticTLS
	certs  []*tlsctx.Slot
	valid  *tlsctx.Slot
	cached atomic.Pointer[builtTLS]
}

// staticTLS is what the chain's config holds inline, parsed.
type staticTLS struct {
	certs []tls.Certificate
	valid *tlsctx.Validation
}

// builtTLS is a tls.Config and the secret values it was built from.
type builtTLS struct {
	from []*tlsctx.Secret
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
		t.certs = append(t.certs, secrets.Slot(r.Name))
	}
	if cfg.ValidationSecret != nil {
		t.valid = secrets.Slot(cfg.ValidationSecret.Name)
	}
	return t, nil
}

func parseStatic(cfg *config.DownstreamTLS) (staticTLS, error) {
	var st staticTLS
	for i := range cfg.Certificates {
		kp, err := tlsctx.ParseKeyPair(&cfg.Certificates[i])
		if err != nil {
			return st, fmt.Errorf("tls_certificates[%d]: %w", i, err)
		}
		st.certs = append(st.certs, *kp)
	}
	if cfg.Validation != nil {
		v, err := tlsctx.ParseValidation(cfg.Validation)
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
	from := make([]*tlsctx.Secret, 0, len(t.certs)+1)
	for _, s := range t.certs {
		from = append(from, s.Load())
	}
	if t.valid != nil {
		from = append(from, t.valid.Load())
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

func (t *TLS) build(from []*tlsctx.Secret) (*tls.Config, error) {
	certs := slices.Clone(t.static.certs)
	for i, s := range t.certs {
		p := from[i]
		if p == nil || p.Cert == nil {
			return nil, fmt.Errorf("build tls config: certificate secret %q has not arrived", s.Name())
		}
		certs = append(certs, *p.Cert)
	}
	v := t.static.valid
	if t.valid != nil {
		p := from[len(from)-1]
		if p == nil || p.Validation == nil {
			return nil, fmt.Errorf("build tls config: validation secret %q has not arrived", t.valid.Name())
		}
		v = p.Validation
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
	case v != nil && v.Roots != nil:
		cfg.ClientCAs = v.Roots
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		if t.cfg.RequireClientCertificate {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	case t.cfg.RequireClientCertificate:
		cfg.ClientAuth = tls.RequireAnyClientCert
	}
	if v != nil && len(v.SANs) > 0 {
		sans := v.SANs
		cfg.VerifyPeerCertificate = func(_ [][]byte, chains [][]*x509.Certificate) error {
			if len(chains) == 0 || len(chains[0]) == 0 {
				return nil // no certificate given and none required
			}
			return tlsctx.MatchSANs(chains[0][0], sans)
		}
	}
	return cfg, nil
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
