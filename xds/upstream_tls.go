package xds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/tlsctx"
)

// upstreamTransportSockets are the transport sockets a cluster may name.
var upstreamTransportSockets = []extension{
	newExtension(tlsTransportSocketName, &tlsv3.UpstreamTlsContext{}),
}

// upstreamTransportSocket translates a cluster's transport_socket: only
// envoy.transport_sockets.tls with an UpstreamTlsContext.
func (t *translator) upstreamTransportSocket(path string, ts *corev3.TransportSocket) *config.UpstreamTLS {
	_, msg, ok := t.typedConfig(path, "transport socket", ts.GetName(), ts.GetTypedConfig(), upstreamTransportSockets)
	if !ok {
		return nil
	}
	return t.upstreamTLS(field(path, "typed_config"), msg.(*tlsv3.UpstreamTlsContext))
}

func (t *translator) upstreamTLS(path string, u *tlsv3.UpstreamTlsContext) *config.UpstreamTLS {
	cp := field(path, "common_tls_context")
	c := u.GetCommonTlsContext()
	out := &config.UpstreamTLS{SNI: u.GetSni(), ALPN: c.GetAlpnProtocols()}
	out.MinVersion = tlsVersions[c.GetTlsParams().GetTlsMinimumProtocolVersion()]
	out.MaxVersion = tlsVersions[c.GetTlsParams().GetTlsMaximumProtocolVersion()]
	if out.MinVersion != 0 && out.MaxVersion != 0 && out.MinVersion > out.MaxVersion {
		t.errs.add(field(cp, "tls_params"), "tls_minimum_protocol_version is above tls_maximum_protocol_version")
	}
	if u.GetAllowRenegotiation() {
		t.errs.add(field(path, "allow_renegotiation"), "renegotiation is not supported")
	}
	for i, tc := range c.GetTlsCertificates() {
		if kp, ok := t.tlsCertificate(index(field(cp, "tls_certificates"), i), tc); ok {
			out.Certificates = append(out.Certificates, kp)
		}
	}
	for i, s := range c.GetTlsCertificateSdsSecretConfigs() {
		out.CertificateSecrets = append(out.CertificateSecrets, t.sdsSecretConfig(index(field(cp, "tls_certificate_sds_secret_configs"), i), s))
	}
	if len(c.GetTlsCertificates())+len(c.GetTlsCertificateSdsSecretConfigs()) > 1 {
		t.errs.add(cp, "an upstream TLS context offers one client certificate: give at most one of tls_certificates and tls_certificate_sds_secret_configs")
	}
	switch {
	case c.GetValidationContext() != nil:
		out.Validation = t.validationContext(field(cp, "validation_context"), c.GetValidationContext())
	case c.GetValidationContextSdsSecretConfig() != nil:
		r := t.sdsSecretConfig(field(cp, "validation_context_sds_secret_config"), c.GetValidationContextSdsSecretConfig())
		out.ValidationSecret = &r
	}
	for i := range out.Certificates {
		if _, err := tlsctx.ParseKeyPair(&out.Certificates[i]); err != nil {
			t.errs.add(index(field(cp, "tls_certificates"), i), "%v", err)
		}
	}
	if out.Validation != nil {
		if _, err := tlsctx.ParseValidation(out.Validation); err != nil {
			t.errs.add(field(cp, "validation_context"), "%v", err)
		}
	}
	return out
}

// staticClusterSecrets checks the secret references of a static
// cluster, as staticSecrets does a static listener's.
func (t *translator) staticClusterSecrets(path string, c *config.Cluster, static map[string]*config.Secret) {
	for _, r := range c.TLS.SecretRefs() {
		switch {
		case !r.Static:
			t.errs.add(path, "secret %q: sds secret configs with an sds_config are supported in clusters from cds only; a static cluster takes tls_certificates, validation_context or static_resources.secrets", r.Name)
		case static[r.Name] == nil:
			t.errs.add(path, "secret %q is not in static_resources.secrets", r.Name)
		}
	}
}
