package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"

	"github.com/sidewire/sidewire/internal/testpeer"
)

func TestAdminEndpoints(t *testing.T) {
	echo := testpeer.StartEcho(t)
	p := startSidewire(t, bootstrapYAML(tcpListenerYAML("app", "cluster: app"), clusterYAML("app", "ROUND_ROBIN", "", echo.Addr().String())))
	connectN(t, p.listener("app"), 1)

	code, body := p.get("/config_dump")
	var dump struct {
		Configs []map[string]any `json:"configs"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &dump) != nil || len(dump.Configs) == 0 {
		t.Fatalf("/config_dump: %d %s", code, body)
	}
	if !strings.Contains(body, "envoy.admin.v3.BootstrapConfigDump") || !strings.Contains(body, `"stat_prefix"`) && !strings.Contains(body, `"statPrefix"`) {
		t.Errorf("/config_dump lacks the bootstrap: %.400s", body)
	}
	// Envoy's query parameters, strictly.
	d := configDump(t, p, "resource=static_clusters&mask=cluster")
	if len(d.GetConfigs()) != 1 || !d.GetConfigs()[0].MessageIs(&adminv3.ClustersConfigDump_StaticCluster{}) {
		t.Errorf("/config_dump?resource=static_clusters = %v, want the one static cluster", d)
	}
	if code, body := p.get("/config_dump?resource=clusters"); code != 400 || !strings.Contains(body, "not a repeated field") {
		t.Errorf("/config_dump?resource=clusters: %d %s, want 400 naming the problem", code, body)
	}

	code, body = p.get("/clusters?format=json")
	if code != 200 || !strings.Contains(body, `"name":"app"`) || !strings.Contains(body, echo.Addr().String()) {
		t.Errorf("/clusters?format=json: %d %s", code, body)
	}
	if _, body := p.get("/clusters"); !strings.Contains(body, "app::"+echo.Addr().String()+"::health_flags::healthy") {
		t.Errorf("/clusters text lacks the host's health: %s", body)
	}

	if code, body := p.get("/stats?filter=("); code != 400 {
		t.Errorf("/stats with a broken regex: %d %s, want 400", code, body)
	}
	if _, body := p.get("/stats?usedonly"); strings.Contains(body, "cluster.app.upstream_cx_overflow") {
		t.Errorf("/stats?usedonly lists a stat never written")
	}

	if code := p.post("/healthcheck/fail"); code != 200 {
		t.Fatalf("/healthcheck/fail: %d", code)
	}
	if code, _ := p.get("/ready"); code != 503 {
		t.Errorf("/ready after /healthcheck/fail = %d, want 503", code)
	}
	p.post("/healthcheck/ok")
	if code, _ := p.get("/ready"); code != 200 {
		t.Errorf("/ready after /healthcheck/ok = %d, want 200", code)
	}

	if code := p.post("/quitquitquit"); code != 200 {
		t.Fatalf("/quitquitquit: %d", code)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10s after /quitquitquit")
	}
}
