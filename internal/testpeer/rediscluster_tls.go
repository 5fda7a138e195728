package testpeer

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// StartRedisClusterTLS starts a Redis Cluster like StartRedisCluster
// whose nodes also serve TLS on their TLSPort, with a server certificate
// p issues for "redis.test" (and 127.0.0.1), and speak TLS to each other
// on the cluster bus (tls-cluster yes). Redis then names TLS ports in
// CLUSTER SLOTS, NODES and MOVED replies to clients that came over TLS,
// and plaintext ports to the others; the harness keeps using the
// plaintext ports. Clients are not asked for certificates.
func StartRedisClusterTLS(t testing.TB, p *PKI, masters int) *RedisCluster {
	t.Helper()
	dir := t.TempDir()
	cert, key := p.Issue(t, "redis.test", false, "redis.test")
	// The cluster bus always asks for client certificates.
	busCert, busKey := p.Issue(t, "redis-bus", true)
	files := map[string][]byte{"redis.crt": cert, "redis.key": key, "bus.crt": busCert, "bus.key": busKey, "ca.crt": p.CAPEM}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
	}
	start := func(t testing.TB) *ClusterNode {
		t.Helper()
		port := freePort(t)
		n := startClusterNode(t, "--tls-port", strconv.Itoa(port), "--tls-cluster", "yes",
			"--tls-cert-file", filepath.Join(dir, "redis.crt"), "--tls-key-file", filepath.Join(dir, "redis.key"),
			"--tls-client-cert-file", filepath.Join(dir, "bus.crt"), "--tls-client-key-file", filepath.Join(dir, "bus.key"),
			"--tls-ca-cert-file", filepath.Join(dir, "ca.crt"), "--tls-auth-clients", "no")
		n.TLSPort = port
		return n
	}
	return startCluster(t, masters, false, start)
}

// TLSAddr is "127.0.0.1:tlsport".
func (n *ClusterNode) TLSAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.TLSPort))
}

// migratePort is where MIGRATE reaches n: nodes with tls-cluster
// migrate keys over TLS.
func (n *ClusterNode) migratePort() int {
	if n.TLSPort != 0 {
		return n.TLSPort
	}
	return n.Port
}
