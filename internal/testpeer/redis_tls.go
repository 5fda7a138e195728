package testpeer

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// RedisTLS is a redis-server serving TLS on TLSPort (and plaintext on
// Port, which the harness uses to see it is up).
type RedisTLS struct {
	*Redis
	TLSPort int
}

// TLSAddr is "127.0.0.1:tlsport".
func (r *RedisTLS) TLSAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.TLSPort)) }

// StartRedisTLS starts redis-server with a TLS port whose server
// certificate p issues for "redis.test" (and 127.0.0.1). With
// clientAuth the server requires client certificates that chain to p's
// CA; without, it asks for none.
func StartRedisTLS(t testing.TB, p *PKI, clientAuth bool) *RedisTLS {
	t.Helper()
	dir := t.TempDir()
	cert, key := p.Issue(t, "redis.test", false, "redis.test")
	files := map[string][]byte{"redis.crt": cert, "redis.key": key, "ca.crt": p.CAPEM}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
	}
	auth := "no"
	if clientAuth {
		auth = "yes"
	}
	port := freePort(t)
	r := StartRedis(t, "--tls-port", strconv.Itoa(port),
		"--tls-cert-file", filepath.Join(dir, "redis.crt"), "--tls-key-file", filepath.Join(dir, "redis.key"),
		"--tls-ca-cert-file", filepath.Join(dir, "ca.crt"), "--tls-auth-clients", auth)
	return &RedisTLS{Redis: r, TLSPort: port}
}
