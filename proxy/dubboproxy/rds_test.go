package dubboproxy

import (
	"strings"
	"testing"

	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
)

// TestDiscoveredRoutes routes with a route table taken from the store by
// name: no route before it arrives, the new table for the next request
// after each Replace on the same connection, none after it goes, and a
// table of another name changes nothing.
func TestDiscoveredRoutes(t *testing.T) {
	a, b := testpeer.StartDubbo(t, "a"), testpeer.StartDubbo(t, "b")
	p := startProxy(t, &config.DubboProxy{RouteConfigName: "rds"}, staticCluster("a", a), staticCluster("b", b))
	c := p.dial()
	table := func(name, cluster string) *config.DubboRouteTable {
		return &config.DubboRouteTable{Name: name, RouteConfigs: []config.DubboRouteConfig{{
			Interface: greeter,
			Routes: []config.DubboRoute{
				// A header route: its attachment key is specific to the table.
				{Headers: []config.HeaderMatch{{Name: "lane", String: config.StringMatch{Value: "b"}}}, Cluster: "b"},
				{Cluster: cluster},
			},
		}}}
	}
	want := func(step string, dc testpeer.DubboCall, provider string) {
		t.Helper()
		r := call(t, c, dc)
		if provider == "" {
			if r.Status != dubbo.StatusServiceNotFound {
				t.Fatalf("%s: got %+v, want SERVICE_NOT_FOUND", step, r)
			}
			return
		}
		if r.Status != dubbo.StatusOK || !strings.HasPrefix(r.Value, provider+"|") {
			t.Fatalf("%s: got %+v, want an answer from %s", step, r, provider)
		}
	}
	lane := sayHi("x")
	lane.Attachments = map[string]any{"lane": "b"}

	want("before the table arrives", sayHi("x"), "")
	first := table("rds", "a")
	p.routes.Replace(map[string]*config.DubboRouteTable{"rds": first})
	want("first table", sayHi("x"), "a")
	want("first table, header route", lane, "b")
	p.routes.Replace(map[string]*config.DubboRouteTable{"rds": table("rds", "b"), "other": table("other", "a")})
	want("second table", sayHi("x"), "b")
	p.routes.Replace(map[string]*config.DubboRouteTable{"other": table("other", "a")})
	want("table removed", sayHi("x"), "")
	p.routes.Replace(map[string]*config.DubboRouteTable{"rds": first})
	want("table back", sayHi("x"), "a")
	if got := a.Requests() + b.Requests(); got != 4 {
		t.Fatalf("providers got %d requests, want 4", got)
	}
}
