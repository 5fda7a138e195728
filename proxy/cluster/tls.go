package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/tlsctx"
	"github.com/sidewire/sidewire/telemetry"
)

// clientTLS originates TLS to a cluster's hosts (config.UpstreamTLS).
// Static material is parsed once; SDS secrets are read from their store
// slots at each handshake, so a rotated certificate applies to the next
// connection. The *tls.Config is rebuilt only when a secret changed.
// Safe for concurrent use.
type clientTLS struct {
	cfg       *config.UpstreamTLS
	cert      *tls.Certificate   // static client certificate
	valid     *tlsctx.Validation // static validation context
	certSlot  *tlsctx.Slot
	validSlot *tlsctx.Slot
	cached    atomic.Pointer[builtClientTLS]
	stats     *sslStats
}

type builtClientTLS struct {
	cert, valid *tlsctx.Secret
	cfg         *tls.Config
}

// sslStats are Envoy's cluster.<name>.ssl.* for TLS clusters.
type sslStats struct {
	handshake, connectionError, failVerify *telemetry.Counter
}

var errNoSecretStore = errors.New("build upstream tls: secrets are named but there is no secret store")

// newClientTLS prepares TLS origination; scope, nil for TLSConfig, is
// the cluster scope its ssl.* stats go under.
func newClientTLS(cfg *config.UpstreamTLS, store *tlsctx.Store, scope *telemetry.Scope) (*clientTLS, error) {
	t := &clientTLS{cfg: cfg}
	if len(cfg.Certificates) > 0 {
		kp, err := tlsctx.ParseKeyPair(&cfg.Certificates[0])
		if err != nil {
			return nil, fmt.Errorf("build upstream tls: tls_certificates[0]: %w", err)
		}
		t.cert = kp
	}
	if cfg.Validation != nil {
		v, err := tlsctx.ParseValidation(cfg.Validation)
		if err != nil {
			return nil, fmt.Errorf("build upstream tls: validation_context: %w", err)
		}
		t.valid = v
	}
	if (len(cfg.CertificateSecrets) > 0 || cfg.ValidationSecret != nil) && store == nil {
		return nil, errNoSecretStore
	}
	if len(cfg.CertificateSecrets) > 0 {
		t.certSlot = store.Slot(cfg.CertificateSecrets[0].Name)
	}
	if cfg.ValidationSecret != nil {
		t.validSlot = store.Slot(cfg.ValidationSecret.Name)
	}
	if scope == nil {
		return t, nil // no connections, no stats (TLSConfig)
	}
	ssl := scope.Sub("ssl")
	t.stats = &sslStats{
		handshake:       ssl.Counter("handshake"),
		connectionError: ssl.Counter("connection_error"),
		failVerify:      ssl.Counter("fail_verify_error"),
	}
	return t, nil
}

// validateTLS checks a cluster's upstream TLS context: its inline
// certificate and CA parse, and its secrets have a store to come from.
func validateTLS(c *config.Cluster, store *tlsctx.Store) error {
	if c == nil || c.TLS == nil {
		return nil
	}
	t := c.TLS
	if len(t.Certificates)+len(t.CertificateSecrets) > 1 {
		return invalid(c.Name, "upstream tls offers one client certificate, got %d", len(t.Certificates)+len(t.CertificateSecrets))
	}
	if t.Validation != nil && t.ValidationSecret != nil {
		return invalid(c.Name, "upstream tls has both a validation context and a validation secret")
	}
	if len(t.Certificates) > 0 {
		if _, err := tlsctx.ParseKeyPair(&t.Certificates[0]); err != nil {
			return invalid(c.Name, "upstream tls: %v", err)
		}
	}
	if t.Validation != nil {
		if _, err := tlsctx.ParseValidation(t.Validation); err != nil {
			return invalid(c.Name, "upstream tls: %v", err)
		}
	}
	if len(t.SecretRefs()) > 0 && store == nil {
		return invalid(c.Name, "upstream tls names secrets but the cluster manager has no secret store")
	}
	return nil
}

// TLSConfig returns the crypto/tls client configuration of an upstream
// TLS context whose secrets are in store now, for connections made
// outside a cluster (the ADS client's gRPC connection to its control
// plane). It verifies as Envoy does; see config.UpstreamTLS.
func TLSConfig(cfg *config.UpstreamTLS, store *tlsctx.Store) (*tls.Config, error) {
	t, err := newClientTLS(cfg, store, nil)
	if err != nil {
		return nil, err
	}
	return t.config()
}

// config returns the tls.Config for a new connection.
func (t *clientTLS) config() (*tls.Config, error) {
	var cert, valid *tlsctx.Secret
	if t.certSlot != nil {
		cert = t.certSlot.Load()
	}
	if t.validSlot != nil {
		valid = t.validSlot.Load()
	}
	if b := t.cached.Load(); b != nil && b.cert == cert && b.valid == valid {
		return b.cfg, nil
	}
	cfg, err := t.build(cert, valid)
	if err != nil {
		return nil, err
	}
	t.cached.Store(&builtClientTLS{cert: cert, valid: valid, cfg: cfg})
	return cfg, nil
}

func (t *clientTLS) build(certS, validS *tlsctx.Secret) (*tls.Config, error) {
	cfg := &tls.Config{
		ServerName: t.cfg.SNI,
		NextProtos: t.cfg.ALPN,
		MinVersion: t.cfg.MinVersion,
		MaxVersion: t.cfg.MaxVersion,
		// Envoy checks the server's certificate against the validation
		// context only (trusted CA, SAN matchers), never its name against
		// SNI, and not at all without one: VerifyPeerCertificate does it.
		InsecureSkipVerify: true,
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	cert := t.cert
	if t.certSlot != nil {
		if certS == nil || certS.Cert == nil {
			return nil, fmt.Errorf("build upstream tls: certificate secret %q has not arrived", t.certSlot.Name())
		}
		cert = certS.Cert
	}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	v := t.valid
	if t.validSlot != nil {
		if validS == nil || validS.Validation == nil {
			return nil, fmt.Errorf("build upstream tls: validation secret %q has not arrived", t.validSlot.Name())
		}
		v = validS.Validation
	}
	if v != nil {
		cfg.VerifyPeerCertificate = verifyServer(v)
	}
	return cfg, nil
}

// errVerify marks a server certificate the validation context rejects.
var errVerify = errors.New("verify server certificate")

// verifyServer checks the server's chain against v's trusted CA and its
// leaf against v's SAN matchers.
func verifyServer(v *tlsctx.Validation) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return fmt.Errorf("%w: none given", errVerify)
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, b := range raw {
			c, err := x509.ParseCertificate(b)
			if err != nil {
				return fmt.Errorf("%w: %w", errVerify, err)
			}
			certs[i] = c
		}
		if v.Roots != nil {
			inter := x509.NewCertPool()
			for _, c := range certs[1:] {
				inter.AddCert(c)
			}
			opts := x509.VerifyOptions{Roots: v.Roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
			if _, err := certs[0].Verify(opts); err != nil {
				return fmt.Errorf("%w: %w", errVerify, err)
			}
		}
		if len(v.SANs) > 0 {
			if err := tlsctx.MatchSANs(certs[0], v.SANs); err != nil {
				return fmt.Errorf("%w: %w", errVerify, err)
			}
		}
		return nil
	}
}
