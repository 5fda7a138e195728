package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/tlsctx"
	"github.com/sidewire/sidewire/telemetry"
)

// tlsServer is a crypto/tls server that requires a client certificate
// chaining to its CA and writes back the client's common name.
func tlsServer(t *testing.T, pki *testpeer.PKI) *server {
	cert := pki.KeyPair(t, "upstream", false, "upstream.test")
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pki.Pool(), ClientAuth: tls.RequireAndVerifyClientCert}
	return startServer(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if err := tc.Handshake(); err != nil {
			return
		}
		io.WriteString(tc, tc.ConnectionState().PeerCertificates[0].Subject.CommonName+"\n")
	})
}

func tlsEnv(t *testing.T) (*env, *tlsctx.Store) {
	store := telemetry.NewStore()
	secrets := tlsctx.NewStore()
	m := NewManager(Options{Stats: store.Root(), Logger: slog.New(slog.DiscardHandler), Secrets: secrets})
	t.Cleanup(func() {
		m.Close()
		checkNoLeaks(t)
	})
	return &env{m: m, store: store}, secrets
}

func certSecret(t *testing.T, pki *testpeer.PKI, name, cn string) *config.Secret {
	c, k := pki.Issue(t, cn, true)
	return &config.Secret{Name: name, Certificate: &config.TLSCertificate{CertificateChain: c, PrivateKey: k}}
}

// firstLine connects through c and returns what the server wrote.
func firstLine(t *testing.T, c *Cluster) (string, error) {
	t.Helper()
	up, err := c.Connect(context.Background(), LBContext{})
	if err != nil {
		return "", err
	}
	defer up.Close()
	b, err := io.ReadAll(up.Stream())
	return strings.TrimSpace(string(b)), err
}

// TestUpstreamTLSSecretsRotate: a cluster whose client certificate and
// validation context come from SDS fails to connect until they arrive,
// then presents the certificate, and a rotated one on new connections.
func TestUpstreamTLSSecretsRotate(t *testing.T) {
	pki := testpeer.NewPKI(t, "ca")
	srv := tlsServer(t, pki)
	e, secrets := tlsEnv(t)
	cfg := staticCluster("tls", config.RoundRobin, srv.addr)
	cfg.TLS = &config.UpstreamTLS{
		SNI:                "upstream.test",
		CertificateSecrets: []config.SecretRef{{Name: "client"}},
		ValidationSecret:   &config.SecretRef{Name: "ca"},
	}
	e.update(t, cfg)
	c := e.cluster(t, "tls")

	if _, err := firstLine(t, c); err == nil || !strings.Contains(err.Error(), `certificate secret "client" has not arrived`) {
		t.Fatalf("connect before the secrets: %v, want the missing secret named", err)
	}
	ca := &config.Secret{Name: "ca", Validation: &config.CertificateValidation{
		TrustedCA:       pki.CAPEM,
		SubjectAltNames: []config.SANMatch{{Type: config.SANDNS, Match: config.StringMatch{Kind: config.MatchExact, Value: "upstream.test"}}},
	}}
	if err := secrets.Replace(map[string]*config.Secret{"client": certSecret(t, pki, "client", "one"), "ca": ca}); err != nil {
		t.Fatal(err)
	}
	if got, err := firstLine(t, c); err != nil || got != "one" {
		t.Fatalf("server saw client %q, %v; want one", got, err)
	}
	if err := secrets.Replace(map[string]*config.Secret{"client": certSecret(t, pki, "client", "two"), "ca": ca}); err != nil {
		t.Fatal(err)
	}
	if got, err := firstLine(t, c); err != nil || got != "two" {
		t.Fatalf("after rotation the server saw client %q, %v; want two", got, err)
	}
	if n := e.counter("tls", "ssl.handshake"); n != 2 {
		t.Errorf("ssl.handshake = %d, want 2", n)
	}
	if n := e.counter("tls", "ssl.connection_error"); n != 1 {
		t.Errorf("ssl.connection_error = %d, want 1 (the connect before the secrets)", n)
	}
}

// TestUpstreamTLSWithoutValidation: as in Envoy, a context without a
// validation context accepts any server certificate; a server that does
// not speak TLS fails the connect.
func TestUpstreamTLSWithoutValidation(t *testing.T) {
	pki := testpeer.NewPKI(t, "ca")
	srv := tlsServer(t, pki)
	plain := startServer(t, func(c net.Conn) { io.WriteString(c, "not tls at all, sorry\n") })
	e, _ := tlsEnv(t)
	c, k := pki.Issue(t, "static", true)
	withTLS := func(name string, s *server) *config.Cluster {
		cfg := staticCluster(name, config.RoundRobin, s.addr)
		cfg.TLS = &config.UpstreamTLS{Certificates: []config.TLSCertificate{{CertificateChain: c, PrivateKey: k}}}
		return cfg
	}
	e.update(t, withTLS("any", srv), withTLS("plain", plain))
	if got, err := firstLine(t, e.cluster(t, "any")); err != nil || got != "static" {
		t.Fatalf("server saw client %q, %v; want static", got, err)
	}
	_, err := firstLine(t, e.cluster(t, "plain"))
	var ce *ConnectError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "tls handshake") {
		t.Fatalf("connect to a plaintext server: %v, want a ConnectError from the handshake", err)
	}
	if n := e.counter("plain", "upstream_cx_connect_fail"); n != 1 {
		t.Errorf("upstream_cx_connect_fail = %d, want 1", n)
	}
}

// TestUpstreamTLSValidation rejects what the runtime cannot use.
func TestUpstreamTLSValidation(t *testing.T) {
	e := newEnv(t, nil)
	cfg := staticCluster("x", config.RoundRobin, refusedAddr(t))
	cfg.TLS = &config.UpstreamTLS{CertificateSecrets: []config.SecretRef{{Name: "c"}}}
	if err := e.m.Update([]*config.Cluster{cfg}); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "no secret store") {
		t.Errorf("Update with secrets and no store: %v", err)
	}
	cfg.TLS = &config.UpstreamTLS{Validation: &config.CertificateValidation{TrustedCA: []byte("not pem")}}
	if err := e.m.Update([]*config.Cluster{cfg}); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "trusted_ca") {
		t.Errorf("Update with a bad CA: %v", err)
	}
}

// TestUpstreamTLSHealthCheck: health checks of a TLS cluster handshake
// as its connections do, so a host that accepts TCP but not the cluster's
// TLS is unhealthy.
func TestUpstreamTLSHealthCheck(t *testing.T) {
	pki := testpeer.NewPKI(t, "ca")
	good := tlsServer(t, pki)
	plain := startServer(t, holdOpen)
	e, _ := tlsEnv(t)
	c, k := pki.Issue(t, "hc", true)
	cfg := staticCluster("tls", config.RoundRobin, good.addr, plain.addr)
	cfg.TLS = &config.UpstreamTLS{
		Certificates: []config.TLSCertificate{{CertificateChain: c, PrivateKey: k}},
		Validation:   &config.CertificateValidation{TrustedCA: pki.CAPEM},
	}
	cfg.HealthChecks = []config.HealthCheck{fastHC(nil)}
	e.update(t, cfg)
	cl := e.cluster(t, "tls")
	eventually(t, 5*time.Second, "the TLS host healthy", wantFlags(hostByAddr(cl, good.addr), "healthy"))
	eventually(t, 5*time.Second, "the plaintext host unhealthy", wantFlags(hostByAddr(cl, plain.addr), "/failed_active_hc"))
}
