package tcpproxy

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/listener"
	"github.com/sidewire/sidewire/telemetry"
)

// startTLSProxy serves a tcp_proxy to an echo server behind a listener
// that terminates TLS with a certificate of p for "echo.test".
func startTLSProxy(t *testing.T, p *testpeer.PKI, echo *net.TCPAddr, tlsCfg *config.DownstreamTLS) (string, *telemetry.Store) {
	t.Helper()
	leakcheck.Check(t)
	store := telemetry.NewStore()
	cm := cluster.NewManager(cluster.Options{Stats: store.Root()})
	t.Cleanup(cm.Close)
	err := cm.Update([]*config.Cluster{{
		Name: "echo", Type: config.Static, ConnectTimeout: time.Second,
		LoadAssignment: &config.LoadAssignment{Localities: []config.LocalityEndpoints{{Endpoints: []config.Endpoint{{
			Address: config.Address{Host: "127.0.0.1", Port: uint32(echo.Port)}, Weight: 1,
		}}}}},
	}})
	if err != nil {
		t.Fatalf("update clusters: %v", err)
	}
	f, err := New(&config.TCPProxy{StatPrefix: "tls", Cluster: "echo", MaxConnectAttempts: 1}, Deps{Clusters: cm, Stats: store.Root()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	term, err := listener.NewTLS(tlsCfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	fc := &config.FilterChain{Filters: []config.NetworkFilter{f.cfg}, TLS: tlsCfg}
	ln, err := listener.New(&listener.Config{
		Listener: &config.Listener{Name: "tls", Address: config.Address{Host: "127.0.0.1"}},
		Chains:   []listener.Chain{{Config: fc, Handler: f, TLS: term}},
	}, listener.Options{Stats: store.Root()})
	if err != nil {
		t.Fatal(err)
	}
	go ln.Serve()
	t.Cleanup(ln.Close)
	return ln.Addr().String(), store
}

func TestTLSTerminatedTCPProxy(t *testing.T) {
	p := testpeer.NewPKI(t, "ca")
	echo := testpeer.StartEcho(t)
	c, k := p.Issue(t, "echo.test", false, "echo.test")
	addr, store := startTLSProxy(t, p, echo.Addr(), &config.DownstreamTLS{
		Certificates: []config.TLSCertificate{{CertificateChain: c, PrivateKey: k}},
		ALPN:         []string{"echo"},
	})
	conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "echo.test", RootCAs: p.Pool(), NextProtos: []string{"echo"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if got := conn.ConnectionState().NegotiatedProtocol; got != "echo" {
		t.Errorf("alpn %q, want echo", got)
	}
	// Large enough to cross many TLS records and copy buffers both ways.
	payload := make([]byte, 1<<20)
	rand.Read(payload)
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Write(payload)
		if err == nil {
			err = conn.CloseWrite() // close_notify: the proxy half-closes upstream
		}
		errc <- err
	}()
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("read echo: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("echo returned %d bytes, want the %d sent", len(got), len(payload))
	}
	s := store.Root().Sub("tcp").Tagged("envoy_tcp_prefix", "tls")
	waitFor(t, func() bool { return s.Counter("downstream_cx_rx_bytes_total").Value() == uint64(len(payload)) })
	if tx := s.Counter("downstream_cx_tx_bytes_total").Value(); tx != uint64(len(payload)) {
		t.Errorf("tx bytes %d, want %d", tx, len(payload))
	}
}

func TestTLSTerminatedTCPProxyRejectsPlaintext(t *testing.T) {
	p := testpeer.NewPKI(t, "ca")
	echo := testpeer.StartEcho(t)
	c, k := p.Issue(t, "echo.test", false, "echo.test")
	addr, _ := startTLSProxy(t, p, echo.Addr(), &config.DownstreamTLS{Certificates: []config.TLSCertificate{{CertificateChain: c, PrivateKey: k}}})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	conn.Write([]byte("PING plaintext\r\n\r\n\r\n"))
	b, _ := io.ReadAll(conn)
	if bytes.Contains(b, []byte("PING")) {
		t.Fatalf("plaintext reached the upstream echo: %q", b)
	}
	if echo.Served() != 0 {
		t.Fatalf("echo served %d connections, want 0", echo.Served())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
