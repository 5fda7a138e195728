package listener

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sidewire/sidewire/proxy/config"
)

// SecretStore holds the current value of every SDS secret by name. TLS
// contexts keep a slot per secret they name and read it at each
// handshake, so Replace rotates certificates for new connections while
// established ones keep the session they negotiated. Safe for concurrent
// use.
type SecretStore struct {
	mu    sync.Mutex
	slots map[string]*secretSlot
}

// NewSecretStore returns an empty store.
func NewSecretStore() *SecretStore {
	return &SecretStore{slots: map[string]*secretSlot{}}
}

// secretSlot is one name's current parsed value; nil until it arrives.
type secretSlot struct {
	name string
	v    atomic.Pointer[parsedSecret]
}

// parsedSecret is a secret ready for crypto/tls. It is immutable.
type parsedSecret struct {
	src        *config.Secret
	cert       *tls.Certificate
	validation *validation
}

// validation is a parsed CertificateValidation.
type validation struct {
	roots *x509.CertPool
	sans  []config.SANMatch
}

// Replace makes secrets the current set (see Prepare).
func (s *SecretStore) Replace(secrets map[string]*config.Secret) error {
	commit, err := s.Prepare(secrets)
	if err != nil {
		return err
	}
	commit()
	return nil
}

// Prepare parses secrets, which are to become the current set, and
// returns the function that makes them current; on error the store is
// left as it was. Committing swaps changed values in and empties names no
// longer present (handshakes needing them fail until they come back). An
// unchanged *config.Secret keeps its parsed value.
func (s *SecretStore) Prepare(secrets map[string]*config.Secret) (commit func(), err error) {
	parsed := make(map[string]*parsedSecret, len(secrets))
	var errs []error
	s.mu.Lock()
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		sec := secrets[name]
		if cur := s.slots[name]; cur != nil {
			if p := cur.v.Load(); p != nil && p.src == sec {
				parsed[name] = p
				continue
			}
		}
		p, err := parseSecret(sec)
		if err != nil {
			errs = append(errs, fmt.Errorf("secret %q: %w", name, err))
			continue
		}
		parsed[name] = p
	}
	s.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("load secrets: %w", err)
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for name, slot := range s.slots {
			if parsed[name] == nil {
				slot.v.Store(nil)
			}
		}
		for name, p := range parsed {
			s.slotLocked(name).v.Store(p)
		}
	}, nil
}

// slot returns name's slot, creating an empty one.
func (s *SecretStore) slot(name string) *secretSlot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slotLocked(name)
}

func (s *SecretStore) slotLocked(name string) *secretSlot {
	sl := s.slots[name]
	if sl == nil {
		sl = &secretSlot{name: name}
		s.slots[name] = sl
	}
	return sl
}

func parseSecret(sec *config.Secret) (*parsedSecret, error) {
	p := &parsedSecret{src: sec}
	var err error
	switch {
	case sec.Certificate != nil:
		p.cert, err = parseKeyPair(sec.Certificate)
	case sec.Validation != nil:
		p.validation, err = parseValidation(sec.Validation)
	default:
		err = errors.New("has neither a certificate nor a validation context")
	}
	return p, err
}

// parseKeyPair parses a PEM chain and key. Errors never quote key bytes.
func parseKeyPair(c *config.TLSCertificate) (*tls.Certificate, error) {
	kp, err := tls.X509KeyPair(c.CertificateChain, c.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("parse certificate and private key: %w", err)
	}
	return &kp, nil
}

func parseValidation(v *config.CertificateValidation) (*validation, error) {
	out := &validation{sans: v.SubjectAltNames}
	if len(v.TrustedCA) > 0 {
		out.roots = x509.NewCertPool()
		if !out.roots.AppendCertsFromPEM(v.TrustedCA) {
			return nil, errors.New("parse trusted_ca: no PEM certificate found")
		}
	}
	return out, nil
}

// CheckTLS parses what a TLS context holds inline, so a bad certificate
// or CA is reported when the configuration loads.
func CheckTLS(t *config.DownstreamTLS) error {
	_, err := parseStatic(t)
	return err
}

// CheckSecret parses a secret, so a bad one is rejected when it arrives.
func CheckSecret(s *config.Secret) error {
	_, err := parseSecret(s)
	return err
}
