package xds

import (
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

// TestDefaultDubboBootstrap checks the embedded default's dubbo
// listener: a dubbo_proxy on 127.0.0.1:30880 sending every service to
// the dubbo cluster (127.0.0.1:20880).
func TestDefaultDubboBootstrap(t *testing.T) {
	snap, err := LoadBootstrap(DefaultBootstrapYAML())
	if err != nil {
		t.Fatalf("LoadBootstrap(default): %v", err)
	}
	l := snap.Listener("dubbo")
	if l == nil || l.Address.String() != "127.0.0.1:30880" || len(l.FilterChains) != 1 || len(l.FilterChains[0].Filters) != 1 {
		t.Fatalf("dubbo listener = %+v, want one chain with one filter on 127.0.0.1:30880", l)
	}
	dp, ok := l.FilterChains[0].Filters[0].(*config.DubboProxy)
	if !ok {
		t.Fatalf("dubbo filter is %T, want *config.DubboProxy", l.FilterChains[0].Filters[0])
	}
	if dp.StatPrefix != "dubbo" || len(dp.RouteConfigs) != 1 {
		t.Fatalf("stat_prefix %q, %d route configs; want dubbo and 1", dp.StatPrefix, len(dp.RouteConfigs))
	}
	rc := dp.RouteConfigs[0]
	if rc.Interface != "*" || rc.Group != "" || rc.Version != "" || len(rc.Routes) != 1 ||
		rc.Routes[0].Cluster != "dubbo" || rc.Routes[0].Method != nil || rc.Routes[0].NeedsBody() {
		t.Fatalf("route config = %+v, want a catch-all to cluster dubbo", rc)
	}
	if dp.Router.MaxTimeout != config.DefaultDubboMaxTimeout || dp.Router.UpstreamConnections != 1 {
		t.Errorf("router = %+v, want the defaults", dp.Router)
	}
}
