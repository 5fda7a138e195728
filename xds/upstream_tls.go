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
	c := t.commonTLSContext(cp, u.GetCommonTlsContext())
	out := &config.UpstreamTLS{
		Certificates: c.certs, CertificateSecrets: c.certRefs,
		Validation: c.valid, ValidationSecret: c.validRef,
		ALPN: c.alpn, MinVersion: c.minVersion, MaxVersion: c.maxVersion,
		SNI: u.GetSni(),
	}
	if u.GetAllowRenegotiation() {
		t.errs.add(field(path, "allow_renegotiation"), "renegotiation is not supported")
	}
	if cc := u.GetCommonTlsContext(); len(cc.GetTlsCertificates())+len(cc.GetTlsCertificateSdsSecretConfigs()) > 1 {
		t.errs.add(cp, "an upstream TLS context offers one client certificate: give at most one of tls_certificates and tls_certificate_sds_secret_configs")
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
