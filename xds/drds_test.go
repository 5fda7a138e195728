package xds

import (
	"slices"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	dubbov3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/dubbo_proxy/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/proxy/config"
)

// drdsListener is a dubbo_proxy listener taking the route configuration
// rc over ADS.
func drdsListener(t *testing.T, name, rc string) *listenerv3.Listener {
	l := listenerWith(t, &dubbov3.DubboProxy{
		StatPrefix: name,
		RouteSpecifier: &dubbov3.DubboProxy_Drds{Drds: &dubbov3.Drds{
			RouteConfigName: rc,
			ConfigSource:    &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}},
		}},
	})
	l.Name = name
	l.Address = socketAddr("127.0.0.1", 20880)
	return l
}

// dubboRoutes is a route configuration sending every request of any
// interface to cluster.
func dubboRoutes(name, cluster string) *dubbov3.MultipleRouteConfiguration {
	return &dubbov3.MultipleRouteConfiguration{Name: name, RouteConfig: []*dubbov3.RouteConfiguration{{
		Name: "any", Interface: "*",
		Routes: []*dubbov3.Route{{
			Match: &dubbov3.RouteMatch{},
			Route: &dubbov3.RouteAction{ClusterSpecifier: &dubbov3.RouteAction_Cluster{Cluster: cluster}},
		}},
	}}}
}

// routedTo returns the cluster of the first route of table name in u, or
// "" when u has no such table.
func routedTo(u *Update, name string) string {
	rt := u.DubboRoutes[name]
	if rt == nil || len(rt.RouteConfigs) == 0 || len(rt.RouteConfigs[0].Routes) == 0 {
		return ""
	}
	return rt.RouteConfigs[0].Routes[0].Cluster
}

// TestDRDS: a listener whose dubbo_proxy names a route configuration
// warms until it arrives over ADS; a new version is applied without the
// listener changing; an invalid one is NACKed with its field path and the
// previous one stays.
func TestDRDS(t *testing.T) {
	for _, delta := range []bool{false, true} {
		name := "sotw"
		if delta {
			name = "delta"
		}
		t.Run(name, func(t *testing.T) {
			leakcheck.Check(t)
			cp := &controlPlane{t: t, cache: cachev3.NewSnapshotCache(true, cachev3.IDHash{}, nil), drds: cachev3.NewLinearCache(DubboRouteTypeURL)}
			cp.start("127.0.0.1:0")
			t.Cleanup(cp.stop)
			ls := []*listenerv3.Listener{drdsListener(t, "l1", "routes")}
			cs := []*clusterv3.Cluster{edsCluster("c1"), edsCluster("c2")}
			las := []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001), assignment("c2", 20002)}
			cp.set("1", ls, cs, las)
			rec := &recorder{}
			var opts []func(*ADSConfig)
			if delta {
				opts = append(opts, useDelta)
			}
			c, _ := runClient(t, cp, rec, opts...)

			// The subscription names the route configuration; the
			// listener waits for it.
			if delta {
				cp.waitDelta("drds subscription", func(r deltaRequest) bool {
					return r.req.GetTypeUrl() == DubboRouteTypeURL && slices.Equal(r.req.GetResourceNamesSubscribe(), []string{"routes"})
				})
			} else {
				cp.waitRequest("drds subscription", func(r streamRequest) bool {
					return r.req.GetTypeUrl() == DubboRouteTypeURL && slices.Equal(r.req.GetResourceNames(), []string{"routes"})
				})
			}
			const waiting = `dubbo route configuration "routes" (listener "l1")`
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(c.Status().Warming, waiting) {
				if time.Now().After(deadline) {
					t.Fatalf("Warming = %q, want it waiting for the route configuration", c.Status().Warming)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if n := len(rec.all()); n != 0 {
				t.Fatalf("%d updates applied before the route configuration arrived", n)
			}

			// Initial version.
			if err := cp.drds.UpdateResource("routes", dubboRoutes("routes", "c1")); err != nil {
				t.Fatal(err)
			}
			first := rec.wait(t, "with the first routes", func(u *Update) bool { return routedTo(u, "routes") == "c1" })
			if len(first.Listeners) != 1 {
				t.Fatalf("update has %d listeners, want 1", len(first.Listeners))
			}
			d := first.Listeners[0].FilterChains[0].Filters[0].(*config.DubboProxy)
			if d.RouteConfigName != "routes" || len(d.RouteConfigs) != 0 {
				t.Fatalf("dubbo_proxy = %+v, want RouteConfigName routes and no inline route configs", d)
			}
			if got := c.Status().Warming; got != "" {
				t.Fatalf("Warming = %q after the route configuration arrived", got)
			}
			if v := first.Snapshot(config.Node{}).Version; !strings.Contains(v, "drds=") {
				t.Fatalf("snapshot version %q lacks the drds version", v)
			}

			// Update: only the route configuration changes; the listener
			// is the same value, so the server keeps it.
			if err := cp.drds.UpdateResource("routes", dubboRoutes("routes", "c2")); err != nil {
				t.Fatal(err)
			}
			second := rec.wait(t, "with the second routes", func(u *Update) bool { return routedTo(u, "routes") == "c2" })
			if second.Changed != DubboRouteTypeURL {
				t.Fatalf("Changed = %q, want %q", second.Changed, DubboRouteTypeURL)
			}
			if second.Listeners[0] != first.Listeners[0] {
				t.Fatal("the listener changed with its route configuration")
			}
			applied := len(rec.all())
			accepted := c.Status().Versions[DubboRouteTypeURL]

			// NACK: a route to a cluster that does not exist.
			if err := cp.drds.UpdateResource("routes", dubboRoutes("routes", "nope")); err != nil {
				t.Fatal(err)
			}
			const wantErr = `dubbo_route_config "routes".route_config[0].routes[0]`
			var detail string
			if delta {
				r := cp.waitDelta("drds NACK", func(r deltaRequest) bool {
					return r.req.GetTypeUrl() == DubboRouteTypeURL && r.req.GetErrorDetail() != nil
				})
				detail = r.req.GetErrorDetail().GetMessage()
			} else {
				r := cp.waitRequest("drds NACK", func(r streamRequest) bool {
					return r.req.GetTypeUrl() == DubboRouteTypeURL && r.req.GetErrorDetail() != nil
				})
				detail = r.req.GetErrorDetail().GetMessage()
				if r.req.GetVersionInfo() != accepted {
					t.Errorf("NACK carries version %q, want the accepted %q", r.req.GetVersionInfo(), accepted)
				}
				if !slices.Equal(r.req.GetResourceNames(), []string{"routes"}) {
					t.Errorf("NACK names %v, want [routes]", r.req.GetResourceNames())
				}
			}
			if !strings.Contains(detail, wantErr) || !strings.Contains(detail, `unknown cluster "nope"`) {
				t.Fatalf("NACK detail %q, want %s ... unknown cluster \"nope\"", detail, wantErr)
			}
			if n := len(rec.all()); n != applied {
				t.Fatalf("%d updates after the NACK, want %d", n, applied)
			}
			if v := c.Status().Versions[DubboRouteTypeURL]; v != accepted {
				t.Fatalf("accepted drds version %q after the NACK, want %q", v, accepted)
			}

			// The listener goes: its route configuration is dropped and
			// no longer subscribed to.
			cp.set("2", nil, cs, las)
			rec.wait(t, "without listeners", func(u *Update) bool { return len(u.Listeners) == 0 && len(u.DubboRoutes) == 0 })
		})
	}
}

// TestDRDSTranslate checks drds in a listener and route configuration
// resources: what is accepted and the errors of what is not.
func TestDRDSTranslate(t *testing.T) {
	pathSrc := drdsListener(t, "l", "r")
	pathSrc.FilterChains[0].Filters[0].ConfigType.(*listenerv3.Filter_TypedConfig).TypedConfig = mustAny(t, &dubbov3.DubboProxy{
		StatPrefix: "s",
		RouteSpecifier: &dubbov3.DubboProxy_Drds{Drds: &dubbov3.Drds{
			RouteConfigName: "r",
			ConfigSource:    &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Path{Path: "/etc/routes.yaml"}},
		}},
	})
	if _, err := TranslateListener(`listener "l"`, pathSrc); err == nil || !strings.Contains(err.Error(), "drds.config_source: must be ads") {
		t.Errorf("path config source: err = %v, want drds.config_source: must be ads", err)
	}
	for _, tc := range []struct {
		name string
		m    *dubbov3.MultipleRouteConfiguration
		want string // "" for accepted
	}{
		{"good", dubboRoutes("r", "c1"), ""},
		{"no route configs", &dubbov3.MultipleRouteConfiguration{Name: "r"}, `r.route_config: needs at least one route configuration`},
		{"regex with ignore_case", func() *dubbov3.MultipleRouteConfiguration {
			m := dubboRoutes("r", "c1")
			m.RouteConfig[0].Routes[0].Match.Method = &dubbov3.MethodMatch{Name: &matcherv3.StringMatcher{
				IgnoreCase:   true,
				MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "get.*"}},
			}}
			return m
		}(), `r.route_config[0].routes[0].match.method.name.ignore_case: has no effect`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := TranslateDubboRoutes("r", tc.m)
			if tc.want == "" {
				if err != nil || out.Name != "r" || len(out.RouteConfigs) != 1 || out.RouteConfigs[0].Routes[0].Cluster != "c1" {
					t.Fatalf("got %+v, %v; want one route config to c1", out, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
		})
	}
}
