package xds

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/listener"
	"github.com/sidewire/sidewire/telemetry"
)

// setWithSecrets publishes listeners, clusters, assignments and secrets.
func (cp *controlPlane) setWithSecrets(version string, ls []*listenerv3.Listener, cs []*clusterv3.Cluster, las []*endpointv3.ClusterLoadAssignment, secrets ...*tlsv3.Secret) {
	cp.t.Helper()
	res := map[resource.Type][]types.Resource{}
	for _, l := range ls {
		res[resource.ListenerType] = append(res[resource.ListenerType], l)
	}
	for _, c := range cs {
		res[resource.ClusterType] = append(res[resource.ClusterType], c)
	}
	for _, la := range las {
		res[resource.EndpointType] = append(res[resource.EndpointType], la)
	}
	for _, s := range secrets {
		res[resource.SecretType] = append(res[resource.SecretType], s)
	}
	snap, err := cachev3.NewSnapshot(version, res)
	if err != nil {
		cp.t.Fatalf("new snapshot: %v", err)
	}
	if err := cp.cache.SetSnapshot(context.Background(), testNode, snap); err != nil {
		cp.t.Fatalf("set snapshot: %v", err)
	}
}

// sdsListener is a tcp_proxy listener whose chain terminates TLS with the
// certificate secret name, over ADS.
func sdsListener(t *testing.T, name, secret string) *listenerv3.Listener {
	l := tcpListener(t, name, 10443, "c1")
	l.FilterChains[0].TransportSocket = &corev3.TransportSocket{
		Name: tlsTransportSocketName,
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(t, &tlsv3.DownstreamTlsContext{
			CommonTlsContext: &tlsv3.CommonTlsContext{
				TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{
					Name:      secret,
					SdsConfig: &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}},
				}},
			},
		})},
	}
	return l
}

func certSecret(name string, chain, key []byte) *tlsv3.Secret {
	return &tlsv3.Secret{Name: name, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
		CertificateChain: &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: chain}},
		PrivateKey:       &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: key}},
	}}}
}

// tlsApplier serves the first applied listener's first chain as a TLS
// echo and feeds every update's secrets to its store, as the server does.
type tlsApplier struct {
	t       *testing.T
	secrets *listener.SecretStore
	mu      sync.Mutex
	addr    string
	updates []*Update
}

func (a *tlsApplier) ApplyXDS(u *Update) error {
	if err := a.secrets.Replace(u.Secrets); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.updates = append(a.updates, u)
	if a.addr != "" || len(u.Listeners) == 0 {
		return nil
	}
	fc := u.Listeners[0].FilterChains[0]
	term, err := listener.NewTLS(fc.TLS, a.secrets)
	if err != nil {
		return err
	}
	echo := listener.ConnHandlerFunc(func(_ context.Context, c *listener.Conn) {
		defer c.Stream().Close()
		io.Copy(c.Stream(), c.Stream())
	})
	ln, err := listener.New(&listener.Config{
		Listener: &config.Listener{Name: "sds", Address: config.Address{Host: "127.0.0.1"}},
		Chains:   []listener.Chain{{Config: fc, Handler: echo, TLS: term}},
	}, listener.Options{Stats: telemetry.NewStore().Root()})
	if err != nil {
		return err
	}
	go ln.Serve()
	a.t.Cleanup(ln.Close)
	a.addr = ln.Addr().String()
	return nil
}

func (a *tlsApplier) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.updates)
}

func (a *tlsApplier) wait(what string, ok func(*Update) bool) {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		a.mu.Lock()
		done := len(a.updates) > 0 && ok(a.updates[len(a.updates)-1])
		a.mu.Unlock()
		if done {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	a.t.Fatalf("no update %s in 10s", what)
}

func echoLine(c net.Conn, msg string) error {
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	_, err := io.ReadFull(c, got)
	return err
}

// TestSDSRotation: a listener naming an ADS secret warms until the secret
// arrives; a new version of the secret rotates the certificate for new
// connections while a connection made before keeps its session.
func TestSDSRotation(t *testing.T) {
	for _, delta := range []bool{false, true} {
		name := "sotw"
		if delta {
			name = "delta"
		}
		t.Run(name, func(t *testing.T) {
			cp := startTest(t)
			pki := testpeer.NewPKI(t, "ca")
			ls := []*listenerv3.Listener{sdsListener(t, "l1", "server-cert")}
			cs := []*clusterv3.Cluster{edsCluster("c1")}
			las := []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)}
			cp.setWithSecrets("1", ls, cs, las)
			app := &tlsApplier{t: t, secrets: listener.NewSecretStore()}
			var opts []func(*ADSConfig)
			if delta {
				opts = append(opts, useDelta)
			}
			c, _ := runClient(t, cp, app, opts...)
			if delta {
				cp.waitDelta("SDS subscription", func(r deltaRequest) bool {
					return r.req.GetTypeUrl() == SecretTypeURL && slices.Equal(r.req.GetResourceNamesSubscribe(), []string{"server-cert"})
				})
			} else {
				cp.waitRequest("SDS subscription", func(r streamRequest) bool {
					return r.req.GetTypeUrl() == SecretTypeURL && slices.Equal(r.req.GetResourceNames(), []string{"server-cert"})
				})
			}
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(c.Status().Warming, `secret "server-cert" (listener "l1")`) {
				if time.Now().After(deadline) {
					t.Fatalf("Warming = %q, want it waiting for the secret", c.Status().Warming)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if n := app.count(); n != 0 {
				t.Fatalf("%d updates applied before the secret arrived", n)
			}

			c1, k1 := pki.Issue(t, "v1", false, "sds.test")
			cp.setWithSecrets("2", ls, cs, las, certSecret("server-cert", c1, k1))
			app.wait("with the secret", func(u *Update) bool { return u.Secrets["server-cert"] != nil })
			ccfg := &tls.Config{ServerName: "sds.test", RootCAs: pki.Pool()}
			old, err := tls.Dial("tcp", app.addr, ccfg)
			if err != nil {
				t.Fatalf("dial before rotation: %v", err)
			}
			defer old.Close()
			old.SetDeadline(time.Now().Add(20 * time.Second))
			if err := echoLine(old, "v1"); err != nil {
				t.Fatal(err)
			}

			c2, k2 := pki.Issue(t, "v2", false, "sds.test")
			cp.setWithSecrets("3", ls, cs, las, certSecret("server-cert", c2, k2))
			app.wait("with the rotated secret", func(u *Update) bool {
				s := u.Secrets["server-cert"]
				return s != nil && string(s.Certificate.CertificateChain) == string(c2)
			})
			nc, err := tls.Dial("tcp", app.addr, ccfg)
			if err != nil {
				t.Fatalf("dial after rotation: %v", err)
			}
			defer nc.Close()
			if cn := nc.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "v2" {
				t.Errorf("new connection got certificate %q, want v2", cn)
			}
			if err := echoLine(old, "still there"); err != nil {
				t.Fatalf("connection from before the rotation: %v", err)
			}
			if cn := old.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "v1" {
				t.Errorf("old connection's certificate %q, want v1", cn)
			}

			// A bad secret is NACKed and the rotation stays.
			cp.setWithSecrets("4", ls, cs, las, certSecret("server-cert", c1, k2))
			if delta {
				cp.waitDelta("NACK of the bad secret", func(r deltaRequest) bool {
					return r.req.GetTypeUrl() == SecretTypeURL && r.req.GetErrorDetail() != nil
				})
			} else {
				cp.waitRequest("NACK of the bad secret", func(r streamRequest) bool {
					return r.req.GetTypeUrl() == SecretTypeURL && r.req.GetErrorDetail() != nil
				})
			}
			nc2, err := tls.Dial("tcp", app.addr, ccfg)
			if err != nil {
				t.Fatalf("dial after the NACK: %v", err)
			}
			nc2.Close()
			if cn := nc2.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "v2" {
				t.Errorf("after the NACK: certificate %q, want v2", cn)
			}
		})
	}
}

// TestConfigDumpRedactsPrivateKeys checks /config_dump hides the private
// key of a transport socket's certificate and keeps the certificate.
func TestConfigDumpRedactsPrivateKeys(t *testing.T) {
	raw := readFile(t, filepath.Join(bootstrapTestdata, "good", "tls-termination.yaml"))
	out, err := BootstrapConfigDump(raw, mustTime(t, "2026-01-02T03:04:05Z"))
	if err != nil {
		t.Fatalf("BootstrapConfigDump: %v", err)
	}
	if bytes.Contains(out, []byte("PRIVATE KEY")) {
		t.Errorf("config dump shows the private key:\n%s", out)
	}
	if !bytes.Contains(out, []byte("BEGIN CERTIFICATE")) {
		t.Errorf("config dump lost the certificate chain")
	}
	if !bytes.Contains(out, []byte(`"[redacted]"`)) {
		t.Errorf("config dump has no redacted value")
	}
}

func TestTranslateSecret(t *testing.T) {
	pki := testpeer.NewPKI(t, "ca")
	c1, k1 := pki.Issue(t, "a", false)
	_, k2 := pki.Issue(t, "b", false)
	tests := []struct {
		name    string
		s       *tlsv3.Secret
		wantErr string
	}{
		{"certificate", certSecret("s", c1, k1), ""},
		{"mismatched key", certSecret("s", c1, k2), `secret "s": parse certificate and private key`},
		{"validation", &tlsv3.Secret{Name: "v", Type: &tlsv3.Secret_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
			TrustedCa: &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: pki.CAPEM}},
		}}}, ""},
		{"empty", &tlsv3.Secret{Name: "e"}, "needs tls_certificate or validation_context"},
		{"generic", &tlsv3.Secret{Name: "g", Type: &tlsv3.Secret_GenericSecret{GenericSecret: &tlsv3.GenericSecret{}}}, "generic_secret: not supported"},
	}
	for _, tt := range tests {
		got, err := TranslateSecret(`secret "`+tt.s.GetName()+`"`, tt.s)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.wantErr)
		case tt.wantErr == "" && got.Name != tt.s.GetName():
			t.Errorf("%s: name %q", tt.name, got.Name)
		}
		if err != nil && bytes.Contains([]byte(err.Error()), k2) {
			t.Errorf("%s: error quotes the key", tt.name)
		}
	}
}

// resourceFileJSON renders a path config source file holding msgs.
func resourceFileJSON(t *testing.T, msgs ...proto.Message) []byte {
	t.Helper()
	var res []json.RawMessage
	for _, m := range msgs {
		b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			t.Fatal(err)
		}
		obj["@type"], _ = json.Marshal("type.googleapis.com/" + string(m.ProtoReflect().Descriptor().FullName()))
		b, _ = json.Marshal(obj)
		res = append(res, b)
	}
	out, err := json.Marshal(map[string]any{"resources": res})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSDSFileRotation: a listener (from an LDS file) takes its
// certificate from a secret file (path_config_source); the listener warms
// until the file holds the secret, and rewriting the file rotates the
// certificate for new connections only.
func TestSDSFileRotation(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	pki := testpeer.NewPKI(t, "ca")
	secretFile := filepath.Join(dir, "secrets.json")
	l := sdsListener(t, "l1", "file-cert")
	dtc := &tlsv3.DownstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
		TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{
			Name: "file-cert",
			SdsConfig: &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_PathConfigSource{
				PathConfigSource: &corev3.PathConfigSource{Path: secretFile},
			}},
		}},
	}}
	l.FilterChains[0].TransportSocket.ConfigType = &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(t, dtc)}
	replaceFile(t, filepath.Join(dir, "lds.yaml"), string(resourceFileJSON(t, l)))
	replaceFile(t, filepath.Join(dir, "cds.yaml"), staticClusterFile("v1", 20001))
	app := &tlsApplier{t: t, secrets: listener.NewSecretStore()}
	c, stop := runClient(t, nil, app, fileSources(dir, nil))
	defer stop()

	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.Status().Warming, `secret "file-cert" (listener "l1")`) {
		if time.Now().After(deadline) {
			t.Fatalf("Warming = %q, want it waiting for the file secret", c.Status().Warming)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c1, k1 := pki.Issue(t, "file-v1", false, "sds.test")
	replaceFile(t, secretFile, string(resourceFileJSON(t, certSecret("file-cert", c1, k1), certSecret("unused", c1, k1))))
	app.wait("with the file secret", func(u *Update) bool { return u.Secrets["file-cert"] != nil })
	ccfg := &tls.Config{ServerName: "sds.test", RootCAs: pki.Pool()}
	held, err := tls.Dial("tcp", app.addr, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	held.SetDeadline(time.Now().Add(20 * time.Second))
	if err := echoLine(held, "v1"); err != nil {
		t.Fatal(err)
	}

	c2, k2 := pki.Issue(t, "file-v2", false, "sds.test")
	replaceFile(t, secretFile, string(resourceFileJSON(t, certSecret("file-cert", c2, k2))))
	app.wait("with the rotated file secret", func(u *Update) bool {
		s := u.Secrets["file-cert"]
		return s != nil && string(s.Certificate.CertificateChain) == string(c2)
	})
	if app.lastUpdate().Secrets["unused"] != nil {
		t.Error("a secret no listener names was kept")
	}
	nc, err := tls.Dial("tcp", app.addr, ccfg)
	if err != nil {
		t.Fatalf("dial after rotation: %v", err)
	}
	nc.Close()
	if cn := nc.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "file-v2" {
		t.Errorf("new connection: certificate %q, want file-v2", cn)
	}
	if err := echoLine(held, "after"); err != nil {
		t.Fatalf("held connection after rotation: %v", err)
	}
	if cn := held.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "file-v1" {
		t.Errorf("held connection: certificate %q, want file-v1", cn)
	}

	// A bad file is rejected and the last good secret stays.
	replaceFile(t, secretFile, string(resourceFileJSON(t, certSecret("file-cert", c1, k2))))
	deadline = time.Now().Add(5 * time.Second)
	for c.Status().Rejected == 0 {
		if time.Now().After(deadline) {
			t.Fatal("bad secret file not rejected")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := app.lastUpdate().Secrets["file-cert"]; string(s.Certificate.CertificateChain) != string(c2) {
		t.Error("the rejected file replaced the secret")
	}
	stop()
}

func (a *tlsApplier) lastUpdate() *Update {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.updates[len(a.updates)-1]
}
