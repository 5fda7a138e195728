package dubboproxy

import (
	"strings"
	"testing"

	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
)

// TestRouting routes over one provider per target cluster and checks
// which provider answered each call.
func TestRouting(t *testing.T) {
	names := []string{"exact", "blue", "v2", "vip", "hdr", "prefix", "suffix", "regex", "any"}
	var clusters []*config.Cluster
	for _, n := range names {
		clusters = append(clusters, staticCluster(n, testpeer.StartDubbo(t, n)))
	}
	exact := func(s string) *config.StringMatch { return &config.StringMatch{Kind: config.MatchExact, Value: s} }
	cfg := &config.DubboProxy{RouteConfigs: []config.DubboRouteConfig{
		{Interface: greeter, Group: "blue", Routes: []config.DubboRoute{{Cluster: "blue"}}},
		{Interface: greeter, Version: "2.0.0", Routes: []config.DubboRoute{{Cluster: "v2"}}},
		{Interface: greeter, Routes: []config.DubboRoute{
			{Method: exact("sayHi"), Params: []config.DubboParamMatch{{Index: 0, Exact: "vip"}, {Index: 1, IsRange: true, Start: 10, End: 20}}, Cluster: "vip"},
			{Method: exact("sayHi"), Headers: []config.HeaderMatch{
				{Name: "Tenant", String: config.StringMatch{Kind: config.MatchPrefix, Value: "ACME", IgnoreCase: true}},
				{Name: "debug", Kind: config.HeaderPresent, Present: false},
			}, Cluster: "hdr"},
			{Method: exact("sayHi"), Cluster: "exact"},
			{Method: &config.StringMatch{Kind: config.MatchRegex, Value: "get[A-Z][a-z]+"}, Cluster: "regex"},
		}},
		{Interface: "org.example.*", Routes: []config.DubboRoute{{Cluster: "prefix"}}},
		{Interface: "*.Inventory", Routes: []config.DubboRoute{{Cluster: "suffix"}}},
		{Interface: "*", Routes: []config.DubboRoute{{Method: &config.StringMatch{Kind: config.MatchContains, Value: "ping"}, Cluster: "any"}}},
	}}
	p := startProxy(t, cfg, clusters...)
	c := p.dial()
	for _, tc := range []struct {
		name string
		call testpeer.DubboCall
		want string // provider name, "" for SERVICE_NOT_FOUND
	}{
		{"exact method", testpeer.DubboCall{Service: greeter, Method: "sayHi", Args: []any{"x"}}, "exact"},
		{"group", testpeer.DubboCall{Service: greeter, Group: "blue", Method: "sayHi", Args: []any{"x"}}, "blue"},
		// Envoy issue 22032: a route config with a group must not take
		// requests of another group or without one.
		{"other group", testpeer.DubboCall{Service: greeter, Group: "green", Method: "sayHi", Args: []any{"x"}}, "exact"},
		{"version", testpeer.DubboCall{Service: greeter, Version: "2.0.0", Method: "sayHi", Args: []any{"x"}}, "v2"},
		{"other version", testpeer.DubboCall{Service: greeter, Version: "1.0.0", Method: "sayHi", Args: []any{"x"}}, "exact"},
		{"params", testpeer.DubboCall{Service: greeter, Method: "sayHi", Args: []any{"vip", int32(15)}}, "vip"},
		{"param out of range", testpeer.DubboCall{Service: greeter, Method: "sayHi", Args: []any{"vip", int32(20)}}, "exact"},
		{"param missing", testpeer.DubboCall{Service: greeter, Method: "sayHi", Args: []any{"vip"}}, "exact"},
		{"attachment", testpeer.DubboCall{Service: greeter, Method: "sayHi", Args: []any{"x"}, Attachments: map[string]any{"tenant": "acme-eu"}}, "hdr"},
		{"attachment absent check", testpeer.DubboCall{Service: greeter, Method: "sayHi", Args: []any{"x"}, Attachments: map[string]any{"tenant": "acme", "debug": "1"}}, "exact"},
		{"regex", testpeer.DubboCall{Service: greeter, Method: "getName"}, "regex"},
		{"regex is anchored", testpeer.DubboCall{Service: greeter, Method: "xgetName"}, "prefix"},
		{"prefix wildcard", testpeer.DubboCall{Service: "org.example.Other", Method: "m"}, "prefix"},
		{"suffix wildcard", testpeer.DubboCall{Service: "com.shop.Inventory", Method: "m"}, "suffix"},
		{"wildcard needs a non-empty match", testpeer.DubboCall{Service: ".Inventory", Method: "m"}, ""},
		{"catch-all", testpeer.DubboCall{Service: "net.Health", Method: "doping"}, "any"},
		{"nothing", testpeer.DubboCall{Service: "net.Health", Method: "check"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, c, tc.call)
			if tc.want == "" {
				if r.Status != dubbo.StatusServiceNotFound {
					t.Fatalf("got %+v, want SERVICE_NOT_FOUND", r)
				}
				return
			}
			if r.Status != dubbo.StatusOK || !strings.HasPrefix(r.Value, tc.want+"|") {
				t.Fatalf("got %+v, want an answer from %s", r, tc.want)
			}
		})
	}
}

// TestWeightedClusters measures the split over many calls.
func TestWeightedClusters(t *testing.T) {
	a, b := testpeer.StartDubbo(t, "a"), testpeer.StartDubbo(t, "b")
	cfg := &config.DubboProxy{RouteConfigs: []config.DubboRouteConfig{{
		Interface: "*", Routes: []config.DubboRoute{{WeightedClusters: []config.WeightedCluster{{Name: "a", Weight: 80}, {Name: "b", Weight: 20}}}},
	}}}
	p := startProxy(t, cfg, staticCluster("a", a), staticCluster("b", b))
	c := p.dial()
	const n = 2000
	for range n {
		call(t, c, sayHi("w"))
	}
	// 80% of 2000 is 1600 with a standard deviation of about 18.
	if got := a.Requests(); got < 1500 || got > 1700 || got+b.Requests() != n {
		t.Fatalf("a got %d and b %d of %d calls, want about 1600 and 400", got, b.Requests(), n)
	}
}

// TestMetadataMatch sends a route's requests to the endpoints whose
// envoy.lb metadata matches only.
func TestMetadataMatch(t *testing.T) {
	v1, v2 := testpeer.StartDubbo(t, "v1"), testpeer.StartDubbo(t, "v2")
	cfg := &config.DubboProxy{RouteConfigs: []config.DubboRouteConfig{{
		Interface: "*", Routes: []config.DubboRoute{
			{Method: &config.StringMatch{Value: "canary"}, Cluster: "c", MetadataMatch: map[string]string{"version": "v2"}},
			{Method: &config.StringMatch{Value: "none"}, Cluster: "c", MetadataMatch: map[string]string{"version": "v9"}},
		},
	}}}
	p := startProxy(t, cfg, clusterOf("c", endpoint(v1, map[string]string{"version": "v1"}), endpoint(v2, map[string]string{"version": "v2"})))
	c := p.dial()
	for range 20 {
		r := call(t, c, testpeer.DubboCall{Service: greeter, Method: "canary"})
		if !strings.HasPrefix(r.Value, "v2|") {
			t.Fatalf("canary answered by %+v, want v2", r)
		}
	}
	if r := call(t, c, testpeer.DubboCall{Service: greeter, Method: "none"}); r.Status != dubbo.StatusServiceError {
		t.Fatalf("no matching endpoint: %+v, want SERVICE_ERROR", r)
	}
	if v1.Requests() != 0 {
		t.Fatalf("v1 got %d requests", v1.Requests())
	}
}
