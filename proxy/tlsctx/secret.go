package tlsctx

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/sidewire/sidewire/proxy/config"
)

// Secret is a secret parsed for crypto/tls: exactly one of Cert and
// Validation is set. It is immutable.
type Secret struct {
	src        *config.Secret
	Cert       *tls.Certificate
	Validation *Validation
}

// Validation is a parsed CertificateValidation: peer certificates must
// chain to Roots (when set) and carry a SAN one of SANs matches (when
// there are any).
type Validation struct {
	Roots *x509.CertPool
	SANs  []config.SANMatch
}

func parseSecret(sec *config.Secret) (*Secret, error) {
	p := &Secret{src: sec}
	var err error
	switch {
	case sec.Certificate != nil:
		p.Cert, err = ParseKeyPair(sec.Certificate)
	case sec.Validation != nil:
		p.Validation, err = ParseValidation(sec.Validation)
	default:
		err = errors.New("has neither a certificate nor a validation context")
	}
	return p, err
}

// ParseKeyPair parses a PEM chain and key. Errors never quote key bytes.
func ParseKeyPair(c *config.TLSCertificate) (*tls.Certificate, error) {
	kp, err := tls.X509KeyPair(c.CertificateChain, c.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("parse certificate and private key: %w", err)
	}
	return &kp, nil
}

// ParseValidation parses a validation context's trusted CA.
func ParseValidation(v *config.CertificateValidation) (*Validation, error) {
	out := &Validation{SANs: v.SubjectAltNames}
	if len(v.TrustedCA) > 0 {
		out.Roots = x509.NewCertPool()
		if !out.Roots.AppendCertsFromPEM(v.TrustedCA) {
			return nil, errors.New("parse trusted_ca: no PEM certificate found")
		}
	}
	return out, nil
}

// CheckSecret parses a secret, so a bad one is rejected when it arrives.
func CheckSecret(s *config.Secret) error {
	_, err := parseSecret(s)
	return err
}
