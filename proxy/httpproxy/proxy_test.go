package httpproxy

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

// Every downstream protocol reaches every upstream protocol: HTTP/1.1
// and h2c clients, HTTP/1.1, HTTP/2 and "use downstream" clusters. The
// backend sees the request as sent (method, path bytes, host, body) plus
// the forwarding headers, and hop-by-hop headers stay behind.
func TestProtocolMatrix(t *testing.T) {
	be := startBackend(t, "be", nil)
	useDown := staticCluster("down", be)
	useDown.ProtocolOptions = map[string]any{config.HTTPProtocolOptionsName: &config.HTTPProtocolOptions{UseDownstream: true}}
	cfg := hcm(anyHost(toCluster("/h1/", "h1"), toCluster("/h2/", "h2"), toCluster("/down/", "down")))
	cfg.GenerateRequestID = true
	cfg.UseRemoteAddress = true
	p := startProxy(t, cfg, staticCluster("h1", be), withHTTP2(staticCluster("h2", be)), useDown)
	clients := map[string]*http.Client{"HTTP/1.1": h1Client(t), "HTTP/2.0": h2cClient(t)}
	for cname, c := range clients {
		for _, up := range []struct{ prefix, proto string }{{"/h1/", "HTTP/1.1"}, {"/h2/", "HTTP/2.0"}, {"/down/", cname}} {
			path := up.prefix + "a%2Fb/c?x=1&y=%20"
			hdr := map[string]string{"Host": "Example.COM", "X-Hop": "1", "Te": "trailers"}
			if cname == "HTTP/1.1" {
				hdr["Connection"], hdr["Te"] = "keep-alive, X-Hop", "trailers, deflate"
			}
			res, body := do(t, c, http.MethodPost, p.url(path), hdr, "hello "+cname)
			where := cname + " -> " + up.prefix
			if res.StatusCode != 200 || body != "hello "+cname {
				t.Fatalf("%s: %d %q", where, res.StatusCode, body)
			}
			if res.Proto != cname {
				t.Errorf("%s: downstream proto %s", where, res.Proto)
			}
			h := res.Header
			for k, want := range map[string]string{
				"X-Echo-Proto": up.proto, "X-Echo-Path": path, "X-Echo-Host": "Example.COM", "X-Echo-Method": "POST",
				"X-Req-X-Forwarded-Proto": "http", "X-Req-X-Forwarded-For": "127.0.0.1", "Server": "sidewire",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s: %s = %q, want %q", where, k, got, want)
				}
			}
			if te := h.Get("X-Req-Te"); up.proto == "HTTP/1.1" && te != "trailers" {
				t.Errorf("%s: te %q, want trailers", where, te)
			}
			if hop := h.Get("X-Req-X-Hop"); cname == "HTTP/1.1" && hop != "" {
				t.Errorf("%s: x-hop %q named by connection was forwarded", where, hop)
			}
			if id := h.Get("X-Req-X-Request-Id"); len(id) != 36 || id[14] != '4' {
				t.Errorf("%s: x-request-id %q is not a UUIDv4", where, id)
			}
		}
	}
	if got := p.httpStat("downstream_rq_2xx"); got != 6 {
		t.Errorf("downstream_rq_2xx = %d, want 6", got)
	}
	if got := p.httpStat("downstream_cx_http2_total"); got != 1 {
		t.Errorf("downstream_cx_http2_total = %d, want 1", got)
	}
	if got := p.clusterStat("h2", "upstream_rq_200"); got != 2 {
		t.Errorf("cluster h2 upstream_rq_200 = %d, want 2", got)
	}
	if got := p.clusterStat("h1", "upstream_rq_2xx"); got != 2 {
		t.Errorf("cluster h1 upstream_rq_2xx = %d, want 2", got)
	}
}

// Routing by domain, path, headers and query; local answers for no
// route (404 NR), an unknown cluster (503 NC) and a cluster without
// healthy hosts (503 UH).
func TestRoutingAndLocalReplies(t *testing.T) {
	a, b := startBackend(t, "a", nil), startBackend(t, "b", nil)
	hdr := config.HTTPRoute{Match: config.HTTPRouteMatch{Path: "/", Headers: []config.HeaderMatch{
		{Name: "x-lane", Kind: config.HeaderString, String: config.StringMatch{Kind: config.MatchExact, Value: "b"}}}},
		Route: &config.HTTPRouteAction{Cluster: "b"}}
	qry := config.HTTPRoute{Match: config.HTTPRouteMatch{Path: "/", QueryParameters: []config.QueryParameterMatch{
		{Name: "lane", String: &config.StringMatch{Kind: config.MatchExact, Value: "b"}}}},
		Route: &config.HTTPRouteAction{Cluster: "b"}}
	re := config.HTTPRoute{Match: config.HTTPRouteMatch{PathKind: config.PathRegex, Path: `/users/[0-9]+`},
		Route: &config.HTTPRouteAction{Cluster: "b"}}
	cfg := hcm(
		config.HTTPVirtualHost{Name: "api", Domains: []string{"api.example.com"}, Routes: []config.HTTPRoute{
			hdr, qry, re,
			{Match: config.HTTPRouteMatch{PathKind: config.PathExact, Path: "/ghost"}, Route: &config.HTTPRouteAction{Cluster: "ghost"}},
			{Match: config.HTTPRouteMatch{PathKind: config.PathExact, Path: "/empty"}, Route: &config.HTTPRouteAction{Cluster: "empty"}},
			toCluster("/", "a"),
		}},
		config.HTTPVirtualHost{Name: "wild", Domains: []string{"*.example.com"}, Routes: []config.HTTPRoute{toCluster("/", "b")}},
	)
	empty := clusterOf("empty")
	empty.Type, empty.LoadAssignment = config.EDS, nil
	p := startProxy(t, cfg, staticCluster("a", a), staticCluster("b", b), empty)
	c := h1Client(t)
	tests := []struct {
		host, path string
		hdr        map[string]string
		status     int
		backend    string
	}{
		{"api.example.com", "/", nil, 200, "a"},
		{"API.example.com:8080", "/x", nil, 200, "a"},
		{"api.example.com", "/x", map[string]string{"X-Lane": "b"}, 200, "b"},
		{"api.example.com", "/x?lane=b", nil, 200, "b"},
		{"api.example.com", "/x?lane=bb", nil, 200, "a"},
		{"api.example.com", "/users/42", nil, 200, "b"},
		{"api.example.com", "/users/42/x", nil, 200, "a"},
		{"www.example.com", "/", nil, 200, "b"},
		{"example.com", "/", nil, 404, ""},
		{"api.example.com", "/ghost", nil, 503, ""},
		{"api.example.com", "/empty", nil, 503, ""},
	}
	for _, tt := range tests {
		hdr := map[string]string{"Host": tt.host}
		for k, v := range tt.hdr {
			hdr[k] = v
		}
		res, body := get(t, c, p.url(tt.path), hdr)
		if res.StatusCode != tt.status || res.Header.Get("X-Backend") != tt.backend {
			t.Errorf("%s%s %v: %d from %q, want %d from %q", tt.host, tt.path, tt.hdr, res.StatusCode, res.Header.Get("X-Backend"), tt.status, tt.backend)
		}
		if tt.path == "/empty" && body != "no healthy upstream" {
			t.Errorf("no healthy host body %q", body)
		}
		if tt.status == 404 && body != "" {
			t.Errorf("no route body %q, want empty", body)
		}
	}
	for stat, want := range map[string]uint64{"no_route": 1, "no_cluster": 1, "downstream_rq_5xx": 2, "downstream_rq_4xx": 1} {
		if got := p.httpStat(stat); got != want {
			t.Errorf("%s = %d, want %d", stat, got, want)
		}
	}
}

// Prefix, regex and host rewrites reach the upstream; the original path
// travels in x-envoy-original-path.
func TestRewrites(t *testing.T) {
	be := startBackend(t, "be", nil)
	eps := endpoint(be)
	eps.Hostname = "backend.internal"
	cfg := hcm(anyHost(
		config.HTTPRoute{Match: config.HTTPRouteMatch{Path: "/old/"},
			Route: &config.HTTPRouteAction{Cluster: "be", PrefixRewrite: "/new/", HostRewriteLiteral: "rewritten.example"}},
		config.HTTPRoute{Match: config.HTTPRouteMatch{PathKind: config.PathSeparatedPrefix, Path: "/v1"},
			Route: &config.HTTPRouteAction{Cluster: "be", RegexRewrite: &config.RegexRewrite{Pattern: `^/v1/(\w+)/(\w+)$`, Substitution: `/\2/\1`}, AutoHostRewrite: true}},
		toCluster("/", "be"),
	))
	p := startProxy(t, cfg, clusterOf("be", eps))
	c := h1Client(t)
	for _, tt := range []struct{ path, wantPath, wantHost, orig string }{
		{"/old/a/b?q=1", "/new/a/b?q=1", "rewritten.example", "/old/a/b?q=1"},
		{"/v1/users/7?z", "/7/users?z", "backend.internal", "/v1/users/7?z"},
		{"/v1x/users/7", "/v1x/users/7", "client.example", ""},
	} {
		res, _ := get(t, c, p.url(tt.path), map[string]string{"Host": "client.example"})
		if got := res.Header.Get("X-Echo-Path"); got != tt.wantPath {
			t.Errorf("%s: upstream path %q, want %q", tt.path, got, tt.wantPath)
		}
		if got := res.Header.Get("X-Echo-Host"); got != tt.wantHost {
			t.Errorf("%s: upstream host %q, want %q", tt.path, got, tt.wantHost)
		}
		if got := res.Header.Get("X-Req-X-Envoy-Original-Path"); got != tt.orig {
			t.Errorf("%s: x-envoy-original-path %q, want %q", tt.path, got, tt.orig)
		}
	}
}

// Redirects build Location as Envoy does; direct responses answer with
// their status and body.
func TestRedirectAndDirectResponse(t *testing.T) {
	rd := func(prefix string, r config.HTTPRedirect) config.HTTPRoute {
		return config.HTTPRoute{Match: config.HTTPRouteMatch{Path: prefix}, Redirect: &r}
	}
	cfg := hcm(anyHost(
		rd("/https", config.HTTPRedirect{Scheme: "https", Status: 301}),
		rd("/host", config.HTTPRedirect{Host: "other.example", Status: 302}),
		rd("/port", config.HTTPRedirect{Port: 8443, Status: 307}),
		rd("/path/", config.HTTPRedirect{Path: "/new", Status: 308}),
		rd("/pathq", config.HTTPRedirect{Path: "/new?a=b", Status: 301}),
		rd("/prefix/", config.HTTPRedirect{PrefixRewrite: "/moved/", StripQuery: true, Status: 303}),
		config.HTTPRoute{Match: config.HTTPRouteMatch{Path: "/direct"}, DirectResponse: &config.HTTPDirectResponse{Status: 418, Body: "teapot"}},
	))
	p := startProxy(t, cfg)
	c := h1Client(t)
	for _, tt := range []struct {
		host, path string
		status     int
		location   string
	}{
		{"a.example:80", "/https/x?q=1", 301, "https://a.example/https/x?q=1"},
		{"a.example:8080", "/https/x", 301, "https://a.example:8080/https/x"},
		{"a.example", "/host/x", 302, "http://other.example/host/x"},
		{"a.example:81", "/port/x", 307, "http://a.example:8443/port/x"},
		{"a.example", "/path/x?q=1", 308, "http://a.example/new?q=1"},
		{"a.example", "/pathq/x?q=1", 301, "http://a.example/new?a=b"},
		{"a.example", "/prefix/a/b?q=1", 303, "http://a.example/moved/a/b"},
	} {
		res, _ := get(t, c, p.url(tt.path), map[string]string{"Host": tt.host})
		if res.StatusCode != tt.status || res.Header.Get("Location") != tt.location {
			t.Errorf("%s%s: %d %q, want %d %q", tt.host, tt.path, res.StatusCode, res.Header.Get("Location"), tt.status, tt.location)
		}
	}
	res, body := get(t, c, p.url("/direct"), nil)
	if res.StatusCode != 418 || body != "teapot" || res.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("direct response %d %q %q", res.StatusCode, body, res.Header.Get("Content-Type"))
	}
	if p.httpStat("rq_redirect") != 7 || p.httpStat("rq_direct_response") != 1 {
		t.Errorf("rq_redirect %d rq_direct_response %d", p.httpStat("rq_redirect"), p.httpStat("rq_direct_response"))
	}
}

// Header mutations apply route, then virtual host, then table, each
// removing before adding, with formatters and append actions.
func TestHeaderMutations(t *testing.T) {
	be := startBackend(t, "be", nil)
	add := func(k, v string, a config.HeaderAppendAction) config.HeaderValueOption {
		return config.HeaderValueOption{Key: k, Value: v, Action: a}
	}
	route := toCluster("/", "be")
	route.Headers = config.HTTPHeaderMutations{
		RequestToAdd: []config.HeaderValueOption{
			add("x-level", "route", config.HeaderOverwriteIfExistsOrAdd),
			add("x-peer", "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", config.HeaderOverwriteIfExistsOrAdd),
			add("x-proto", "%PROTOCOL% via %REQ(:authority)%", config.HeaderOverwriteIfExistsOrAdd),
			add("x-absent", "a", config.HeaderAddIfAbsent),
			add("x-client", "no", config.HeaderAddIfAbsent),
			add("x-only-if", "set", config.HeaderOverwriteIfExists),
			add("x-empty", "%REQ(x-nothing)%", config.HeaderOverwriteIfExistsOrAdd),
		},
		RequestToRemove: []string{"x-secret"},
		ResponseToAdd:   []config.HeaderValueOption{add("x-upstream", "%UPSTREAM_HOST%", config.HeaderOverwriteIfExistsOrAdd)},
	}
	vh := anyHost(route)
	vh.Headers = config.HTTPHeaderMutations{
		RequestToAdd:     []config.HeaderValueOption{add("x-level", "vhost", config.HeaderAppendIfExistsOrAdd)},
		ResponseToRemove: []string{"x-backend"},
		ResponseToAdd:    []config.HeaderValueOption{add("x-resp", "vhost", config.HeaderOverwriteIfExistsOrAdd)},
	}
	cfg := hcm(vh)
	cfg.RouteConfig.Headers = config.HTTPHeaderMutations{
		RequestToAdd:  []config.HeaderValueOption{add("x-level", "table", config.HeaderAppendIfExistsOrAdd)},
		ResponseToAdd: []config.HeaderValueOption{add("x-resp", "table", config.HeaderOverwriteIfExistsOrAdd)},
	}
	p := startProxy(t, cfg, staticCluster("be", be))
	res, _ := get(t, h1Client(t), p.url("/"), map[string]string{"Host": "h.example", "X-Secret": "s", "X-Client": "yes", "X-Level": "client"})
	h := res.Header
	if got := h.Values("X-Req-X-Level"); strings.Join(got, ",") != "route,vhost,table" {
		t.Errorf("x-level %q, want route,vhost,table", got)
	}
	for k, want := range map[string]string{
		"X-Req-X-Peer": "127.0.0.1", "X-Req-X-Proto": "HTTP/1.1 via h.example", "X-Req-X-Absent": "a",
		"X-Req-X-Client": "yes", "X-Req-X-Only-If": "", "X-Req-X-Secret": "", "X-Req-X-Empty": "",
		"X-Backend": "", "X-Resp": "table", "X-Upstream": be.addr.String(),
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// Requests with headers over max_request_headers_kb get 431; a malformed
// request gets 400 and loses its connection only.
func TestBadRequests(t *testing.T) {
	be := startBackend(t, "be", nil)
	cfg := hcm(anyHost(toCluster("/", "be")))
	cfg.MaxRequestHeadersKB = 4
	p := startProxy(t, cfg, staticCluster("be", be))
	c := h1Client(t)
	res, _ := get(t, c, p.url("/"), map[string]string{"X-Big": strings.Repeat("a", 16<<10)})
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("big headers: %d, want 431", res.StatusCode)
	}
	// A good connection open before and after the bad one keeps working.
	if res, _ := get(t, c, p.url("/ok"), nil); res.StatusCode != 200 {
		t.Fatalf("before: %d", res.StatusCode)
	}
	raw := rawRequest(t, p.addr, "GET /x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n")
	if !strings.HasPrefix(raw, "HTTP/1.1 400") {
		t.Errorf("malformed request answered %q", raw)
	}
	raw = rawRequest(t, p.addr, "\x00\x01\x02garbage\r\n\r\n")
	if !strings.HasPrefix(raw, "HTTP/1.1 400") {
		t.Errorf("garbage answered %q", raw)
	}
	if res, _ := get(t, c, p.url("/ok"), nil); res.StatusCode != 200 {
		t.Fatalf("after: %d", res.StatusCode)
	}
	if got := be.hits.Load(); got != 2 {
		t.Errorf("backend saw %d requests, want 2", got)
	}
}

// rawRequest writes s on a new connection and returns all it reads
// until the proxy closes it.
func rawRequest(t testing.TB, addr, s string) string {
	t.Helper()
	conn, err := netDial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	b, _ := readAll(conn)
	return string(b)
}
