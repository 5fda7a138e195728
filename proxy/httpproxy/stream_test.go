package httpproxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

// duplexEcho echoes each chunk of the request body as it arrives,
// flushed, so a client can ping-pong over one request.
func duplexEcho(w http.ResponseWriter, r *http.Request) {
	http.NewResponseController(w).EnableFullDuplex()
	w.WriteHeader(200)
	w.(http.Flusher).Flush()
	buf := make([]byte, 1024)
	for {
		n, err := r.Body.Read(buf)
		if n > 0 {
			w.Write(buf[:n])
			w.(http.Flusher).Flush()
		}
		if err != nil {
			return
		}
	}
}

// Bodies stream both ways without buffering: a client gets the echo of
// each line before it sends the next, over every protocol pair.
func TestBidirectionalStreaming(t *testing.T) {
	be := startBackend(t, "be", http.HandlerFunc(duplexEcho))
	p := startProxy(t, hcm(anyHost(toCluster("/h1", "h1"), toCluster("/h2", "h2"))),
		staticCluster("h1", be), withHTTP2(staticCluster("h2", be)))
	for cname, c := range map[string]*http.Client{"h1": h1Client(t), "h2c": h2cClient(t)} {
		for _, up := range []string{"/h1", "/h2"} {
			pr, pw := io.Pipe()
			req, _ := http.NewRequest(http.MethodPost, p.url(up), pr)
			res, err := c.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", cname, up, err)
			}
			rd := bufio.NewReader(res.Body)
			for i := range 5 {
				line := fmt.Sprintf("ping %d\n", i)
				if _, err := pw.Write([]byte(line)); err != nil {
					t.Fatalf("%s %s: write: %v", cname, up, err)
				}
				got, err := rd.ReadString('\n')
				if err != nil || got != line {
					t.Fatalf("%s %s: echo %q, %v; want %q", cname, up, got, err, line)
				}
			}
			pw.Close()
			if rest, err := io.ReadAll(rd); err != nil || len(rest) != 0 {
				t.Errorf("%s %s: after close: %q, %v", cname, up, rest, err)
			}
			res.Body.Close()
		}
	}
}

// A server-sent event reaches the client while the upstream response is
// still open.
func TestServerSentEvents(t *testing.T) {
	next := make(chan struct{})
	be := startBackend(t, "be", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-next:
			case <-r.Context().Done():
				return
			}
		}
	}))
	p := startProxy(t, hcm(anyHost(toCluster("/", "be"))), staticCluster("be", be))
	res, err := h1Client(t).Get(p.url("/events"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	rd := bufio.NewReader(res.Body)
	for i := range 3 {
		want := fmt.Sprintf("data: %d\n", i)
		if got, err := rd.ReadString('\n'); err != nil || got != want {
			t.Fatalf("event %d: %q, %v", i, got, err)
		}
		rd.ReadString('\n')
		next <- struct{}{}
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content-type %q", ct)
	}
}

// 10 MiB go up and come back intact, HTTP/1.1 to HTTP/1.1 and h2c to
// HTTP/2.
func TestLargeBodies(t *testing.T) {
	be := startBackend(t, "be", nil)
	p := startProxy(t, hcm(anyHost(toCluster("/h1", "h1"), toCluster("/h2", "h2"))),
		staticCluster("h1", be), withHTTP2(staticCluster("h2", be)))
	payload := make([]byte, 10<<20)
	rand.Read(payload)
	want := sha256.Sum256(payload)
	for _, tc := range []struct {
		c    *http.Client
		path string
	}{{h1Client(t), "/h1"}, {h2cClient(t), "/h2"}} {
		res, err := tc.c.Post(p.url(tc.path), "application/octet-stream", bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		n, err := io.Copy(h, res.Body)
		res.Body.Close()
		if err != nil || n != int64(len(payload)) || !bytes.Equal(h.Sum(nil), want[:]) {
			t.Errorf("%s: got %d bytes (err %v), digest match %v", tc.path, n, err, bytes.Equal(h.Sum(nil), want[:]))
		}
	}
}

// A discovered route table replaces the old one for the next request
// while a streaming request routed with the old one keeps going.
func TestRouteStoreReplace(t *testing.T) {
	release := make(chan struct{})
	a := startBackend(t, "a", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			w.Write([]byte("first "))
			w.(http.Flusher).Flush()
			<-release
			w.Write([]byte("last"))
			return
		}
		echoHandler("a").ServeHTTP(w, r)
	}))
	b := startBackend(t, "b", nil)
	cfg := hcm()
	cfg.RouteConfig, cfg.RouteConfigName = nil, "rds"
	p := startProxy(t, cfg, staticCluster("a", a), staticCluster("b", b))
	c := h2cClient(t)
	if res, _ := get(t, c, p.url("/x"), nil); res.StatusCode != 404 {
		t.Fatalf("before the table: %d, want 404", res.StatusCode)
	}
	table := func(cluster string) map[string]*config.HTTPRouteConfig {
		return map[string]*config.HTTPRouteConfig{"rds": {Name: "rds", VirtualHosts: []config.HTTPVirtualHost{anyHost(toCluster("/", cluster))}}}
	}
	p.routes.Replace(table("a"))
	res, err := c.Get(p.url("/stream"))
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 6)
	if _, err := io.ReadFull(res.Body, first); err != nil || string(first) != "first " {
		t.Fatalf("stream start %q, %v", first, err)
	}
	p.routes.Replace(table("b"))
	if res, _ := get(t, c, p.url("/x"), nil); res.Header.Get("X-Backend") != "b" {
		t.Errorf("after replace: from %q, want b", res.Header.Get("X-Backend"))
	}
	close(release)
	rest, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || string(rest) != "last" {
		t.Errorf("in-flight stream ended with %q, %v", rest, err)
	}
	p.routes.Replace(nil)
	if res, _ := get(t, c, p.url("/x"), nil); res.StatusCode != 404 {
		t.Errorf("after removal: %d, want 404", res.StatusCode)
	}
}

// Draining an HTTP/1.1 connection answers the request in flight with
// "connection: close" and closes the connection.
func TestDrainHTTP1(t *testing.T) {
	started := make(chan struct{})
	be := startBackend(t, "be", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(200 * time.Millisecond)
		w.Write([]byte("done"))
	}))
	p := startProxy(t, hcm(anyHost(toCluster("/", "be"))), staticCluster("be", be))
	c := h1Client(t)
	type result struct {
		res  *http.Response
		body string
		err  error
	}
	rc := make(chan result, 1)
	go func() {
		res, err := c.Get(p.url("/"))
		if err != nil {
			rc <- result{err: err}
			return
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		rc <- result{res, string(b), err}
	}()
	<-started
	drained := make(chan struct{})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.ln.Drain(ctx)
		close(drained)
	}()
	r := <-rc
	if r.err != nil || r.body != "done" || !r.res.Close {
		t.Fatalf("in-flight request: %v %q close=%v", r.err, r.body, r.res != nil && r.res.Close)
	}
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
		t.Fatal("listener did not drain")
	}
	if got := p.httpStat("downstream_cx_drain_close"); got != 1 {
		t.Errorf("downstream_cx_drain_close = %d, want 1", got)
	}
}
