package main

import (
	"crypto/tls"
	"fmt"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/testpeer"
)

// TestTLSStaticSecrets runs the binary with a listener that names its
// certificate and its client CA in static_resources.secrets (Envoy's
// static secrets, referenced without sds_config).
func TestTLSStaticSecrets(t *testing.T) {
	echo := testpeer.StartEcho(t)
	pki, clients := testpeer.NewPKI(t, "server-ca"), testpeer.NewPKI(t, "client-ca")
	dir := t.TempDir()
	c, k := pki.Issue(t, "sidewire.test", false, "sidewire.test")
	certFile, keyFile := writePEM(t, dir, "cert.pem", c), writePEM(t, dir, "key.pem", k)
	caFile := writePEM(t, dir, "client-ca.pem", clients.CAPEM)
	bootstrap := fmt.Sprintf(`admin:
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
static_resources:
  secrets:
  - name: server-cert
    tls_certificate:
      certificate_chain: {filename: %[1]s}
      private_key: {filename: %[2]s}
  - name: client-ca
    validation_context:
      trusted_ca: {filename: %[3]s}
  listeners:
  - name: tls-echo
    stat_prefix: tls_echo
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          require_client_certificate: true
          common_tls_context:
            tls_certificate_sds_secret_configs:
            - name: server-cert
            validation_context_sds_secret_config:
              name: client-ca
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: tls_echo
          cluster: echo
  clusters:
  - name: echo
    type: STATIC
    load_assignment:
      cluster_name: echo
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: %[4]d}}}
`, certFile, keyFile, caFile, echo.Addr().Port)
	p := startSidewire(t, bootstrap)

	conn, err := tls.Dial("tcp", p.listener("tls-echo"), &tls.Config{
		ServerName: "sidewire.test", RootCAs: pki.Pool(), Certificates: []tls.Certificate{clients.KeyPair(t, "app", true)},
	})
	if err != nil {
		t.Fatalf("tls dial with a client certificate: %v", err)
	}
	if err := exchange(conn, []byte("through a static secret")); err != nil {
		t.Fatalf("echo over tls: %v", err)
	}
	conn.Close()
	eventually(t, 5*time.Second, "echo served the connection", func() error {
		if n := echo.Served(); n != 1 {
			return fmt.Errorf("served %d connections", n)
		}
		return nil
	})

	// The client CA secret is enforced: no client certificate, no echo.
	anon, err := tls.Dial("tcp", p.listener("tls-echo"), &tls.Config{ServerName: "sidewire.test", RootCAs: pki.Pool()})
	if err == nil {
		err = exchange(anon, []byte("anonymous"))
		anon.Close()
	}
	if err == nil {
		t.Fatal("a client without a certificate was served")
	}
	// The client can see the handshake fail before the listener has
	// counted it (TLS 1.3 clients finish first).
	p.waitStat("listener.tls_echo.ssl.connection_error", 1)
	if echo.Served() != 1 {
		t.Fatalf("echo served %d connections after the anonymous client, want 1", echo.Served())
	}
}
