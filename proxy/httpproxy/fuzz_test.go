package httpproxy

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

// fuzzDomains are the domains of the fuzzed route table, in virtual
// host order (one domain per virtual host).
var fuzzDomains = []string{
	"a.com", "a.com:8080", "[::1]", "[::1]:80", "*.a.com", "*.b.a.com", "*-x.com", "*.p.com:81",
	"api.*", "api.v1.*", "h:*", "*",
}

// refDomain is a plain reading of the virtual host precedence: it scores
// every domain against the host (and the host without port) and keeps
// the best: exact, then longer suffix, then longer prefix, then "*";
// the host as sent before the host without port.
func refDomain(host string) int {
	bare := stripPortRef(host)
	type score struct{ class, length, form int }
	best, bestScore := -1, score{99, 0, 0}
	better := func(a, b score) bool {
		if a.class != b.class {
			return a.class < b.class
		}
		if a.length != b.length {
			return a.length > b.length
		}
		return a.form < b.form
	}
	for i, d := range fuzzDomains {
		for form, h := range []string{host, bare} {
			if form == 1 && bare == host {
				continue
			}
			var s score
			switch {
			case d == "*":
				s = score{3, 0, form}
			case strings.HasPrefix(d, "*"):
				fixed := d[1:]
				if len(h) <= len(fixed) || !strings.HasSuffix(h, fixed) {
					continue
				}
				s = score{1, len(fixed), form}
			case strings.HasSuffix(d, "*"):
				fixed := d[:len(d)-1]
				if len(h) <= len(fixed) || !strings.HasPrefix(h, fixed) {
					continue
				}
				s = score{2, len(fixed), form}
			case d == h:
				s = score{0, 0, form}
			default:
				continue
			}
			if better(s, bestScore) {
				best, bestScore = i, s
			}
		}
	}
	return best
}

var portRE = regexp.MustCompile(`^[0-9]+$`)

// stripPortRef strips ":digits" unless what precedes is an unbracketed
// IPv6 address or the brackets do not close right before it.
func stripPortRef(h string) string {
	i := strings.LastIndex(h, ":")
	if i < 0 {
		return h
	}
	if !portRE.MatchString(h[i+1:]) {
		return h
	}
	head := h[:i]
	if strings.HasPrefix(h, "[") {
		if strings.HasSuffix(head, "]") {
			return head
		}
		return h
	}
	if strings.Contains(head, ":") {
		return h
	}
	return head
}

func FuzzDomainLookup(f *testing.F) {
	for _, s := range []string{"a.com", "A.COM:8080", "x.b.a.com", "[::1]:80", "::1", "api.v1.x", "h:", "h:1", "x.p.com:81", "", ":80", "-x.com", "y-x.com:9"} {
		f.Add(s)
	}
	var vhs []config.HTTPVirtualHost
	for i, d := range fuzzDomains {
		vhs = append(vhs, config.HTTPVirtualHost{Name: fuzzDomains[i], Domains: []string{d}})
	}
	tbl, err := compileTable(&config.HTTPRouteConfig{VirtualHosts: vhs})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, host string) {
		host = lowerASCII(host)
		got := tbl.domains.lookup(host)
		want := refDomain(host)
		if want < 0 && got != nil || want >= 0 && (got == nil || got.name != fuzzDomains[want]) {
			t.Fatalf("host %q: got %v, want %q", host, got, fuzzDomains[max(want, 0)])
		}
		if s := stripPort(host); !strings.HasPrefix(host, s) || s != stripPortRef(host) {
			t.Fatalf("stripPort(%q) = %q, want %q", host, s, stripPortRef(host))
		}
	})
}

func FuzzQueryParam(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "a&a=2", "=x&a=", "a=1=2", "&&a", "b=%20"} {
		f.Add(s, "a")
	}
	f.Fuzz(func(t *testing.T, query, name string) {
		if name == "" {
			return // configs name their parameters
		}
		got, ok := queryParam(query, name)
		want, wantOK := "", false
		for _, kv := range strings.Split(query, "&") {
			if k, v, _ := strings.Cut(kv, "="); k == name {
				want, wantOK = v, true
				break
			}
		}
		if got != want || ok != wantOK {
			t.Fatalf("queryParam(%q, %q) = %q %v, want %q %v", query, name, got, ok, want, wantOK)
		}
	})
}

// FuzzRouteMatch routes arbitrary requests through a table using every
// matcher and compares the route with a direct evaluation of the config.
func FuzzRouteMatch(f *testing.F) {
	f.Add("GET", "/api/x?v=1", "a,b", "application/grpc", "15")
	f.Add("DELETE", "/Exact", "", "", "")
	f.Add("POST", "/items/42", "BETA", "text/plain", "9")
	routes := []config.HTTPRouteMatch{
		{PathKind: config.PathExact, Path: "/Exact", CaseInsensitive: true},
		{PathKind: config.PathSeparatedPrefix, Path: "/api"},
		{PathKind: config.PathRegex, Path: `/items/[0-9]+`},
		{Path: "/", Headers: []config.HeaderMatch{{Name: ":method", Kind: config.HeaderString, String: config.StringMatch{Kind: config.MatchExact, Value: "DELETE"}}}},
		{Path: "/", Headers: []config.HeaderMatch{{Name: "x-h", Kind: config.HeaderString, String: config.StringMatch{Kind: config.MatchContains, Value: "beta", IgnoreCase: true}}}},
		{Path: "/", Headers: []config.HeaderMatch{{Name: "x-n", Kind: config.HeaderRange, Start: 10, End: 20, Invert: true}}},
		{Path: "/", QueryParameters: []config.QueryParameterMatch{{Name: "v", String: &config.StringMatch{Kind: config.MatchPrefix, Value: "1"}}}},
		{Path: "/", GRPC: true},
	}
	vh := config.HTTPVirtualHost{Name: "v", Domains: []string{"*"}}
	for range routes {
		vh.Routes = append(vh.Routes, config.HTTPRoute{DirectResponse: &config.HTTPDirectResponse{Status: 200}})
	}
	for i := range routes {
		vh.Routes[i].Match = routes[i]
	}
	tbl, err := compileTable(&config.HTTPRouteConfig{VirtualHosts: []config.HTTPVirtualHost{vh}})
	if err != nil {
		f.Fatal(err)
	}
	digits := regexp.MustCompile(`^(?:/items/[0-9]+)$`)
	ref := func(method, path string, h http.Header) int {
		pathOnly, query, _ := strings.Cut(path, "?")
		for i := range routes {
			switch i {
			case 0:
				if !strings.EqualFold(pathOnly, "/Exact") {
					continue
				}
			case 1:
				if pathOnly != "/api" && !strings.HasPrefix(pathOnly, "/api/") && !strings.HasPrefix(pathOnly, "/api#") {
					continue
				}
			case 2:
				if !digits.MatchString(pathOnly) {
					continue
				}
			default:
				if !strings.HasPrefix(path, "/") {
					continue
				}
			}
			switch i {
			case 3:
				if method != "DELETE" {
					continue
				}
			case 4:
				if vs, ok := h["X-H"]; !ok || !strings.Contains(strings.ToLower(strings.Join(vs, ",")), "beta") {
					continue
				}
			case 5:
				in := false
				if vs, ok := h["X-N"]; ok {
					n, err := strconv.ParseInt(strings.Join(vs, ","), 10, 64)
					in = err == nil && n >= 10 && n < 20
				}
				if in {
					continue
				}
			case 6:
				v, ok := queryParam(query, "v")
				if !ok || !strings.HasPrefix(v, "1") {
					continue
				}
			case 7:
				if !isGRPC(h.Get("Content-Type")) {
					continue
				}
			}
			return i
		}
		return -1
	}
	f.Fuzz(func(t *testing.T, method, path, xh, ct, xn string) {
		h := http.Header{}
		if xh != "" {
			h["X-H"] = strings.Split(xh, "\n")
		}
		if ct != "" {
			h["Content-Type"] = []string{ct}
		}
		if xn != "" {
			h["X-N"] = []string{xn}
		}
		_, r := tbl.lookup(view(method, "host", path, h))
		got := -1
		for i, rt := range tbl.domains.any.routes {
			if rt == r {
				got = i
			}
		}
		if want := ref(method, path, h); got != want {
			t.Fatalf("%s %q %v: route %d, want %d", method, path, h, got, want)
		}
	})
}

func FuzzHopHeaders(f *testing.F) {
	f.Add("keep-alive, X-A", "trailers", "x")
	f.Add("te,,X-B", "gzip;q=1, Trailers ; q=0.5", "")
	f.Fuzz(func(t *testing.T, conn, te, other string) {
		h := http.Header{"Connection": {conn}, "Te": {te}, "X-A": {other}, "X-B": {other}, "Upgrade": {other}, "X-Keep": {"1"}}
		removeHopHeaders(h)
		for _, k := range hopHeaders {
			if _, ok := h[k]; ok {
				t.Fatalf("%s survived: %v", k, h)
			}
		}
		if v, ok := h["Te"]; ok && (len(v) != 1 || v[0] != "trailers") {
			t.Fatalf("te %q", v)
		}
		for tok := range strings.SplitSeq(conn, ",") {
			// Optional whitespace around a connection option is SP and
			// HTAB (RFC 9110, 5.6.3); "\vX-A" names no X-A.
			k := canonicalKey(strings.Trim(tok, " \t"))
			if _, ok := h[k]; ok && k != "Te" && k != "" {
				t.Fatalf("%s named by connection %q survived", k, conn)
			}
		}
	})
}

func FuzzGRPCMethod(f *testing.F) {
	for _, s := range []string{"/pkg.Svc/Method", "/a/b/c", "//m", "/s/", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		s, m, ok := grpcMethod(path)
		if ok && ("/"+s+"/"+m != path || s == "" || m == "" || strings.ContainsAny(m, "/?")) {
			t.Fatalf("grpcMethod(%q) = %q, %q", path, s, m)
		}
		if enc := grpcMessageEncode(path); strings.ContainsFunc(enc, func(r rune) bool { return r < ' ' || r > '~' }) {
			t.Fatalf("grpcMessageEncode(%q) = %q", path, enc)
		}
	})
}
