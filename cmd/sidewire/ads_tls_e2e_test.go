package main

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/sidewire/sidewire/internal/testpeer"
)

// TestADSOverTLS: the ADS cluster's upstream TLS context secures the
// stream to a control plane that requires client certificates; the
// dynamic listener it serves comes up and forwards.
func TestADSOverTLS(t *testing.T) {
	pki := testpeer.NewPKI(t, "xds-ca")
	serverCert := pki.KeyPair(t, "control-plane", false, "xds.test")
	cp := startADSServer(t, grpc.Creds(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{serverCert}, ClientCAs: pki.Pool(), ClientAuth: tls.RequireAndVerifyClientCert,
	})))
	echo := testpeer.StartEcho(t)
	tcp := e2eListener(t, "dyn", &tcpproxyv3.TcpProxy{StatPrefix: "dyn", ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: "app"}})
	cp.set("1", tcp, e2eEDSCluster("app"), e2eAssignment("app", echo.Addr()))

	chain, key := pki.Issue(t, "sidewire", true)
	boot := strings.Replace(adsBootstrap(cp.addr), "    load_assignment:\n      cluster_name: xds", fmt.Sprintf(`    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        sni: xds.test
        common_tls_context:
          tls_certificate_sds_secret_configs: [{name: xds-client}]
          validation_context:
            trusted_ca:
              inline_string: %s
            match_typed_subject_alt_names:
            - san_type: DNS
              matcher: {exact: xds.test}
    load_assignment:
      cluster_name: xds`, indentPEM(pki.CAPEM, "                ")), 1)
	boot += fmt.Sprintf(`  secrets:
  - name: xds-client
    tls_certificate:
      certificate_chain:
        inline_string: %s
      private_key:
        inline_string: %s
`, indentPEM(chain, "          "), indentPEM(key, "          "))
	p := startSidewire(t, boot)
	var addr string
	eventually(t, 30*time.Second, "dynamic listener dyn over a TLS ADS stream", func() error {
		if addr = p.listenerAddr("dyn"); addr == "" {
			return fmt.Errorf("not in /listeners")
		}
		return nil
	})
	if err := echoVia(addr, []byte("hello over mtls xds")); err != nil {
		t.Fatalf("echo through the dynamic listener: %v", err)
	}
	if got := p.stat("control_plane.connected_state"); got != 1 {
		t.Errorf("control_plane.connected_state = %d, want 1", got)
	}
}
