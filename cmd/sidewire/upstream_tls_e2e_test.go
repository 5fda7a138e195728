package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sidewire/sidewire/internal/testpeer"
)

// upstreamTLSYAML is a cluster transport_socket with an UpstreamTlsContext
// whose common_tls_context is given (indented to sit under it).
func upstreamTLSYAML(sni, common string) string {
	return fmt.Sprintf(`
    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        sni: %s
        common_tls_context:%s`, sni, common)
}

// indentPEM renders PEM as a YAML block scalar at the given indent.
func indentPEM(pem []byte, indent string) string {
	return "|\n" + indent + strings.ReplaceAll(strings.TrimSpace(string(pem)), "\n", "\n"+indent)
}

// TestUpstreamTLSRedis sends redis_proxy traffic to a redis-server that
// serves TLS only and requires client certificates: the cluster verifies
// the server against its CA and SAN and presents a client certificate
// from static_resources.secrets. A cluster trusting another CA, or
// expecting another SAN, gets no connection, and the ssl stats say why.
func TestUpstreamTLSRedis(t *testing.T) {
	pki := testpeer.NewPKI(t, "redis-ca")
	srv := testpeer.StartRedisTLS(t, pki, true)
	other := testpeer.NewPKI(t, "other-ca")
	clientCert, clientKey := pki.Issue(t, "sidewire", true)
	validation := func(ca []byte, san string) string {
		return fmt.Sprintf(`
          tls_certificate_sds_secret_configs: [{name: client}]
          validation_context:
            trusted_ca:
              inline_string: %s
            match_typed_subject_alt_names:
            - san_type: DNS
              matcher: {exact: %s}`, indentPEM(ca, "                "), san)
	}
	secrets := fmt.Sprintf(`
  secrets:
  - name: client
    tls_certificate:
      certificate_chain:
        inline_string: %s
      private_key:
        inline_string: %s
`, indentPEM(clientCert, "          "), indentPEM(clientKey, "          "))
	boot := bootstrapYAML(
		redisListenerYAML("good", catchAllYAML("good"))+redisListenerYAML("badca", catchAllYAML("badca"))+redisListenerYAML("badsan", catchAllYAML("badsan")),
		clusterYAML("good", "ROUND_ROBIN", upstreamTLSYAML("redis.test", validation(pki.CAPEM, "redis.test")), srv.TLSAddr())+
			clusterYAML("badca", "ROUND_ROBIN", upstreamTLSYAML("redis.test", validation(other.CAPEM, "redis.test")), srv.TLSAddr())+
			clusterYAML("badsan", "ROUND_ROBIN", upstreamTLSYAML("redis.test", validation(pki.CAPEM, "elsewhere.test")), srv.TLSAddr())) + secrets
	p := startSidewire(t, boot)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	good := newGoRedis(t, &goredis.Options{Addr: p.listener("good")})
	if err := good.Set(ctx, "k", "over tls", 0).Err(); err != nil {
		t.Fatalf("SET through the TLS cluster: %v", err)
	}
	// The value is on the server: read it back directly over TLS.
	direct := newGoRedis(t, &goredis.Options{Addr: srv.Addr()})
	if v, err := direct.Get(ctx, "k").Result(); err != nil || v != "over tls" {
		t.Fatalf("GET on the server = %q, %v", v, err)
	}
	if n := p.stat("cluster.good.ssl.handshake"); n < 1 {
		t.Errorf("cluster.good.ssl.handshake = %d, want >= 1", n)
	}

	for _, name := range []string{"badca", "badsan"} {
		c := newGoRedis(t, &goredis.Options{Addr: p.listener(name), MaxRetries: -1})
		if err := c.Get(ctx, "k").Err(); err == nil {
			t.Errorf("GET through cluster %s succeeded, want an error reply", name)
		}
		if n := p.stat("cluster." + name + ".ssl.fail_verify_error"); n < 1 {
			t.Errorf("cluster.%s.ssl.fail_verify_error = %d, want >= 1", name, n)
		}
		if n := p.stat("cluster." + name + ".ssl.handshake"); n != 0 {
			t.Errorf("cluster.%s.ssl.handshake = %d, want 0", name, n)
		}
	}
}

// TestUpstreamTLSRejectsSDSInStaticCluster: a static cluster's ADS
// secret needs an ADS stream, which this bootstrap does not have.
func TestUpstreamTLSRejectsSDSInStaticCluster(t *testing.T) {
	boot := bootstrapYAML(tcpListenerYAML("app", "cluster: app"),
		clusterYAML("app", "ROUND_ROBIN", upstreamTLSYAML("x", `
          tls_certificate_sds_secret_configs:
          - name: client
            sds_config: {ads: {}}`), "127.0.0.1:1"))
	cfg := filepath.Join(t.TempDir(), "bootstrap.yaml")
	if err := os.WriteFile(cfg, []byte(boot), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "validate", cfg).CombinedOutput()
	if err == nil || !strings.Contains(string(out), `static_resources.clusters[0]: secret "client": sds_config ads needs dynamic_resources.ads_config in the bootstrap`) {
		t.Errorf("validate: %v, %s", err, out)
	}
}
