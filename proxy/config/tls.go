package config

// DownstreamTLS terminates TLS on a filter chain's connections (Envoy's
// transport_sockets.tls.v3.DownstreamTlsContext). Certificates and
// validation come either inline (static) or from named secrets (SDS),
// which the server resolves at every handshake, so a rotated secret
// applies to new connections without touching live ones.
type DownstreamTLS struct {
	// Certificates are static key pairs; CertificateSecrets name SDS
	// secrets holding key pairs. Together there is at least one.
	Certificates       []TLSCertificate
	CertificateSecrets []SecretRef
	// Validation verifies client certificates; ValidationSecret names an
	// SDS secret holding one instead. At most one is set.
	Validation       *CertificateValidation
	ValidationSecret *SecretRef
	// ALPN is what the server offers, in preference order; empty means
	// no ALPN negotiation.
	ALPN []string
	// MinVersion and MaxVersion are crypto/tls version numbers
	// (tls.VersionTLS12, ...); 0 means TLS 1.2 and TLS 1.3.
	MinVersion, MaxVersion uint16
	// RequireClientCertificate rejects clients without a valid
	// certificate.
	RequireClientCertificate bool
}

// UpstreamTLS originates TLS to a cluster's hosts (Envoy's
// transport_sockets.tls.v3.UpstreamTlsContext). As in Envoy, the
// server's certificate is verified only when a validation context is
// given (its trusted CA and subject alternative names; the host name is
// not checked against SNI), and SDS secrets are read at each handshake.
type UpstreamTLS struct {
	// Certificates and CertificateSecrets are the client certificate
	// offered to hosts that ask for one: at most one of either.
	Certificates       []TLSCertificate
	CertificateSecrets []SecretRef
	// Validation verifies the server's certificate; ValidationSecret
	// names an SDS secret holding one instead. Neither: no verification.
	Validation       *CertificateValidation
	ValidationSecret *SecretRef
	// SNI is the server name sent in the ClientHello; empty sends none.
	SNI string
	// ALPN is what the client offers, in preference order.
	ALPN []string
	// MinVersion and MaxVersion are crypto/tls version numbers; 0 means
	// TLS 1.2 and TLS 1.3.
	MinVersion, MaxVersion uint16
}

// SecretRefs returns every secret the upstream TLS context names.
func (t *UpstreamTLS) SecretRefs() []SecretRef {
	if t == nil {
		return nil
	}
	out := append([]SecretRef(nil), t.CertificateSecrets...)
	if t.ValidationSecret != nil {
		out = append(out, *t.ValidationSecret)
	}
	return out
}

// TLSCertificate is a PEM certificate chain and its PEM private key.
// Never log or dump PrivateKey.
type TLSCertificate struct {
	CertificateChain []byte
	PrivateKey       []byte
}

// CertificateValidation verifies peer certificates (Envoy's
// CertificateValidationContext): they must chain to TrustedCA (PEM) and,
// when SubjectAltNames is not empty, carry a SAN one of them matches.
type CertificateValidation struct {
	TrustedCA       []byte
	SubjectAltNames []SANMatch
}

// SANType is the kind of subject alternative name a SANMatch checks.
type SANType int

// Subject alternative name types (Envoy's SubjectAltNameMatcher.SanType).
const (
	SANDNS SANType = iota + 1
	SANEmail
	SANURI
	SANIPAddress
)

// SANMatch matches subject alternative names of one type.
type SANMatch struct {
	Type  SANType
	Match StringMatch
}

// SecretRef names an SDS secret. File is the path_config_source file that
// serves it; empty means the ADS stream, unless Static is set: then the
// secret is one of the bootstrap's static_resources.secrets (an
// SdsSecretConfig without sds_config).
type SecretRef struct {
	Name   string
	File   string
	Static bool
}

// Secret is an SDS secret (Envoy's transport_sockets.tls.v3.Secret):
// exactly one of Certificate and Validation is set.
type Secret struct {
	Name        string
	Certificate *TLSCertificate
	Validation  *CertificateValidation
}

// SecretRefs returns every secret the chain's TLS context names.
func (t *DownstreamTLS) SecretRefs() []SecretRef {
	if t == nil {
		return nil
	}
	out := append([]SecretRef(nil), t.CertificateSecrets...)
	if t.ValidationSecret != nil {
		out = append(out, *t.ValidationSecret)
	}
	return out
}

func (t SANType) String() string {
	switch t {
	case SANDNS:
		return "DNS"
	case SANEmail:
		return "EMAIL"
	case SANURI:
		return "URI"
	case SANIPAddress:
		return "IP_ADDRESS"
	}
	return "unknown"
}
