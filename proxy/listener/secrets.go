package listener

import (
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/tlsctx"
)

// SecretStore holds the SDS secrets TLS contexts name (see
// tlsctx.Store); the server shares one between its listeners and its
// clusters.
type SecretStore = tlsctx.Store

// NewSecretStore returns an empty store.
func NewSecretStore() *SecretStore { return tlsctx.NewStore() }

// CheckTLS parses what a TLS context holds inline, so a bad certificate
// or CA is reported when the configuration loads.
func CheckTLS(t *config.DownstreamTLS) error {
	_, err := parseStatic(t)
	return err
}

// CheckSecret parses a secret, so a bad one is rejected when it arrives.
func CheckSecret(s *config.Secret) error { return tlsctx.CheckSecret(s) }
