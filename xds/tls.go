package xds

import (
	"crypto/tls"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/listener"
)

// tlsTransportSocketName is Envoy's TLS transport socket.
const tlsTransportSocketName = "envoy.transport_sockets.tls"

// transportSockets are the downstream transport sockets a filter chain
// may name.
var transportSockets = []extension{
	newExtension(tlsTransportSocketName, &tlsv3.DownstreamTlsContext{}),
}

// tlsVersions maps Envoy's TLS versions to crypto/tls; TLS_AUTO is 0
// (the default).
var tlsVersions = map[tlsv3.TlsParameters_TlsProtocol]uint16{
	tlsv3.TlsParameters_TLS_AUTO: 0,
	tlsv3.TlsParameters_TLSv1_0:  tls.VersionTLS10,
	tlsv3.TlsParameters_TLSv1_1:  tls.VersionTLS11,
	tlsv3.TlsParameters_TLSv1_2:  tls.VersionTLS12,
	tlsv3.TlsParameters_TLSv1_3:  tls.VersionTLS13,
}

// transportSocket translates a filter chain's transport_socket: only
// envoy.transport_sockets.tls with a DownstreamTlsContext.
func (t *translator) transportSocket(path string, ts *corev3.TransportSocket) *config.DownstreamTLS {
	_, msg, ok := t.typedConfig(path, "transport socket", ts.GetName(), ts.GetTypedConfig(), transportSockets)
	if !ok {
		return nil
	}
	return t.downstreamTLS(field(path, "typed_config"), msg.(*tlsv3.DownstreamTlsContext))
}

func (t *translator) downstreamTLS(path string, d *tlsv3.DownstreamTlsContext) *config.DownstreamTLS {
	cp := field(path, "common_tls_context")
	c := t.commonTLSContext(cp, d.GetCommonTlsContext())
	out := &config.DownstreamTLS{
		Certificates: c.certs, CertificateSecrets: c.certRefs,
		Validation: c.valid, ValidationSecret: c.validRef,
		ALPN: c.alpn, MinVersion: c.minVersion, MaxVersion: c.maxVersion,
		RequireClientCertificate: d.GetRequireClientCertificate().GetValue(),
	}
	if cc := d.GetCommonTlsContext(); len(cc.GetTlsCertificates())+len(cc.GetTlsCertificateSdsSecretConfigs()) == 0 {
		t.errs.add(cp, "needs tls_certificates or tls_certificate_sds_secret_configs")
	}
	if out.RequireClientCertificate && out.Validation == nil && out.ValidationSecret == nil {
		t.errs.add(field(path, "require_client_certificate"), "needs common_tls_context.validation_context or validation_context_sds_secret_config")
	}
	if err := listener.CheckTLS(out); err != nil {
		t.errs.add(cp, "%v", err)
	}
	return out
}

// commonTLS is what a CommonTlsContext gives either direction.
type commonTLS struct {
	certs                  []config.TLSCertificate
	certRefs               []config.SecretRef
	valid                  *config.CertificateValidation
	validRef               *config.SecretRef
	alpn                   []string
	minVersion, maxVersion uint16
}

// commonTLSContext translates a CommonTlsContext at path: tls_params,
// tls_certificates, tls_certificate_sds_secret_configs, validation_context
// or validation_context_sds_secret_config, and alpn_protocols.
func (t *translator) commonTLSContext(path string, c *tlsv3.CommonTlsContext) commonTLS {
	out := commonTLS{
		alpn:       c.GetAlpnProtocols(),
		minVersion: tlsVersions[c.GetTlsParams().GetTlsMinimumProtocolVersion()],
		maxVersion: tlsVersions[c.GetTlsParams().GetTlsMaximumProtocolVersion()],
	}
	if out.minVersion != 0 && out.maxVersion != 0 && out.minVersion > out.maxVersion {
		t.errs.add(field(path, "tls_params"), "tls_minimum_protocol_version is above tls_maximum_protocol_version")
	}
	for i, tc := range c.GetTlsCertificates() {
		if kp, ok := t.tlsCertificate(index(field(path, "tls_certificates"), i), tc); ok {
			out.certs = append(out.certs, kp)
		}
	}
	for i, s := range c.GetTlsCertificateSdsSecretConfigs() {
		out.certRefs = append(out.certRefs, t.sdsSecretConfig(index(field(path, "tls_certificate_sds_secret_configs"), i), s))
	}
	switch {
	case c.GetValidationContext() != nil:
		out.valid = t.validationContext(field(path, "validation_context"), c.GetValidationContext())
	case c.GetValidationContextSdsSecretConfig() != nil:
		r := t.sdsSecretConfig(field(path, "validation_context_sds_secret_config"), c.GetValidationContextSdsSecretConfig())
		out.validRef = &r
	}
	return out
}

// tlsCertificate reads a certificate chain and private key. Errors never
// quote the key.
func (t *translator) tlsCertificate(path string, c *tlsv3.TlsCertificate) (config.TLSCertificate, bool) {
	chain, ok1 := t.requiredDataSource(field(path, "certificate_chain"), c.GetCertificateChain())
	key, ok2 := t.requiredDataSource(field(path, "private_key"), c.GetPrivateKey())
	return config.TLSCertificate{CertificateChain: chain, PrivateKey: key}, ok1 && ok2
}

func (t *translator) requiredDataSource(path string, ds *corev3.DataSource) ([]byte, bool) {
	if ds == nil {
		t.errs.add(path, "is required")
		return nil, false
	}
	return t.dataSource(path, ds)
}

// validationContext reads trusted_ca and match_typed_subject_alt_names.
func (t *translator) validationContext(path string, v *tlsv3.CertificateValidationContext) *config.CertificateValidation {
	out := &config.CertificateValidation{}
	if v.GetTrustedCa() == nil {
		t.errs.add(field(path, "trusted_ca"), "is required")
	} else if b, ok := t.dataSource(field(path, "trusted_ca"), v.GetTrustedCa()); ok {
		out.TrustedCA = b
	}
	for i, m := range v.GetMatchTypedSubjectAltNames() {
		mp := index(field(path, "match_typed_subject_alt_names"), i)
		var typ config.SANType
		switch m.GetSanType() {
		case tlsv3.SubjectAltNameMatcher_DNS:
			typ = config.SANDNS
		case tlsv3.SubjectAltNameMatcher_EMAIL:
			typ = config.SANEmail
		case tlsv3.SubjectAltNameMatcher_URI:
			typ = config.SANURI
		case tlsv3.SubjectAltNameMatcher_IP_ADDRESS:
			typ = config.SANIPAddress
		default:
			t.errs.add(field(mp, "san_type"), "unsupported san_type %s (want DNS, EMAIL, URI or IP_ADDRESS)", m.GetSanType())
			continue
		}
		sm := t.stringMatcher(field(mp, "matcher"), m.GetMatcher())
		if sm.Kind == config.MatchRegex {
			t.errs.add(field(mp, "matcher.safe_regex"), "is not supported for subject alternative names")
			continue
		}
		out.SubjectAltNames = append(out.SubjectAltNames, config.SANMatch{Type: typ, Match: sm})
	}
	return out
}

// sdsSecretConfig reads a secret reference: sds_config must be ads or a
// path config source; without it the secret is a static one
// (static_resources.secrets).
func (t *translator) sdsSecretConfig(path string, s *tlsv3.SdsSecretConfig) config.SecretRef {
	out := config.SecretRef{Name: s.GetName()}
	cs := s.GetSdsConfig()
	switch {
	case cs == nil:
		out.Static = true
	case cs.GetAds() != nil:
	default:
		src, ok := fileSource(cs)
		if !ok {
			t.errs.add(field(path, "sds_config"), "must be ads or path_config_source")
			break
		}
		out.File = src.Path
	}
	return out
}

// TranslateSecret checks an Envoy Secret and translates it. Only
// tls_certificate and validation_context secrets exist in Sidewire.
func TranslateSecret(path string, s *tlsv3.Secret) (*config.Secret, error) {
	var t translator
	t.precheck(path, s)
	out := &config.Secret{Name: s.GetName()}
	switch {
	case s.GetTlsCertificate() != nil:
		if kp, ok := t.tlsCertificate(field(path, "tls_certificate"), s.GetTlsCertificate()); ok {
			out.Certificate = &kp
		}
	case s.GetValidationContext() != nil:
		out.Validation = t.validationContext(field(path, "validation_context"), s.GetValidationContext())
	default:
		t.errs.add(path, "needs tls_certificate or validation_context")
	}
	if t.errs.len() == 0 {
		if err := listener.CheckSecret(out); err != nil {
			t.errs.add(path, "%v", err)
		}
	}
	if t.errs.len() > 0 {
		return nil, t.errs.err()
	}
	return out, nil
}

// secretTypes makes Secret resolvable in Any values (file sources, config
// dumps, redaction); it is not a typed_config extension.
var secretTypes = []extension{
	newExtension("envoy.extensions.transport_sockets.tls.v3.Secret", &tlsv3.Secret{}),
}

// staticSecrets checks the secret references of a static listener or
// cluster and returns those served over SDS: a static secret (no
// sds_config) must be in static_resources.secrets; an ADS one needs
// dynamic_resources.ads_config; a path_config_source one is read from its
// file.
func (t *translator) staticSecrets(path string, refs []config.SecretRef, static map[string]*config.Secret, ads bool) []config.SecretRef {
	var sds []config.SecretRef
	for _, r := range refs {
		switch {
		case r.Static && static[r.Name] == nil:
			t.errs.add(path, "secret %q is not in static_resources.secrets", r.Name)
		case r.Static:
		case r.File == "" && !ads:
			t.errs.add(path, "secret %q: sds_config ads needs dynamic_resources.ads_config in the bootstrap", r.Name)
		default:
			sds = append(sds, r)
		}
	}
	return sds
}

// staticSecretsOf translates static_resources.secrets, by name.
func (t *translator) staticSecretsOf(path string, secrets []*tlsv3.Secret) map[string]*config.Secret {
	if len(secrets) == 0 {
		return nil
	}
	out := make(map[string]*config.Secret, len(secrets))
	for i, s := range secrets {
		p := index(path, i)
		if s.GetName() == "" {
			t.errs.add(field(p, "name"), "is required")
			continue
		}
		if out[s.GetName()] != nil {
			t.errs.add(field(p, "name"), "duplicate secret name %q", s.GetName())
			continue
		}
		sec, err := TranslateSecret(p, s)
		if err != nil {
			t.errs.addErr(err)
			continue
		}
		out[s.GetName()] = sec
	}
	return out
}

// checkDynamicSecrets checks the secret references of a listener or
// cluster that came over xDS (what): static secrets serve static
// resources only, and ADS secrets need an ADS stream.
func checkDynamicSecrets(path, what string, refs []config.SecretRef, ads bool) error {
	var errs errList
	for _, r := range refs {
		switch {
		case r.Static:
			errs.add(path, "secret %q: %s takes secrets with sds_config ads or path; static_resources.secrets serve static resources only", r.Name, what)
		case r.File == "" && !ads:
			errs.add(path, "secret %q: sds_config ads needs dynamic_resources.ads_config in the bootstrap", r.Name)
		}
	}
	if errs.len() > 0 {
		return errs.err()
	}
	return nil
}

// dynamicListener translates a listener from LDS: static secrets
// (references without sds_config) serve static listeners only, and
// without an ads_config in the bootstrap nothing can come over ADS: a
// listener naming an ADS secret or a drds or rds route configuration would warm
// forever, so it is refused.
func dynamicListener(ads bool) func(path string, m *listenerv3.Listener) (*config.Listener, error) {
	return func(path string, m *listenerv3.Listener) (*config.Listener, error) {
		l, err := TranslateListener(path, m)
		if err != nil {
			return nil, err
		}
		var errs errList
		errs.addErr(checkDynamicSecrets(path, "a listener from lds", secretRefs(l), ads))
		if !ads {
			for _, n := range dubboRouteNames(l) {
				errs.add(path, "dubbo route configuration %q: drds needs dynamic_resources.ads_config in the bootstrap", n)
			}
			for _, n := range httpRouteNames(l) {
				errs.add(path, "route configuration %q: rds needs dynamic_resources.ads_config in the bootstrap", n)
			}
		}
		if errs.len() > 0 {
			return nil, errs.err()
		}
		return l, nil
	}
}
