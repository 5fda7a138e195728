package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/internal/testpeer"
)

var (
	portRE    = regexp.MustCompile(`port_value: (10000|12345)\b`)
	serviceRE = regexp.MustCompile(`address: (service[-_a-z0-9]+)\n(\s+)port_value: \d+`)
)

// localizeExample rewrites only addresses in one of Envoy's example
// bootstraps: listen ports become 0 (ephemeral), upstream service names
// become localhost on the port of a real local server, and an admin block
// on an ephemeral port is added where the example has none (the harness
// finds the listener through it).
func localizeExample(t *testing.T, cfg string, ports map[string]int) string {
	t.Helper()
	cfg = portRE.ReplaceAllString(cfg, "port_value: 0")
	cfg = serviceRE.ReplaceAllStringFunc(cfg, func(m string) string {
		sub := serviceRE.FindStringSubmatch(m)
		port, ok := ports[sub[1]]
		if !ok {
			t.Fatalf("example names service %q with no local server", sub[1])
		}
		return fmt.Sprintf("address: localhost\n%sport_value: %d", sub[2], port)
	})
	if !strings.Contains(cfg, "\nadmin:") {
		cfg = "admin: {address: {socket_address: {address: 127.0.0.1, port_value: 0}}}\n" + cfg
	}
	return cfg
}

// onlyListener returns the address of the single listener of p.
func onlyListener(t *testing.T, p *proc) string {
	t.Helper()
	_, body := p.get("/listeners")
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one listener, /listeners says:\n%s", body)
	}
	i := strings.LastIndex(lines[0], "::")
	return lines[0][i+2:]
}

func TestEnvoyExamplesRun(t *testing.T) {
	cases := []struct {
		file  string
		check func(t *testing.T, addr string)
	}{
		{"tls-inspector.yaml", func(t *testing.T, addr string) {
			if cn, _ := tlsDial(t, addr, "example.com", "h2"); cn != "service-https1" {
				t.Errorf("alpn h2 reached %q, want service-https1", cn)
			}
			if cn, _ := tlsDial(t, addr, "example.com", "http/1.1"); cn != "service-https0" {
				t.Errorf("alpn http/1.1 reached %q, want service-https0", cn)
			}
			if got, err := roundTrip(addr, []byte("GET / HTTP/1.1\r\n\r\n")); err != nil || !strings.HasPrefix(string(got), "GET /") {
				t.Errorf("plain text chain: %q, %v", got, err)
			}
		}},
		{"tls-https-passthrough.yaml", func(t *testing.T, addr string) {
			if cn, _ := tlsDial(t, addr, "example.com"); cn != "service-https" {
				t.Errorf("passthrough reached %q", cn)
			}
		}},
		{"websocket-wss-passthrough.yaml", func(t *testing.T, addr string) {
			if cn, _ := tlsDial(t, addr, "example.com"); cn != "service-wss" {
				t.Errorf("passthrough reached %q", cn)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			raw, err := os.ReadFile("../../testdata/bootstrap/envoy-examples/" + c.file)
			if err != nil {
				t.Fatal(err)
			}
			ports := map[string]int{"service-http": testpeer.StartEcho(t).Addr().Port}
			for _, svc := range []string{"service-https", "service-https0", "service-https1", "service-wss"} {
				ports[svc] = testpeer.StartTLSEcho(t, svc, "h2", "http/1.1").Addr().Port
			}
			p := startSidewire(t, localizeExample(t, string(raw), ports))
			c.check(t, onlyListener(t, p))
		})
	}
}
