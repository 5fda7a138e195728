package httpproxy

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

// A mirrored request reaches the shadow cluster with the host suffixed
// "-shadow" and the same body; the client gets the main cluster's
// answer.
func TestMirror(t *testing.T) {
	main := startBackend(t, "main", nil)
	var mu sync.Mutex
	var seen []string
	shadow := startBackend(t, "shadow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Host+" "+r.RequestURI+" "+string(b))
		mu.Unlock()
		w.WriteHeader(500)
	}))
	route := toCluster("/", "main")
	route.Route.Mirrors = []config.HTTPMirror{{Cluster: "shadow", Fraction: 1}}
	p := startProxy(t, hcm(anyHost(route)), staticCluster("main", main), staticCluster("shadow", shadow))
	c := h1Client(t)
	res, body := do(t, c, http.MethodPut, p.url("/obj?v=1"), map[string]string{"Host": "api.example:8080"}, "content")
	if res.StatusCode != 200 || body != "content" || res.Header.Get("X-Backend") != "main" {
		t.Fatalf("main answer: %d %q from %q", res.StatusCode, body, res.Header.Get("X-Backend"))
	}
	get(t, c, p.url("/get"), map[string]string{"Host": "plain.example"})
	waitFor(t, "two mirrored requests", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == 2
	})
	mu.Lock()
	got := strings.Join(seen, "|")
	mu.Unlock()
	for _, want := range []string{"PUT api.example-shadow:8080 /obj?v=1 content", "GET plain.example-shadow /get "} {
		if !strings.Contains(got, want) {
			t.Errorf("shadow saw %q, want %q among them", got, want)
		}
	}
	if got := p.httpStat("mirror.requests"); got != 2 {
		t.Errorf("mirror.requests = %d, want 2", got)
	}
}

// Access log lines carry the HTTP fields in Envoy's default format and
// in a custom one.
func TestAccessLog(t *testing.T) {
	be := startBackend(t, "be", nil)
	dir := t.TempDir()
	def, custom := filepath.Join(dir, "default.log"), filepath.Join(dir, "custom.log")
	cfg := hcm(anyHost(toCluster("/", "be")))
	cfg.AccessLogs = []config.AccessLog{
		{Path: def},
		{Path: custom, Text: "%RESPONSE_CODE% %RESPONSE_FLAGS% %PROTOCOL% %REQ(:METHOD)% %REQ(:PATH)% %RESP(x-backend)% %UPSTREAM_CLUSTER% %BYTES_RECEIVED% %BYTES_SENT%"},
	}
	p := startProxy(t, cfg, staticCluster("be", be))
	c := h1Client(t)
	do(t, c, http.MethodPost, p.url("/a?b=c"), map[string]string{"Host": "log.example", "User-Agent": "test-agent", "X-Request-Id": "rid-1"}, "12345")
	get(t, c, p.url("/x"), map[string]string{"Host": "log.example"})
	p.ln.Close()
	p.ln.Config().Wait()
	p.f.Close()
	read := func(path string) []string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	lines := read(custom)
	want := []string{"200 - HTTP/1.1 POST /a?b=c be be 5 5", "200 - HTTP/1.1 GET /x be be 0 0"}
	if len(lines) != 2 || lines[0] != want[0] || lines[1] != want[1] {
		t.Errorf("custom log %q, want %q", lines, want)
	}
	d := read(def)
	if len(d) != 2 || !strings.Contains(d[0], `] "POST /a?b=c HTTP/1.1" 200 - 5 5 `) ||
		!strings.HasSuffix(d[0], ` "-" "test-agent" "rid-1" "log.example" "`+be.addr.String()+`"`) {
		t.Errorf("default log %q", d)
	}
}
