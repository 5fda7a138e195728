package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	goredis "github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sidewire/sidewire/internal/testpeer"
)

// writePEM writes b to a file in dir and returns its path.
func writePEM(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTLSTerminationStatic runs the binary with TLS terminated on a
// tcp_proxy listener (ALPN) and a redis_proxy listener that requires
// client certificates, certificates read from files.
func TestTLSTerminationStatic(t *testing.T) {
	echo := testpeer.StartEcho(t)
	rds := testpeer.StartRedis(t)
	pki, clients := testpeer.NewPKI(t, "server-ca"), testpeer.NewPKI(t, "client-ca")
	dir := t.TempDir()
	c, k := pki.Issue(t, "sidewire.test", false, "sidewire.test")
	certFile, keyFile := writePEM(t, dir, "cert.pem", c), writePEM(t, dir, "key.pem", k)
	caFile := writePEM(t, dir, "client-ca.pem", clients.CAPEM)
	rhost, rport, _ := net.SplitHostPort(rds.Addr())
	bootstrap := fmt.Sprintf(`admin:
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
static_resources:
  listeners:
  - name: tls-echo
    stat_prefix: tls_echo
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            alpn_protocols: [echo]
            tls_certificates:
            - certificate_chain: {filename: %[1]s}
              private_key: {filename: %[2]s}
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: tls_echo
          cluster: echo
  - name: tls-redis
    stat_prefix: tls_redis
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          require_client_certificate: true
          common_tls_context:
            tls_certificates:
            - certificate_chain: {filename: %[1]s}
              private_key: {filename: %[2]s}
            validation_context:
              trusted_ca: {filename: %[3]s}
      filters:
      - name: envoy.filters.network.redis_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy
          stat_prefix: tls_redis
          settings: {op_timeout: 2s}
          prefix_routes: {catch_all_route: {cluster: redis}}
  clusters:
  - name: echo
    type: STATIC
    load_assignment:
      cluster_name: echo
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: %[4]d}}}
  - name: redis
    type: STATIC
    load_assignment:
      cluster_name: redis
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: %[5]s, port_value: %[6]s}}}
`, certFile, keyFile, caFile, echo.Addr().Port, rhost, rport)
	p := startSidewire(t, bootstrap)

	// tcp_proxy: TLS with ALPN, a payload echoed through the upstream.
	conn, err := tls.Dial("tcp", p.listener("tls-echo"), &tls.Config{ServerName: "sidewire.test", RootCAs: pki.Pool(), NextProtos: []string{"echo"}})
	if err != nil {
		t.Fatalf("tls dial: %v", err)
	}
	defer conn.Close()
	if got := conn.ConnectionState().NegotiatedProtocol; got != "echo" {
		t.Errorf("alpn %q, want echo", got)
	}
	payload := []byte(strings.Repeat("through tls ", 4096))
	if err := exchange(conn, payload); err != nil {
		t.Fatalf("echo over tls: %v", err)
	}
	// Plaintext to the TLS listener does not reach the upstream.
	served := echo.Served()
	if err := echoVia(p.listener("tls-echo"), []byte("plain")); err == nil {
		t.Error("plaintext echoed through a TLS listener")
	}
	if echo.Served() != served {
		t.Errorf("plaintext connection reached the upstream")
	}

	// redis_proxy with go-redis over TLS and a client certificate.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cli := newGoRedis(t, &goredis.Options{Addr: p.listener("tls-redis"), Protocol: 2, TLSConfig: &tls.Config{
		ServerName: "sidewire.test", RootCAs: pki.Pool(), Certificates: []tls.Certificate{clients.KeyPair(t, "app", true)},
	}})
	if err := cli.Set(ctx, "tls-key", "tls-value", 0).Err(); err != nil {
		t.Fatalf("SET over tls: %v", err)
	}
	pipe := cli.Pipeline()
	gets := make([]*goredis.StringCmd, 50)
	for i := range gets {
		gets[i] = pipe.Get(ctx, "tls-key")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatalf("pipelined GETs over tls: %v", err)
	}
	for i, g := range gets {
		if g.Val() != "tls-value" {
			t.Fatalf("GET %d = %q, want tls-value", i, g.Val())
		}
	}
	// Without a client certificate the handshake fails.
	anon := newGoRedis(t, &goredis.Options{Addr: p.listener("tls-redis"), Protocol: 2, MaxRetries: -1, TLSConfig: &tls.Config{
		ServerName: "sidewire.test", RootCAs: pki.Pool(),
	}})
	if err := anon.Ping(ctx).Err(); err == nil {
		t.Error("PING without a client certificate succeeded")
	}
	// The client can see the handshake fail before the listener has
	// counted it (TLS 1.3 clients finish first).
	p.waitStat("listener.tls_redis.ssl.connection_error", 1)
	if got := p.stat("listener.tls_echo.ssl.handshake"); got != 1 {
		t.Errorf("listener.tls_echo.ssl.handshake = %d, want 1", got)
	}
}

// sdsE2EListener is a tcp_proxy listener to cluster app terminating TLS
// with the ADS secret "server-cert".
func sdsE2EListener(t *testing.T) *listenerv3.Listener {
	l := e2eListener(t, "sds", &tcpproxyv3.TcpProxy{StatPrefix: "sds", ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: "app"}})
	ctx, err := anypb.New(&tlsv3.DownstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
		TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{
			Name:      "server-cert",
			SdsConfig: &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}},
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	l.FilterChains[0].TransportSocket = &corev3.TransportSocket{Name: "envoy.transport_sockets.tls", ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: ctx}}
	return l
}

func pemSecret(name string, chain, key []byte) *tlsv3.Secret {
	return &tlsv3.Secret{Name: name, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
		CertificateChain: &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: chain}},
		PrivateKey:       &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: key}},
	}}}
}

// TestSDSRotationOverADS: the binary takes a listener's certificate from
// an ADS secret, holds the listener back until the secret arrives, and
// rotates it: a connection made before keeps working with the old
// certificate, new connections get the new one.
func TestSDSRotationOverADS(t *testing.T) {
	for _, api := range []string{"GRPC", "DELTA_GRPC"} {
		t.Run(api, func(t *testing.T) {
			echo := testpeer.StartEcho(t)
			pki := testpeer.NewPKI(t, "ca")
			cp := startADSServer(t)
			set := func(version string, secrets ...types.Resource) {
				t.Helper()
				snap, err := cachev3.NewSnapshot(version, map[resource.Type][]types.Resource{
					resource.ListenerType: {sdsE2EListener(t)},
					resource.ClusterType:  {e2eEDSCluster("app")},
					resource.EndpointType: {e2eAssignment("app", echo.Addr())},
					resource.SecretType:   secrets,
				})
				if err != nil {
					t.Fatal(err)
				}
				if err := cp.cache.SetSnapshot(context.Background(), adsNode, snap); err != nil {
					t.Fatal(err)
				}
			}
			set("1")
			p := startSidewire(t, adsBootstrapAPI(cp.addr, api))
			// Warming: no listener while the secret is missing.
			eventually(t, 20*time.Second, "warming for the secret", func() error {
				_, body := p.get("/config_dump")
				if !strings.Contains(body, `secret \"server-cert\" (listener \"sds\")`) {
					return fmt.Errorf("config dump does not show the listener waiting for its secret")
				}
				return nil
			})
			if addr := p.listenerAddr("sds"); addr != "" {
				t.Fatalf("listener sds served at %s before its secret arrived", addr)
			}

			c1, k1 := pki.Issue(t, "v1", false, "sds.test")
			set("2", pemSecret("server-cert", c1, k1))
			var addr string
			eventually(t, 20*time.Second, "listener sds", func() error {
				if addr = p.listenerAddr("sds"); addr == "" {
					return fmt.Errorf("not in /listeners")
				}
				return nil
			})
			ccfg := &tls.Config{ServerName: "sds.test", RootCAs: pki.Pool()}
			held, err := tls.Dial("tcp", addr, ccfg)
			if err != nil {
				t.Fatalf("dial v1: %v", err)
			}
			defer held.Close()
			if err := exchange(held, []byte("before rotation")); err != nil {
				t.Fatal(err)
			}

			c2, k2 := pki.Issue(t, "v2", false, "sds.test")
			set("3", pemSecret("server-cert", c2, k2))
			eventually(t, 20*time.Second, "new connections get v2", func() error {
				c, err := tls.Dial("tcp", addr, ccfg)
				if err != nil {
					return err
				}
				defer c.Close()
				if cn := c.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "v2" {
					return fmt.Errorf("certificate %s", cn)
				}
				return exchange(c, []byte("after rotation"))
			})
			if err := exchange(held, []byte("held across rotation")); err != nil {
				t.Fatalf("connection from before the rotation: %v", err)
			}
			if cn := held.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "v1" {
				t.Errorf("held connection's certificate %s, want v1", cn)
			}
			if got := p.listenerAddr("sds"); got != addr {
				t.Errorf("listener moved from %s to %s: rotation rebuilt it", addr, got)
			}
		})
	}
}
