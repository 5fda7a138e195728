package httpproxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
)

// A chain that terminates TLS serves HTTP/2 to clients that negotiate
// "h2" with ALPN and HTTP/1.1 to the others; upstream the cluster's own
// TLS carries HTTP/2.
func TestTLS(t *testing.T) {
	pki := testpeer.NewPKI(t, "ca")
	crt, key := pki.Issue(t, "proxy.test", false, "proxy.test")
	be := startTLSBackend(t, pki.KeyPair(t, "backend.test", false, "backend.test"))
	up := withHTTP2(clusterOf("tls", config.Endpoint{Address: config.Address{Host: "127.0.0.1", Port: uint32(be.addr.Port)}, Weight: 1}))
	up.TLS = &config.UpstreamTLS{SNI: "backend.test", ALPN: []string{"h2"},
		Validation: &config.CertificateValidation{TrustedCA: pki.CAPEM}}
	p := startProxyOpts(t, hcm(anyHost(toCluster("/", "tls"))), proxyOpts{tls: &config.DownstreamTLS{
		Certificates: []config.TLSCertificate{{CertificateChain: crt, PrivateKey: key}},
		ALPN:         []string{"h2", "http/1.1"},
	}}, up)
	for _, h2 := range []bool{true, false} {
		c := tlsClient(t, &tls.Config{ServerName: "proxy.test", RootCAs: pki.Pool()}, h2)
		res, body := do(t, c, http.MethodPost, "https://"+p.addr+"/secure", nil, "over tls")
		want := "HTTP/1.1"
		if h2 {
			want = "HTTP/2.0"
		}
		if res.StatusCode != 200 || body != "over tls" || res.Proto != want {
			t.Errorf("h2=%v: %d %q via %s, want 200 via %s", h2, res.StatusCode, body, res.Proto, want)
		}
		if got := res.Header.Get("X-Req-X-Forwarded-Proto"); got != "https" {
			t.Errorf("h2=%v: x-forwarded-proto %q", h2, got)
		}
		if got := res.Header.Get("X-Echo-Proto") + " " + res.Header.Get("X-Echo-Tls"); got != "HTTP/2.0 h2" {
			t.Errorf("h2=%v: upstream saw %q, want HTTP/2.0 over TLS with ALPN h2", h2, got)
		}
	}
}

// startTLSBackend is an echo backend that speaks HTTP/2 and HTTP/1.1
// over TLS; X-Echo-Tls tells the negotiated protocol.
func startTLSBackend(t testing.TB, cert tls.Certificate) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{name: "tls", addr: ln.Addr().(*net.TCPAddr)}
	echo := echoHandler("tls")
	b.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b.hits.Add(1)
			if r.TLS != nil {
				w.Header().Set("X-Echo-Tls", r.TLS.NegotiatedProtocol)
			}
			echo.ServeHTTP(w, r)
		}),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}},
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.srv.ServeTLS(ln, "", "")
	}()
	t.Cleanup(func() {
		b.srv.Close()
		<-done
	})
	return b
}

// Draining an HTTP/2 connection sends GOAWAY; the stream in flight
// completes and the connection closes after it.
func TestDrainHTTP2(t *testing.T) {
	started := make(chan struct{})
	be := startBackend(t, "be", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		w.Write([]byte("done"))
	}))
	p := startProxy(t, hcm(anyHost(toCluster("/", "be"))), staticCluster("be", be))
	conn, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	conn.Write([]byte(http2.ClientPreface))
	fr := http2.NewFramer(conn, conn)
	fr.WriteSettings()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":path", "/slow"}, {":authority", "drain.test"}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	<-started
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.ln.Drain(ctx)
	}()
	var goAway *http2.GoAwayFrame
	var body []byte
	ended := false
	for !ended {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("read frame: %v (goaway %v, body %q)", err, goAway != nil, body)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.GoAwayFrame:
			goAway = f
		case *http2.DataFrame:
			body = append(body, f.Data()...)
			ended = f.StreamEnded()
		case *http2.HeadersFrame:
			ended = f.StreamEnded()
		}
	}
	if goAway == nil || goAway.ErrCode != http2.ErrCodeNo || goAway.LastStreamID < 1 {
		t.Fatalf("goaway before the stream ended: %+v", goAway)
	}
	if string(body) != "done" {
		t.Errorf("in-flight stream body %q, want done", body)
	}
	// The proxy closes the connection now that it has no stream.
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Errorf("connection did not end cleanly: %v", err)
	}
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
		t.Fatal("listener did not drain")
	}
}
