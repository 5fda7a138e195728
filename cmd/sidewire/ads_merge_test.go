package main

import (
	"log/slog"
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/xds"
)

// TestMergeKeepsStaticSecrets: an ADS update keeps the bootstrap's
// static secrets beside its own; a static secret wins a name clash, and
// the discovered Dubbo route tables pass through.
func TestMergeKeepsStaticSecrets(t *testing.T) {
	staticCert := &config.Secret{Name: "static-cert"}
	clash := &config.Secret{Name: "clash"}
	static := &config.Snapshot{Secrets: map[string]*config.Secret{"static-cert": staticCert, "clash": clash}}
	sdsCert, sdsClash := &config.Secret{Name: "sds-cert"}, &config.Secret{Name: "clash"}
	routes := map[string]*config.DubboRouteTable{"r": {Name: "r"}}
	u := &xds.Update{
		Secrets:     map[string]*config.Secret{"sds-cert": sdsCert, "clash": sdsClash},
		DubboRoutes: routes,
	}
	d := &dynamicConfig{log: slog.New(slog.DiscardHandler)}
	out := d.merge(static, u)
	want := map[string]*config.Secret{"static-cert": staticCert, "clash": clash, "sds-cert": sdsCert}
	if len(out.Secrets) != len(want) {
		t.Fatalf("merged secrets %v, want %v", out.Secrets, want)
	}
	for n, s := range want {
		if out.Secrets[n] != s {
			t.Errorf("secret %q = %p, want %p", n, out.Secrets[n], s)
		}
	}
	if out.DubboRoutes["r"] != routes["r"] {
		t.Errorf("dubbo routes %v, want %v", out.DubboRoutes, routes)
	}
	if len(u.Secrets) != 2 {
		t.Errorf("the update's secrets were modified: %v", u.Secrets)
	}
}
