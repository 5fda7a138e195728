package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/testpeer"
)

// tlsDial connects through addr with sni and alpn and returns the name on
// the certificate the upstream presented and the negotiated protocol.
func tlsDial(t *testing.T, addr, sni string, alpn ...string) (string, string) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
		&tls.Config{ServerName: sni, NextProtos: alpn, InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("tls dial %s (sni %q): %v", addr, sni, err)
	}
	defer c.Close()
	echoOnce(t, c, "ping")
	st := c.ConnectionState()
	return st.PeerCertificates[0].Subject.CommonName, st.NegotiatedProtocol
}

func TestTLSInspectorRoutesBySNIAndALPN(t *testing.T) {
	api := testpeer.StartTLSEcho(t, "api.example.com")
	wild := testpeer.StartTLSEcho(t, "any.example.com")
	h2 := testpeer.StartTLSEcho(t, "h2.example.com", "h2")
	plain := testpeer.StartEcho(t)
	chain := func(match, cluster string) string {
		return fmt.Sprintf(`
    - filter_chain_match: %s
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: %s
          cluster: %s`, match, cluster, cluster)
	}
	listener := `
  - name: edge
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    listener_filters:
    - name: envoy.filters.listener.tls_inspector
      typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector}
    filter_chains:` +
		chain(`{server_names: [api.example.com]}`, "api") +
		chain(`{server_names: ["*.example.com"]}`, "wild") +
		chain(`{server_names: [h2.example.com], application_protocols: [h2]}`, "h2") +
		chain(`{transport_protocol: raw_buffer}`, "plain") + "\n"
	p := startSidewire(t, bootstrapYAML(listener,
		clusterYAML("api", "ROUND_ROBIN", "", api.Addr().String())+
			clusterYAML("wild", "ROUND_ROBIN", "", wild.Addr().String())+
			clusterYAML("h2", "ROUND_ROBIN", "", h2.Addr().String())+
			clusterYAML("plain", "ROUND_ROBIN", "", plain.Addr().String())))
	addr := p.listener("edge")
	if cn, _ := tlsDial(t, addr, "api.example.com"); cn != "api.example.com" {
		t.Errorf("sni api.example.com reached %q", cn)
	}
	if cn, _ := tlsDial(t, addr, "other.example.com"); cn != "any.example.com" {
		t.Errorf("sni other.example.com reached %q, want the wildcard chain", cn)
	}
	if cn, proto := tlsDial(t, addr, "h2.example.com", "h2"); cn != "h2.example.com" || proto != "h2" {
		t.Errorf("sni h2.example.com alpn h2 reached %q with %q", cn, proto)
	}
	if got, err := roundTrip(addr, []byte("plain bytes")); err != nil || string(got) != "plain bytes" {
		t.Errorf("raw_buffer chain: %q, %v", got, err)
	}
	if plain.Served() != 1 {
		t.Errorf("plain upstream served %d connections, want 1", plain.Served())
	}
	// No chain for TLS without a matching name: the connection is closed
	// and counted.
	c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "nomatch.test", InsecureSkipVerify: true})
	if err == nil {
		c.Close()
		t.Fatalf("tls with an unmatched sni was served")
	}
	if got := p.stat("tls_inspector.sni_found"); got < 4 {
		t.Errorf("tls_inspector.sni_found = %d, want >= 4", got)
	}
	eventually(t, 5*time.Second, "no_filter_chain_match counted", func() error {
		if !strings.Contains(statsBody(p, "no_filter_chain_match"), ": 1") {
			return fmt.Errorf("not yet: %s", statsBody(p, "no_filter_chain_match"))
		}
		return nil
	})
}

func statsBody(p *proc, filter string) string {
	_, body := p.get("/stats?filter=" + filter)
	return body
}

func TestConnectionLimit(t *testing.T) {
	echo := testpeer.StartEcho(t)
	listener := `
  - name: limited
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.connection_limit
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit
          stat_prefix: lim
          max_connections: 2
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: limited
          cluster: up
`
	p := startSidewire(t, bootstrapYAML(listener, clusterYAML("up", "ROUND_ROBIN", "", echo.Addr().String())))
	addr := p.listener("limited")
	var open []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		echoOnce(t, c, "in")
		open = append(open, c)
	}
	third, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	third.SetDeadline(time.Now().Add(5 * time.Second))
	third.Write([]byte("x"))
	if _, err := third.Read(make([]byte, 1)); err == nil {
		t.Fatalf("third connection served over a limit of 2")
	}
	if got := p.stat("connection_limit.lim.limited_connections"); got != 1 {
		t.Fatalf("limited_connections = %d, want 1", got)
	}
	open[0].Close()
	eventually(t, 5*time.Second, "slot freed", func() error {
		if got := p.stat("connection_limit.lim.active_connections"); got != 1 {
			return fmt.Errorf("active_connections = %d", got)
		}
		return nil
	})
	if got, err := roundTrip(addr, []byte("again")); err != nil || string(got) != "again" {
		t.Fatalf("after a slot freed: %q, %v", got, err)
	}
}

func TestIdleTimeoutAndAccessLog(t *testing.T) {
	echo := testpeer.StartEcho(t)
	logPath := filepath.Join(t.TempDir(), "access.log")
	route := fmt.Sprintf(`cluster: up
          idle_timeout: 0.3s
          access_log:
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: %s
              log_format:
                json_format: {upstream: "%%UPSTREAM_HOST%%", cluster: "%%UPSTREAM_CLUSTER%%", rx: "%%BYTES_RECEIVED%%", tx: "%%BYTES_SENT%%", flags: "%%RESPONSE_FLAGS%%", details: "%%CONNECTION_TERMINATION_DETAILS%%"}`, logPath)
	p := startSidewire(t, bootstrapYAML(tcpListenerYAML("idle", route), clusterYAML("up", "ROUND_ROBIN", "", echo.Addr().String())))
	c, err := net.Dial("tcp", p.listener("idle"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Keep the connection busy past the timeout: it must stay open.
	var start time.Time // the last activity
	for i := range 6 {
		echoOnce(t, c, "tick")
		start = time.Now()
		if i < 5 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("idle connection: read returned %v, want EOF from the idle timeout", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("closed after %v of idleness, before the 300ms timeout", d)
	}
	if got := p.stat("tcp.idle.idle_timeout"); got != 1 {
		t.Fatalf("tcp.idle.idle_timeout = %d, want 1", got)
	}
	var entry map[string]any
	eventually(t, 5*time.Second, "access log line", func() error {
		b, err := os.ReadFile(logPath)
		if err != nil {
			return err
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 1 || lines[0] == "" {
			return fmt.Errorf("%d lines: %q", len(lines), b)
		}
		return json.Unmarshal([]byte(lines[0]), &entry)
	})
	want := map[string]any{"upstream": echo.Addr().String(), "cluster": "up", "rx": float64(24), "tx": float64(24), "flags": "-", "details": "idle_timeout"}
	for k, v := range want {
		if entry[k] != v {
			t.Errorf("access log %s = %#v, want %#v (entry %v)", k, entry[k], v, entry)
		}
	}
}

func TestPrometheusUsesEnvoyNames(t *testing.T) {
	echo := testpeer.StartEcho(t)
	p := startSidewire(t, bootstrapYAML(tcpListenerYAML("app", "cluster: app"), clusterYAML("app", "ROUND_ROBIN", "", echo.Addr().String())))
	connectN(t, p.listener("app"), 3)
	_, body := p.get("/stats/prometheus")
	for _, want := range []string{
		"# TYPE envoy_cluster_upstream_cx_total counter",
		`envoy_cluster_upstream_cx_total{envoy_cluster_name="app"} 3`,
		`envoy_tcp_downstream_cx_total{envoy_tcp_prefix="app"} 3`,
		`envoy_cluster_membership_healthy{envoy_cluster_name="app"} 1`,
		"# TYPE envoy_cluster_upstream_cx_connect_ms histogram",
		"envoy_server_live{} 1",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/stats/prometheus lacks %q", want)
		}
	}
}

func TestIPv6Listener(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Fatalf("this machine has no IPv6 loopback: %v", err)
	}
	ln.Close()
	echo := testpeer.StartEcho(t)
	listener := strings.Replace(tcpListenerYAML("v6", "cluster: up"), "address: 127.0.0.1", `address: "::1"`, 1)
	p := startSidewire(t, bootstrapYAML(listener, clusterYAML("up", "ROUND_ROBIN", "", echo.Addr().String())))
	addr := p.listener("v6")
	if !strings.HasPrefix(addr, "[::1]:") {
		t.Fatalf("listener bound %s, want [::1]", addr)
	}
	if got, err := roundTrip(addr, []byte("six")); err != nil || string(got) != "six" {
		t.Fatalf("through the IPv6 listener: %q, %v", got, err)
	}
}

func TestStrictDNSCluster(t *testing.T) {
	echo := testpeer.StartEcho(t)
	cluster := fmt.Sprintf(`
  - name: dns
    type: STRICT_DNS
    dns_lookup_family: V4_ONLY
    connect_timeout: 1s
    load_assignment:
      cluster_name: dns
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: localhost, port_value: %d}}}
`, echo.Addr().Port)
	p := startSidewire(t, bootstrapYAML(tcpListenerYAML("dns", "cluster: dns"), cluster))
	connectN(t, p.listener("dns"), 3)
	if echo.Served() != 3 {
		t.Fatalf("STRICT_DNS localhost: upstream served %d of 3", echo.Served())
	}
}

func TestOutlierDetectionEjects(t *testing.T) {
	live := testpeer.StartEcho(t)
	host, port := refusedAddr(t)
	od := `
    outlier_detection:
      consecutive_5xx: 2
      interval: 0.1s
      base_ejection_time: 30s
      max_ejection_percent: 50`
	p := startSidewire(t, bootstrapYAML(tcpListenerYAML("od", "cluster: up\n          max_connect_attempts: 3"),
		clusterYAML("up", "ROUND_ROBIN", od, live.Addr().String(), fmt.Sprintf("%s:%d", host, port))))
	addr := p.listener("od")
	// Retries hide the dead host from clients; outlier detection then
	// stops sending traffic to it at all.
	connectN(t, addr, 10)
	eventually(t, 5*time.Second, "dead host ejected", func() error {
		if got := p.stat("cluster.up.outlier_detection.ejections_active"); got != 1 {
			return fmt.Errorf("ejections_active = %d", got)
		}
		return nil
	})
	fails := p.stat("cluster.up.upstream_cx_connect_fail")
	connectN(t, addr, 20)
	if got := p.stat("cluster.up.upstream_cx_connect_fail"); got != fails {
		t.Fatalf("connect failures rose from %d to %d while the dead host was ejected", fails, got)
	}
}
