package main

import (
	"crypto/tls"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/testpeer"
)

// sdsFileYAML is an SDS file (Envoy's resources format) holding one
// certificate secret.
func sdsFileYAML(name string, chain, key []byte) string {
	return fmt.Sprintf(`resources:
- "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret
  name: %s
  tls_certificate:
    certificate_chain:
      inline_string: %s
    private_key:
      inline_string: %s
`, name, indentPEM(chain, "        "), indentPEM(key, "        "))
}

// TestStaticListenerFileSDS: a static listener (no dynamic_resources in
// the bootstrap) takes its certificate from an SDS file
// (path_config_source), as Envoy's file-based certificate rotation does;
// rewriting the file rotates the certificate for new connections.
func TestStaticListenerFileSDS(t *testing.T) {
	echo := testpeer.StartEcho(t)
	pki := testpeer.NewPKI(t, "ca")
	dir := t.TempDir()
	sdsFile := filepath.Join(dir, "sds.yaml")
	c1, k1 := pki.Issue(t, "edge-v1", false, "edge.test")
	writeAtomic(t, sdsFile, sdsFileYAML("edge-cert", c1, k1))
	boot := fmt.Sprintf(`admin:
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
static_resources:
  listeners:
  - name: edge
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            tls_certificate_sds_secret_configs:
            - name: edge-cert
              sds_config: {path_config_source: {path: %s}}
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: edge
          cluster: echo
  clusters:%s`, sdsFile, clusterYAML("echo", "ROUND_ROBIN", "", echo.Addr().String()))
	p := startSidewire(t, boot)
	addr := p.listener("edge")
	ccfg := &tls.Config{ServerName: "edge.test", RootCAs: pki.Pool()}
	served := func() (string, error) {
		c, err := tls.Dial("tcp", addr, ccfg)
		if err != nil {
			return "", err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if err := exchange(c, []byte("hello")); err != nil {
			return "", err
		}
		return c.ConnectionState().PeerCertificates[0].Subject.CommonName, nil
	}
	eventually(t, 10*time.Second, "the certificate from the SDS file", func() error {
		cn, err := served()
		if err != nil || cn != "edge-v1" {
			return fmt.Errorf("certificate %q, %v", cn, err)
		}
		return nil
	})
	c2, k2 := pki.Issue(t, "edge-v2", false, "edge.test")
	writeAtomic(t, sdsFile, sdsFileYAML("edge-cert", c2, k2))
	eventually(t, 10*time.Second, "the rotated certificate", func() error {
		cn, err := served()
		if err != nil || cn != "edge-v2" {
			return fmt.Errorf("certificate %q, %v", cn, err)
		}
		return nil
	})
	if n := p.stat("sds.edge-cert.update_success"); n < 2 {
		t.Errorf("sds.edge-cert.update_success = %d, want >= 2", n)
	}
	// A broken certificate is rejected, counted for its secret, and the
	// last good one stays.
	writeAtomic(t, sdsFile, sdsFileYAML("edge-cert", []byte("not a certificate"), k2))
	p.waitStat("sds.edge-cert.update_rejected", 1)
	if cn, err := served(); err != nil || cn != "edge-v2" {
		t.Errorf("after the rejected file: certificate %q, %v; want edge-v2", cn, err)
	}
}
