package httpproxy

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

func mustTable(t testing.TB, rc *config.HTTPRouteConfig) *routeTable {
	t.Helper()
	tbl, err := compileTable(rc)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func view(method, authority, path string, h http.Header) *reqView {
	q := &reqView{method: method, authority: lowerASCII(authority), path: path, scheme: "http", header: h}
	q.pathOnly, q.query, _ = strings.Cut(path, "?")
	q.grpc = isGRPC(h.Get("Content-Type"))
	return q
}

// Virtual hosts are chosen with Envoy's precedence: exact, longest
// suffix wildcard, longest prefix wildcard, "*"; a domain with a port
// matches the host with its port.
func TestDomainPrecedence(t *testing.T) {
	vh := func(name string, domains ...string) config.HTTPVirtualHost {
		return config.HTTPVirtualHost{Name: name, Domains: domains}
	}
	tbl := mustTable(t, &config.HTTPRouteConfig{VirtualHosts: []config.HTTPVirtualHost{
		vh("exact", "api.example.com", "[::1]", "[::1]:9000"),
		vh("exact-port", "api.example.com:8443"),
		vh("suffix", "*.example.com"),
		vh("longer-suffix", "*.api.example.com"),
		vh("dash-suffix", "*-prod.example.org"),
		vh("prefix", "api.*"),
		vh("longer-prefix", "api.example.*"),
		vh("suffix-port", "*.port.test:8080"),
		vh("any", "*"),
	}})
	for _, tt := range []struct{ host, want string }{
		{"api.example.com", "exact"},
		{"API.Example.COM", "exact"},
		{"api.example.com:80", "exact"},
		{"api.example.com:8443", "exact-port"},
		{"v1.api.example.com", "longer-suffix"},
		{"www.example.com", "suffix"},
		{".example.com", "any"}, // a wildcard matches at least one character
		{"example.com", "any"},
		{"svc-prod.example.org", "dash-suffix"},
		{"-prod.example.org", "any"},
		{"api.example.net", "longer-prefix"},
		{"api.other", "prefix"},
		{"api.", "any"},
		{"x.port.test:8080", "suffix-port"},
		{"x.port.test:9090", "any"},
		{"x.port.test", "any"},
		{"[::1]", "exact"},
		{"[::1]:9000", "exact"},
		{"[::1]:1", "exact"},
		{"::1", "any"},
		{"", "any"},
	} {
		got := tbl.domains.lookup(lowerASCII(tt.host))
		if got == nil || got.name != tt.want {
			name := "<nil>"
			if got != nil {
				name = got.name
			}
			t.Errorf("host %q: virtual host %s, want %s", tt.host, name, tt.want)
		}
	}
	noAny := mustTable(t, &config.HTTPRouteConfig{VirtualHosts: []config.HTTPVirtualHost{vh("exact", "a.com")}})
	if got := noAny.domains.lookup("b.com"); got != nil {
		t.Errorf("no matching domain found %s", got.name)
	}
}

func TestRouteMatching(t *testing.T) {
	str := func(k config.StringMatchKind, v string, ignore bool) config.StringMatch {
		return config.StringMatch{Kind: k, Value: v, IgnoreCase: ignore}
	}
	hdr := func(name string, m config.StringMatch) config.HeaderMatch {
		return config.HeaderMatch{Name: name, Kind: config.HeaderString, String: m}
	}
	routes := []struct {
		name  string
		match config.HTTPRouteMatch
	}{
		{"exact-ci", config.HTTPRouteMatch{PathKind: config.PathExact, Path: "/Exact", CaseInsensitive: true}},
		{"prefix-query", config.HTTPRouteMatch{Path: "/q?debug"}},
		{"separated", config.HTTPRouteMatch{PathKind: config.PathSeparatedPrefix, Path: "/api"}},
		{"regex", config.HTTPRouteMatch{PathKind: config.PathRegex, Path: `/items/\d+`}},
		{"method", config.HTTPRouteMatch{Path: "/m", Headers: []config.HeaderMatch{hdr(":method", str(config.MatchExact, "DELETE", false))}}},
		{"scheme", config.HTTPRouteMatch{Path: "/m", Headers: []config.HeaderMatch{hdr(":scheme", str(config.MatchExact, "https", false))}}},
		{"path-pseudo", config.HTTPRouteMatch{Path: "/m", Headers: []config.HeaderMatch{hdr(":path", str(config.MatchSuffix, "?x=1", false))}}},
		{"authority", config.HTTPRouteMatch{Path: "/m", Headers: []config.HeaderMatch{hdr(":authority", str(config.MatchPrefix, "admin.", false))}}},
		{"contains-ci", config.HTTPRouteMatch{Path: "/h", Headers: []config.HeaderMatch{hdr("x-tags", str(config.MatchContains, "BETA", true))}}},
		{"joined", config.HTTPRouteMatch{Path: "/h", Headers: []config.HeaderMatch{hdr("x-multi", str(config.MatchExact, "a,b", false))}}},
		{"regex-hdr", config.HTTPRouteMatch{Path: "/h", Headers: []config.HeaderMatch{hdr("x-ver", str(config.MatchRegex, `v[0-9]+`, false))}}},
		{"range", config.HTTPRouteMatch{Path: "/h", Headers: []config.HeaderMatch{{Name: "x-n", Kind: config.HeaderRange, Start: 10, End: 20}}}},
		{"absent-inverted", config.HTTPRouteMatch{Path: "/h", Headers: []config.HeaderMatch{
			{Name: "x-required", Kind: config.HeaderPresent, Present: true},
			{Name: "x-banned", Kind: config.HeaderPresent, Present: true, Invert: true}}}},
		{"query", config.HTTPRouteMatch{Path: "/h", QueryParameters: []config.QueryParameterMatch{
			{Name: "flag"}, {Name: "v", String: &config.StringMatch{Kind: config.MatchPrefix, Value: "2"}}}}},
		{"grpc", config.HTTPRouteMatch{Path: "/", GRPC: true}},
		{"fallback", config.HTTPRouteMatch{Path: "/"}},
	}
	vh := config.HTTPVirtualHost{Name: "v", Domains: []string{"*"}}
	for _, r := range routes {
		vh.Routes = append(vh.Routes, config.HTTPRoute{Name: r.name, Match: r.match, DirectResponse: &config.HTTPDirectResponse{Status: 200}})
	}
	tbl := mustTable(t, &config.HTTPRouteConfig{VirtualHosts: []config.HTTPVirtualHost{vh}})
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Add(kv[i], kv[i+1])
		}
		return out
	}
	for _, tt := range []struct {
		method, host, path string
		h                  http.Header
		scheme             string
		want               string
	}{
		{"GET", "a", "/EXACT", nil, "", "exact-ci"},
		{"GET", "a", "/exact?x", nil, "", "exact-ci"},
		{"GET", "a", "/exact/", nil, "", "fallback"},
		{"GET", "a", "/q?debug=1", nil, "", "prefix-query"},
		{"GET", "a", "/q?x", nil, "", "fallback"},
		{"GET", "a", "/api", nil, "", "separated"},
		{"GET", "a", "/api/v1", nil, "", "separated"},
		{"GET", "a", "/api?x", nil, "", "separated"},
		{"GET", "a", "/apix", nil, "", "fallback"},
		{"GET", "a", "/items/12", nil, "", "regex"},
		{"GET", "a", "/items/12?x=y", nil, "", "regex"},
		{"GET", "a", "/items/12/x", nil, "", "fallback"},
		{"DELETE", "a", "/m", nil, "", "method"},
		{"GET", "a", "/m", nil, "https", "scheme"},
		{"GET", "a", "/m?x=1", nil, "", "path-pseudo"},
		{"GET", "Admin.example", "/m", nil, "", "authority"},
		{"GET", "a", "/m", nil, "", "fallback"},
		{"GET", "a", "/h", h("X-Tags", "alpha,beta"), "", "contains-ci"},
		{"GET", "a", "/h", h("X-Multi", "a", "X-Multi", "b"), "", "joined"},
		{"GET", "a", "/h", h("X-Ver", "v12"), "", "regex-hdr"},
		{"GET", "a", "/h", h("X-Ver", "v12x"), "", "fallback"},
		{"GET", "a", "/h", h("X-N", "15"), "", "range"},
		{"GET", "a", "/h", h("X-N", "20"), "", "fallback"},
		{"GET", "a", "/h", h("X-N", "1x"), "", "fallback"},
		{"GET", "a", "/h", h("X-Required", ""), "", "absent-inverted"},
		{"GET", "a", "/h", h("X-Required", "", "X-Banned", "1"), "", "fallback"},
		{"GET", "a", "/h?flag&v=21", nil, "", "query"},
		{"GET", "a", "/h?v=21", nil, "", "fallback"},
		{"GET", "a", "/h?flag=1&v=3", nil, "", "fallback"},
		{"POST", "a", "/svc/M", h("Content-Type", "application/grpc+proto"), "", "grpc"},
		{"POST", "a", "/svc/M", h("Content-Type", "application/grpc-web"), "", "fallback"},
	} {
		hd := tt.h
		if hd == nil {
			hd = http.Header{}
		}
		q := view(tt.method, tt.host, tt.path, hd)
		if tt.scheme != "" {
			q.scheme = tt.scheme
		}
		_, r := tbl.lookup(q)
		if r == nil || r.name != tt.want {
			got := "<nil>"
			if r != nil {
				got = r.name
			}
			t.Errorf("%s %s%s %v: route %s, want %s", tt.method, tt.host, tt.path, tt.h, got, tt.want)
		}
	}
}

func TestEnvoySubstitution(t *testing.T) {
	for in, want := range map[string]string{`/\2/\1`: "/${2}/${1}", `a$b`: "a$$b", `\\1`: `\1`, `\12x`: "${12}x", `x\`: `x\`} {
		if got := envoySubstitution(in); got != want {
			t.Errorf("envoySubstitution(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRemoveHopHeaders(t *testing.T) {
	h := http.Header{
		"Connection": {"close, X-Foo", "te"}, "X-Foo": {"1"}, "Keep-Alive": {"5"}, "Upgrade": {"websocket"},
		"Te": {"gzip, trailers;q=1"}, "Proxy-Connection": {"x"}, "X-Keep": {"yes"},
	}
	removeHopHeaders(h)
	if len(h) != 2 || h.Get("X-Keep") != "yes" || h.Get("Te") != "trailers" {
		t.Errorf("after removal: %v", h)
	}
	h = http.Header{"Te": {"gzip"}}
	if removeHopHeaders(h); len(h) != 0 {
		t.Errorf("te without trailers kept: %v", h)
	}
}

func TestRetryPolicy(t *testing.T) {
	rp := compileRetry(&config.HTTPRetryPolicy{RetryOn: []string{"gateway-error", "retriable-status-codes", "unavailable"},
		RetriableStatusCodes: []uint32{418}, NumRetries: 3, BaseInterval: 10 * time.Millisecond})
	for _, tt := range []struct {
		status, grpc int
		want         bool
	}{{502, -1, true}, {503, -1, true}, {500, -1, false}, {418, -1, true}, {409, -1, false}, {200, 14, true}, {200, 13, false}} {
		if got := rp.retriableResponse(tt.status, tt.grpc); got != tt.want {
			t.Errorf("retriable(%d, grpc %d) = %v", tt.status, tt.grpc, got)
		}
	}
	if !rp.retriableFailure(failConnect) || !rp.retriableFailure(failReset) || !rp.retriableFailure(failPerTryTimeout) || rp.retriableFailure(failOverflow) {
		t.Error("gateway-error failure conditions")
	}
	if rp.max != 100*time.Millisecond {
		t.Errorf("max interval %v, want 10 x base", rp.max)
	}
	for n := 1; n < 40; n++ {
		ceil := min(time.Duration(1<<min(n, 20)-1)*rp.base, rp.max)
		for range 50 {
			if d := rp.backoff(n); d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %v, want in [0, %v]", n, d, ceil)
			}
		}
	}
	var nilPolicy *retryPolicy
	if nilPolicy.retriableResponse(503, -1) || nilPolicy.retriableFailure(failConnect) {
		t.Error("no policy retries")
	}
}

func TestRedirectHostAndShadow(t *testing.T) {
	for _, tt := range []struct {
		host, proto, scheme string
		newPort             bool
		want                string
	}{
		{"a:80", "http", "https", false, "a"},
		{"a:443", "http", "https", false, "a:443"},
		{"a:443", "https", "http", false, "a"},
		{"a:8080", "http", "http", true, "a"},
		{"[::1]:80", "http", "https", false, "[::1]"},
		{"a", "http", "https", true, "a"},
	} {
		if got := redirectHost(tt.host, tt.proto, tt.scheme, tt.newPort); got != tt.want {
			t.Errorf("redirectHost(%q, %s->%s, %v) = %q, want %q", tt.host, tt.proto, tt.scheme, tt.newPort, got, tt.want)
		}
	}
	for in, want := range map[string]string{"a.com": "a.com-shadow", "a.com:81": "a.com-shadow:81", "[::1]:80": "[::1]-shadow:80"} {
		if got := shadowHost(in); got != want {
			t.Errorf("shadowHost(%q) = %q, want %q", in, got, want)
		}
	}
}
