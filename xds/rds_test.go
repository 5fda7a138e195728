package xds

import (
	"slices"
	"strings"
	"testing"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/proxy/config"
)

// hcmListener is a listener whose HTTP connection manager takes its
// routes from rds (by name over ADS) or inline.
func hcmListener(t *testing.T, name string, port uint32, rds string, inline *routev3.RouteConfiguration) *listenerv3.Listener {
	m := &hcmv3.HttpConnectionManager{
		StatPrefix: name,
		HttpFilters: []*hcmv3.HttpFilter{{
			Name:       config.HTTPRouterFilter,
			ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(t, &routerv3.Router{})},
		}},
	}
	if inline != nil {
		m.RouteSpecifier = &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: inline}
	} else {
		m.RouteSpecifier = &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			RouteConfigName: rds,
			ConfigSource:    &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}},
		}}
	}
	l := listenerWith(t, m)
	l.Name = name
	l.Address = socketAddr("127.0.0.1", port)
	return l
}

// httpRouteConfig sends every request to cluster.
func httpRouteConfig(name, cluster string) *routev3.RouteConfiguration {
	return &routev3.RouteConfiguration{Name: name, VirtualHosts: []*routev3.VirtualHost{{
		Name: "all", Domains: []string{"*"},
		Routes: []*routev3.Route{{
			Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
			Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster}}},
		}},
	}}}
}

// httpRoutedTo returns the cluster of the first route of table name in
// u, or "" when u has no such table.
func httpRoutedTo(u *Update, name string) string {
	rc := u.HTTPRoutes[name]
	if rc == nil || len(rc.VirtualHosts) == 0 || len(rc.VirtualHosts[0].Routes) == 0 || rc.VirtualHosts[0].Routes[0].Route == nil {
		return ""
	}
	return rc.VirtualHosts[0].Routes[0].Route.Cluster
}

// waitWarming waits until the client's status says it waits for want.
func waitWarming(t *testing.T, c *ADSClient, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(c.Status().Warming, want) {
		if time.Now().After(deadline) {
			t.Fatalf("Warming = %q, want it waiting for %s", c.Status().Warming, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRDS: a listener whose HTTP connection manager names a route
// configuration by rds warms until it arrives over ADS; a new version is
// applied without the listener changing; a route configuration that
// validates clusters warms until they arrive; an invalid one is NACKed
// with its field path and the previous one stays; over delta a removed
// route configuration makes the listener wait again; a listener that
// goes takes its route configuration, and its subscription, with it.
// /config_dump shows the RDS table as dynamic and an inline one as
// static.
func TestRDS(t *testing.T) {
	for _, delta := range []bool{false, true} {
		name := "sotw"
		if delta {
			name = "delta"
		}
		t.Run(name, func(t *testing.T) { testRDS(t, delta) })
	}
}

func testRDS(t *testing.T, delta bool) {
	leakcheck.Check(t)
	cp := &controlPlane{t: t, cache: cachev3.NewSnapshotCache(true, cachev3.IDHash{}, nil), rds: cachev3.NewLinearCache(RouteTypeURL)}
	cp.start("127.0.0.1:0")
	t.Cleanup(cp.stop)
	ls := []*listenerv3.Listener{
		hcmListener(t, "web", 8080, "routes", nil),
		hcmListener(t, "inline", 8081, "", httpRouteConfig("inline-routes", "c1")),
	}
	cs := []*clusterv3.Cluster{edsCluster("c1"), edsCluster("c2")}
	las := []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001), assignment("c2", 20002)}
	cp.set("1", ls, cs, las)
	rec := &recorder{}
	var opts []func(*ADSConfig)
	if delta {
		opts = append(opts, useDelta)
	}
	c, _ := runClient(t, cp, rec, opts...)

	// The subscription names the route configuration; the listeners
	// wait for it.
	if delta {
		cp.waitDelta("rds subscription", func(r deltaRequest) bool {
			return r.req.GetTypeUrl() == RouteTypeURL && slices.Equal(r.req.GetResourceNamesSubscribe(), []string{"routes"})
		})
	} else {
		cp.waitRequest("rds subscription", func(r streamRequest) bool {
			return r.req.GetTypeUrl() == RouteTypeURL && slices.Equal(r.req.GetResourceNames(), []string{"routes"})
		})
	}
	waitWarming(t, c, `route configuration "routes" (listener "web")`)
	if n := len(rec.all()); n != 0 {
		t.Fatalf("%d updates applied before the route configuration arrived", n)
	}

	// The route configuration arrives.
	if err := cp.rds.UpdateResource("routes", httpRouteConfig("routes", "c1")); err != nil {
		t.Fatal(err)
	}
	first := rec.wait(t, "with the first routes", func(u *Update) bool { return httpRoutedTo(u, "routes") == "c1" })
	if len(first.Listeners) != 2 {
		t.Fatalf("update has %d listeners, want 2", len(first.Listeners))
	}
	web := first.Listeners[1].FilterChains[0].Filters[0].(*config.HTTPConnectionManager)
	if first.Listeners[1].Name != "web" || web.RouteConfigName != "routes" || web.RouteConfig != nil {
		t.Fatalf("web's connection manager = %+v, want RouteConfigName routes and no inline table", web)
	}
	if first.HTTPRoutes["routes"].ValidateClusters {
		t.Error("an RDS table validates clusters by default; Envoy's default is false")
	}
	if got := c.Status().Warming; got != "" {
		t.Fatalf("Warming = %q after the route configuration arrived", got)
	}
	if v := first.Snapshot(config.Node{}).Version; !strings.Contains(v, "rds=") {
		t.Fatalf("snapshot version %q lacks the rds version", v)
	}
	checkRoutesDump(t, c, delta, "")

	// A new version is swapped in; the listeners are the same values.
	if err := cp.rds.UpdateResource("routes", httpRouteConfig("routes", "c2")); err != nil {
		t.Fatal(err)
	}
	second := rec.wait(t, "with the second routes", func(u *Update) bool { return httpRoutedTo(u, "routes") == "c2" })
	if second.Changed != RouteTypeURL {
		t.Fatalf("Changed = %q, want %q", second.Changed, RouteTypeURL)
	}
	if second.Listeners[0] != first.Listeners[0] || second.Listeners[1] != first.Listeners[1] {
		t.Fatal("the listeners changed with their route configuration")
	}

	// validate_clusters: the table waits for the cluster it names.
	strict := httpRouteConfig("routes", "c3")
	strict.ValidateClusters = wrapperspb.Bool(true)
	if err := cp.rds.UpdateResource("routes", strict); err != nil {
		t.Fatal(err)
	}
	waitWarming(t, c, `cluster "c3" (route configuration "routes")`)
	cp.set("2", ls, append(cs, edsCluster("c3")), append(las, assignment("c3", 20003)))
	rec.wait(t, "with c3", func(u *Update) bool { return httpRoutedTo(u, "routes") == "c3" && len(u.Clusters) == 3 })
	applied := len(rec.all())
	accepted := c.Status().Versions[RouteTypeURL]

	// NACK: a regular expression RE2 rejects.
	bad := httpRouteConfig("routes", "c1")
	bad.VirtualHosts[0].Routes[0].Match.PathSpecifier = &routev3.RouteMatch_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "(?<"}}
	if err := cp.rds.UpdateResource("routes", bad); err != nil {
		t.Fatal(err)
	}
	const wantErr = `route_config "routes".virtual_hosts[0].routes[0].match.safe_regex.regex: invalid RE2 regular expression`
	var detail string
	if delta {
		r := cp.waitDelta("rds NACK", func(r deltaRequest) bool {
			return r.req.GetTypeUrl() == RouteTypeURL && r.req.GetErrorDetail() != nil
		})
		detail = r.req.GetErrorDetail().GetMessage()
	} else {
		r := cp.waitRequest("rds NACK", func(r streamRequest) bool {
			return r.req.GetTypeUrl() == RouteTypeURL && r.req.GetErrorDetail() != nil
		})
		detail = r.req.GetErrorDetail().GetMessage()
		if r.req.GetVersionInfo() != accepted {
			t.Errorf("NACK carries version %q, want the accepted %q", r.req.GetVersionInfo(), accepted)
		}
		if !slices.Equal(r.req.GetResourceNames(), []string{"routes"}) {
			t.Errorf("NACK names %v, want [routes]", r.req.GetResourceNames())
		}
	}
	if !strings.Contains(detail, wantErr) {
		t.Fatalf("NACK detail %q, want %s", detail, wantErr)
	}
	if n := len(rec.all()); n != applied {
		t.Fatalf("%d updates after the NACK, want %d", n, applied)
	}
	if v := c.Status().Versions[RouteTypeURL]; v != accepted {
		t.Fatalf("accepted rds version %q after the NACK, want %q", v, accepted)
	}
	checkRoutesDump(t, c, delta, wantErr)

	if delta {
		// Removed: the listener waits for it again; it comes back.
		if err := cp.rds.DeleteResource("routes"); err != nil {
			t.Fatal(err)
		}
		waitWarming(t, c, `route configuration "routes" (listener "web")`)
		if err := cp.rds.UpdateResource("routes", httpRouteConfig("routes", "c2")); err != nil {
			t.Fatal(err)
		}
		rec.wait(t, "with the routes back", func(u *Update) bool { return len(rec.all()) > applied && httpRoutedTo(u, "routes") == "c2" })
	}

	// The listener goes: its route configuration is dropped and, over
	// delta, unsubscribed from.
	cp.set("3", ls[1:], cs, las)
	rec.wait(t, "without web", func(u *Update) bool { return len(u.Listeners) == 1 && len(u.HTTPRoutes) == 0 })
	if delta {
		cp.waitDelta("rds unsubscription", func(r deltaRequest) bool {
			return r.req.GetTypeUrl() == RouteTypeURL && slices.Equal(r.req.GetResourceNamesUnsubscribe(), []string{"routes"})
		})
	}
}

// checkRoutesDump checks the RoutesConfigDump: the inline table of the
// LDS listener "inline" is static, the RDS table "routes" dynamic with
// its version, and, when nack is set, its error_state names it.
func checkRoutesDump(t *testing.T, c *ADSClient, delta bool, nack string) {
	t.Helper()
	d, _ := renderDump(t, c, "")
	rd := dumpOf(t, d, &adminv3.RoutesConfigDump{})
	var static []string
	for _, s := range rd.GetStaticRouteConfigs() {
		static = append(static, unpack(t, s.GetRouteConfig(), &routev3.RouteConfiguration{}).GetName())
	}
	if !slices.Equal(static, []string{"inline-routes"}) {
		t.Errorf("static_route_configs = %v, want [inline-routes]", static)
	}
	if len(rd.GetDynamicRouteConfigs()) != 1 {
		t.Fatalf("dynamic_route_configs = %v, want the one RDS table", rd.GetDynamicRouteConfigs())
	}
	dyn := rd.GetDynamicRouteConfigs()[0]
	if n := unpack(t, dyn.GetRouteConfig(), &routev3.RouteConfiguration{}).GetName(); n != "routes" {
		t.Errorf("dynamic route config %q, want routes", n)
	}
	if dyn.GetVersionInfo() == "" || dyn.GetLastUpdated() == nil {
		t.Errorf("dynamic route config has version %q, last_updated %v; want both", dyn.GetVersionInfo(), dyn.GetLastUpdated())
	}
	if !delta && dyn.GetVersionInfo() != c.Status().Versions[RouteTypeURL] {
		t.Errorf("dynamic route config version %q, want the accepted %q", dyn.GetVersionInfo(), c.Status().Versions[RouteTypeURL])
	}
	switch es := dyn.GetErrorState(); {
	case nack == "" && es != nil:
		t.Errorf("error_state %v before any rejection", es)
	case nack != "" && !strings.Contains(es.GetDetails(), nack):
		t.Errorf("error_state %v, want details naming %s", es, nack)
	}
	// name_regex filters route configurations by name.
	d, _ = renderDump(t, c, "resource=static_route_configs&name_regex=none")
	if len(d.GetConfigs()) != 0 {
		t.Errorf("name_regex=none kept %d static route configs", len(d.GetConfigs()))
	}
}

// TestRDSNeedsADS: without an ads_config, a listener from a file cannot
// take routes by RDS.
func TestRDSNeedsADS(t *testing.T) {
	_, err := dynamicListener(false)(`listener "web"`, hcmListener(t, "web", 8080, "routes", nil))
	if err == nil || !strings.Contains(err.Error(), `listener "web": route configuration "routes": rds needs dynamic_resources.ads_config`) {
		t.Fatalf("err = %v, want rds needing an ads_config", err)
	}
	if _, err := dynamicListener(true)(`listener "web"`, hcmListener(t, "web", 8080, "routes", nil)); err != nil {
		t.Fatalf("with ads: %v", err)
	}
}

// TestStaticRoutesDump: a static bootstrap with an inline route_config
// dumps it under static_route_configs; one without HTTP keeps its three
// dumps.
func TestStaticRoutesDump(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string // static route config names; nil: no RoutesConfigDump
	}{
		{"http-routes.yaml", []string{"local"}},
		{"minimal-tcp-proxy.yaml", nil},
	} {
		out, err := BootstrapConfigDump(readFile(t, bootstrapTestdata+"/good/"+tc.file), mustTime(t, "2026-01-01T00:00:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		var d adminv3.ConfigDump
		if err := protojson.Unmarshal(out, &d); err != nil {
			t.Fatal(err)
		}
		if tc.want == nil {
			if hasDump(&d, &adminv3.RoutesConfigDump{}) || len(d.GetConfigs()) != 3 {
				t.Errorf("%s: %d configs, want 3 without routes", tc.file, len(d.GetConfigs()))
			}
			continue
		}
		var names []string
		for _, s := range dumpOf(t, &d, &adminv3.RoutesConfigDump{}).GetStaticRouteConfigs() {
			names = append(names, unpack(t, s.GetRouteConfig(), &routev3.RouteConfiguration{}).GetName())
			if s.GetLastUpdated().AsTime() != mustTime(t, "2026-01-01T00:00:00Z") {
				t.Errorf("%s: last_updated %v, want the bootstrap's time", tc.file, s.GetLastUpdated())
			}
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("%s: static route configs %v, want %v", tc.file, names, tc.want)
		}
	}
}

// TestHTTPWarmsForClusters: an inline route_config that validates
// clusters (the default) holds its listener back until they arrive; one
// that does not, does not.
func TestHTTPWarmsForClusters(t *testing.T) {
	for _, validate := range []bool{true, false} {
		rc := httpRouteConfig("inline", "c9")
		rc.ValidateClusters = wrapperspb.Bool(validate)
		l, err := TranslateListener(`listener "l"`, hcmListener(t, "l", 8080, "", rc))
		if err != nil {
			t.Fatal(err)
		}
		s := newADSState()
		s.listeners["l"] = l
		w := s.warming()
		if validate != strings.Contains(w, `cluster "c9" (listener "l")`) {
			t.Errorf("validate_clusters %v: warming %q", validate, w)
		}
		if !validate && w != "" {
			t.Errorf("validate_clusters false: warming %q, want nothing", w)
		}
	}
}
