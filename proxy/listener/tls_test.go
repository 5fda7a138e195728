package listener

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

// echoHandler echoes the connection's stream and records whether it was
// TLS.
func echoHandler() ConnHandler {
	return ConnHandlerFunc(func(_ context.Context, c *Conn) {
		defer c.Stream().Close()
		io.Copy(c.Stream(), c.Stream())
	})
}

// startTLS serves chains on a new listener and returns its address and
// stats store.
func startTLS(t *testing.T, chains ...Chain) (string, *telemetry.Store) {
	t.Helper()
	leakcheck.Check(t)
	store := telemetry.NewStore()
	l := &config.Listener{Name: "tls", Address: config.Address{Host: "127.0.0.1"}, TLSInspector: true, ListenerFilterTimeout: 5 * time.Second}
	for i := range chains {
		if chains[i].Handler == nil {
			chains[i].Handler = echoHandler()
		}
	}
	ln, err := New(&Config{Listener: l, Chains: chains}, Options{Stats: store.Root()})
	if err != nil {
		t.Fatalf("new listener: %v", err)
	}
	go ln.Serve()
	t.Cleanup(ln.Close)
	return ln.Addr().String(), store
}

func tlsChain(t *testing.T, cfg *config.DownstreamTLS, secrets *SecretStore, m config.FilterChainMatch) Chain {
	t.Helper()
	tt, err := NewTLS(cfg, secrets)
	if err != nil {
		t.Fatalf("new tls: %v", err)
	}
	return Chain{Config: &config.FilterChain{Match: m, TLS: cfg}, TLS: tt}
}

func staticTLSConfig(t *testing.T, p *testpeer.PKI, cn string) *config.DownstreamTLS {
	t.Helper()
	c, k := p.Issue(t, cn, false, cn)
	return &config.DownstreamTLS{Certificates: []config.TLSCertificate{{CertificateChain: c, PrivateKey: k}}}
}

// roundTrip dials addr with cfg, checks an echo and returns the session.
func roundTrip(t *testing.T, addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := echoOnce(c, "ping"); err != nil {
		return tls.ConnectionState{}, err
	}
	return c.ConnectionState(), nil
}

func echoOnce(c net.Conn, msg string) error {
	if _, err := c.Write([]byte(msg)); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if string(got) != msg {
		return errors.New("echo mismatch: " + string(got))
	}
	return nil
}

func leafCN(st tls.ConnectionState) string { return st.PeerCertificates[0].Subject.CommonName }

func TestTLSTerminationSNIAndALPN(t *testing.T) {
	p := testpeer.NewPKI(t, "ca")
	a := staticTLSConfig(t, p, "a.example.com")
	a.ALPN = []string{"h2", "redis"}
	b := staticTLSConfig(t, p, "b.example.com")
	addr, store := startTLS(t,
		tlsChain(t, a, nil, config.FilterChainMatch{ServerNames: []string{"a.example.com"}}),
		tlsChain(t, b, nil, config.FilterChainMatch{ServerNames: []string{"b.example.com"}}),
	)
	tests := []struct {
		sni, wantCN string
		alpn        []string
		wantProto   string
	}{
		{"a.example.com", "a.example.com", []string{"redis"}, "redis"},
		{"a.example.com", "a.example.com", nil, ""},
		{"b.example.com", "b.example.com", []string{"redis"}, ""},
	}
	for _, tt := range tests {
		st, err := roundTrip(t, addr, &tls.Config{ServerName: tt.sni, RootCAs: p.Pool(), NextProtos: tt.alpn})
		if err != nil {
			t.Fatalf("%s %v: %v", tt.sni, tt.alpn, err)
		}
		if got := leafCN(st); got != tt.wantCN {
			t.Errorf("%s: certificate %q, want %q", tt.sni, got, tt.wantCN)
		}
		if st.NegotiatedProtocol != tt.wantProto {
			t.Errorf("%s %v: alpn %q, want %q", tt.sni, tt.alpn, st.NegotiatedProtocol, tt.wantProto)
		}
	}
	if got := store.Root().Sub("listener").Tagged("envoy_listener_address", "127.0.0.1_"+portOf(addr)).Counter("ssl.handshake").Value(); got != 3 {
		t.Errorf("ssl.handshake = %d, want 3", got)
	}
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func TestTLSVersionBounds(t *testing.T) {
	p := testpeer.NewPKI(t, "ca")
	cfg := staticTLSConfig(t, p, "v.example.com")
	cfg.MinVersion = tls.VersionTLS13
	addr, _ := startTLS(t, tlsChain(t, cfg, nil, config.FilterChainMatch{}))
	if _, err := roundTrip(t, addr, &tls.Config{ServerName: "v.example.com", RootCAs: p.Pool(), MaxVersion: tls.VersionTLS12}); err == nil {
		t.Fatal("a TLS 1.2 client got through a TLS 1.3-only listener")
	}
	st, err := roundTrip(t, addr, &tls.Config{ServerName: "v.example.com", RootCAs: p.Pool()})
	if err != nil {
		t.Fatalf("tls 1.3 client: %v", err)
	}
	if st.Version != tls.VersionTLS13 {
		t.Errorf("version %x, want TLS 1.3", st.Version)
	}
}

func TestTLSClientCertificates(t *testing.T) {
	server, clients, other := testpeer.NewPKI(t, "server-ca"), testpeer.NewPKI(t, "client-ca"), testpeer.NewPKI(t, "other-ca")
	cfg := staticTLSConfig(t, server, "m.example.com")
	cfg.RequireClientCertificate = true
	cfg.Validation = &config.CertificateValidation{
		TrustedCA:       clients.CAPEM,
		SubjectAltNames: []config.SANMatch{{Type: config.SANDNS, Match: config.StringMatch{Kind: config.MatchSuffix, Value: ".allowed.test"}}},
	}
	addr, store := startTLS(t, tlsChain(t, cfg, nil, config.FilterChainMatch{}))
	tests := []struct {
		name string
		cert []tls.Certificate
		ok   bool
	}{
		{"no certificate", nil, false},
		{"untrusted ca", []tls.Certificate{other.KeyPair(t, "x", true, "x.allowed.test")}, false},
		{"san mismatch", []tls.Certificate{clients.KeyPair(t, "x", true, "x.denied.test")}, false},
		{"valid", []tls.Certificate{clients.KeyPair(t, "x", true, "x.allowed.test")}, true},
	}
	for _, tt := range tests {
		_, err := roundTrip(t, addr, &tls.Config{ServerName: "m.example.com", RootCAs: server.Pool(), Certificates: tt.cert})
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	if got := store.Root().Sub("listener").Tagged("envoy_listener_address", "127.0.0.1_"+portOf(addr)).Counter("ssl.connection_error").Value(); got != 3 {
		t.Errorf("ssl.connection_error = %d, want 3", got)
	}
}

// TestSecretRotation: a connection made before a rotation keeps its
// session and keeps working; new handshakes get the new certificate; a
// secret that goes away fails new handshakes only.
func TestSecretRotation(t *testing.T) {
	p := testpeer.NewPKI(t, "ca")
	secrets := NewSecretStore()
	c1, k1 := p.Issue(t, "v1", false, "s.example.com")
	if err := secrets.Replace(map[string]*config.Secret{"cert": {Name: "cert", Certificate: &config.TLSCertificate{CertificateChain: c1, PrivateKey: k1}}}); err != nil {
		t.Fatal(err)
	}
	cfg := &config.DownstreamTLS{CertificateSecrets: []config.SecretRef{{Name: "cert"}}}
	addr, _ := startTLS(t, tlsChain(t, cfg, secrets, config.FilterChainMatch{}))
	ccfg := &tls.Config{ServerName: "s.example.com", RootCAs: p.Pool()}

	old, err := tls.Dial("tcp", addr, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	old.SetDeadline(time.Now().Add(10 * time.Second))
	if err := echoOnce(old, "before"); err != nil {
		t.Fatal(err)
	}

	c2, k2 := p.Issue(t, "v2", false, "s.example.com")
	if err := secrets.Replace(map[string]*config.Secret{"cert": {Name: "cert", Certificate: &config.TLSCertificate{CertificateChain: c2, PrivateKey: k2}}}); err != nil {
		t.Fatal(err)
	}
	st, err := roundTrip(t, addr, ccfg)
	if err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if got := leafCN(st); got != "v2" {
		t.Errorf("new connection sees %q, want v2", got)
	}
	if err := echoOnce(old, "after"); err != nil {
		t.Fatalf("connection from before the rotation: %v", err)
	}
	if got := leafCN(old.ConnectionState()); got != "v1" {
		t.Errorf("old connection's certificate %q, want v1", got)
	}

	// A bad secret is rejected whole and changes nothing.
	err = secrets.Replace(map[string]*config.Secret{"cert": {Name: "cert", Certificate: &config.TLSCertificate{CertificateChain: c2, PrivateKey: k1}}})
	if err == nil {
		t.Fatal("mismatched key accepted")
	}
	if bytes.Contains([]byte(err.Error()), k1) {
		t.Fatal("error quotes the private key")
	}
	if st, err := roundTrip(t, addr, ccfg); err != nil || leafCN(st) != "v2" {
		t.Fatalf("after rejected secret: %v", err)
	}

	if err := secrets.Replace(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(t, addr, ccfg); err == nil {
		t.Fatal("handshake succeeded without its secret")
	}
	if err := echoOnce(old, "still"); err != nil {
		t.Fatalf("old connection after the secret went: %v", err)
	}
}

func TestValidationSecret(t *testing.T) {
	server, clients := testpeer.NewPKI(t, "server-ca"), testpeer.NewPKI(t, "client-ca")
	secrets := NewSecretStore()
	cfg := staticTLSConfig(t, server, "v.example.com")
	cfg.RequireClientCertificate = true
	cfg.ValidationSecret = &config.SecretRef{Name: "ca"}
	addr, _ := startTLS(t, tlsChain(t, cfg, secrets, config.FilterChainMatch{}))
	ccfg := &tls.Config{ServerName: "v.example.com", RootCAs: server.Pool(), Certificates: []tls.Certificate{clients.KeyPair(t, "c", true)}}
	if _, err := roundTrip(t, addr, ccfg); err == nil {
		t.Fatal("handshake before the validation secret arrived")
	}
	if err := secrets.Replace(map[string]*config.Secret{"ca": {Name: "ca", Validation: &config.CertificateValidation{TrustedCA: clients.CAPEM}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(t, addr, ccfg); err != nil {
		t.Fatalf("with validation secret: %v", err)
	}
}

func TestNewTLSRejectsBadStatic(t *testing.T) {
	p := testpeer.NewPKI(t, "ca")
	c, _ := p.Issue(t, "a", false)
	_, k := p.Issue(t, "b", false)
	tests := map[string]*config.DownstreamTLS{
		"mismatched key": {Certificates: []config.TLSCertificate{{CertificateChain: c, PrivateKey: k}}},
		"garbage ca":     {Certificates: []config.TLSCertificate{{CertificateChain: c, PrivateKey: k}}, Validation: &config.CertificateValidation{TrustedCA: []byte("nope")}},
	}
	for name, cfg := range tests {
		if _, err := NewTLS(cfg, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewTLS(&config.DownstreamTLS{CertificateSecrets: []config.SecretRef{{Name: "x"}}}, nil); err == nil {
		t.Error("secrets without a store accepted")
	}
}

// TestPlainChainBesideTLS: a listener serves TLS and plain chains, chosen
// by transport protocol.
func TestPlainChainBesideTLS(t *testing.T) {
	p := testpeer.NewPKI(t, "ca")
	addr, _ := startTLS(t,
		tlsChain(t, staticTLSConfig(t, p, "t.example.com"), nil, config.FilterChainMatch{TransportProtocol: "tls"}),
		Chain{Config: &config.FilterChain{Match: config.FilterChainMatch{TransportProtocol: "raw_buffer"}}},
	)
	if _, err := roundTrip(t, addr, &tls.Config{ServerName: "t.example.com", RootCAs: p.Pool()}); err != nil {
		t.Fatalf("tls: %v", err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := echoOnce(c, "plain"); err != nil {
		t.Fatalf("plain: %v", err)
	}
}

// BenchmarkServerConfig measures what each handshake pays to pick up the
// current secrets: loading the slots and reusing the cached tls.Config.
func BenchmarkServerConfig(b *testing.B) {
	p := testpeer.NewPKI(b, "ca")
	c, k := p.Issue(b, "bench", false, "bench.test")
	secrets := NewSecretStore()
	if err := secrets.Replace(map[string]*config.Secret{"cert": {Name: "cert", Certificate: &config.TLSCertificate{CertificateChain: c, PrivateKey: k}}}); err != nil {
		b.Fatal(err)
	}
	tt, err := NewTLS(&config.DownstreamTLS{CertificateSecrets: []config.SecretRef{{Name: "cert"}}}, secrets)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tt.ServerConfig(); err != nil {
			b.Fatal(err)
		}
	}
}
