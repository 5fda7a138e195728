package xds

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sidewire/sidewire/proxy/config"
)

// FuzzTranslateRouteConfiguration feeds arbitrary bytes to route
// discovery as a RouteConfiguration resource of an ADS response: decoding
// and translating never panic, every error is a *config.FieldError under
// the resource's path, and a table the translator accepts passes
// config's Validate (the clusters it names taken as known).
func FuzzTranslateRouteConfiguration(f *testing.F) {
	add := func(m *routev3.RouteConfiguration) {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	add(httpRouteConfig("r", "c"))
	add(&routev3.RouteConfiguration{})
	files, _ := filepath.Glob(filepath.Join(bootstrapTestdata, "good", "http-*.yaml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		b, err := parseBootstrap(data)
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range b.GetStaticResources().GetListeners() {
			for _, rc := range inlineRouteConfigs(l) {
				add(rc)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m := &routev3.RouteConfiguration{}
		if proto.Unmarshal(b, m) != nil {
			return
		}
		const p = `route_config "r"`
		rc, err := TranslateRouteConfiguration(p, m)
		if err != nil {
			for _, e := range flatten(err) {
				var fe *config.FieldError
				if !errors.As(e, &fe) || !strings.HasPrefix(fe.Path, p) {
					t.Fatalf("error %q is not a *config.FieldError under %s", e, p)
				}
			}
			return
		}
		clusters := map[string]*config.Cluster{}
		for _, n := range routeConfigClusters(rc) {
			clusters[n] = &config.Cluster{Name: n}
		}
		if err := rc.Validate(p, clusters); err != nil {
			t.Fatalf("accepted table fails Validate: %v", err)
		}
	})
}
