package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const dynamicConfigFS = "../../testdata/bootstrap/envoy-examples/dynamic-config-fs"

// TestPathConfigDynamicConfigFS runs Envoy's dynamic-config-fs example
// (see its README in envoyproxy/examples): listeners and clusters come
// from files; editing cds.yaml in place with sed moves traffic from
// service1 to service2, as its verify.sh checks with curl. Only paths
// and addresses differ from the example.
func TestPathConfigDynamicConfigFS(t *testing.T) {
	sed, err := exec.LookPath("sed")
	if err != nil {
		t.Fatalf("sed is needed to edit cds.yaml as the example does (apt-get install -y sed): %v", err)
	}
	service1, service2 := startHTTPBackend(t, "service1"), startHTTPBackend(t, "service2")
	dir := t.TempDir()
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dynamicConfigFS, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	_, port1, _ := net.SplitHostPort(service1.addr)
	_, port2, _ := net.SplitHostPort(service2.addr)
	cds := strings.NewReplacer("address: service1", "address: 127.0.0.1",
		"port_value: 8080", "port_value: "+port1).Replace(read("configs/cds.yaml"))
	for name, data := range map[string]string{"cds.yaml": cds, "lds.yaml": read("configs/lds.yaml")} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := startSidewire(t, strings.ReplaceAll(read("envoy.yaml"), "/var/lib/envoy/", dir+"/"))

	// Step 2: the listener answers from service1.
	var addr string
	eventually(t, 30*time.Second, "listener_0 from lds.yaml", func() error {
		if addr = p.listenerAddr("listener_0"); addr == "" {
			return fmt.Errorf("not in /listeners")
		}
		return nil
	})
	client := &http.Client{Timeout: 10 * time.Second}
	if code, body, err := httpGet(client, "http://"+addr); err != nil || code != 200 || !strings.HasPrefix(body, "service1 ") {
		t.Fatalf("GET through listener_0 = %d %q, %v; want service1's answer", code, body, err)
	}
	// Step 3: the config dump shows the cluster and where it came from.
	if sources := pathDump(t, p); sources.CDS != filepath.Join(dir, "cds.yaml") || len(sources.Clusters) != 1 || sources.Clusters[0] != "example_proxy_cluster" {
		t.Errorf("/config_dump dynamic state = %+v", sources)
	}

	// Step 4: sed -i s/service1/service2/ (here: service1's port to
	// service2's; sed copies, edits and renames over the file).
	edit := exec.Command(sed, "-i", fmt.Sprintf("s/port_value: %s/port_value: %s/", port1, port2), filepath.Join(dir, "cds.yaml"))
	if out, err := edit.CombinedOutput(); err != nil {
		t.Fatalf("sed: %v\n%s", err, out)
	}
	// Step 5: requests reach service2.
	eventually(t, 10*time.Second, "traffic moves to service2", func() error {
		code, body, err := httpGet(client, "http://"+p.listenerAddr("listener_0"))
		if err != nil {
			return err
		}
		if code != 200 || !strings.HasPrefix(body, "service2 ") {
			return fmt.Errorf("answer %d %q", code, body)
		}
		return nil
	})
	if n := p.stat("cluster_manager.cds.update_success"); n < 2 {
		t.Errorf("cluster_manager.cds.update_success = %d, want >= 2", n)
	}

	// A broken cds.yaml is rejected and counted; traffic keeps flowing.
	if err := os.WriteFile(filepath.Join(dir, "cds.yaml"), []byte(strings.Replace(cds, "STRICT_DNS", "ORIGINAL_DST_LB", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "cluster_manager.cds.update_rejected", func() error {
		if n := p.stat("cluster_manager.cds.update_rejected"); n < 1 {
			return fmt.Errorf("= %d", n)
		}
		return nil
	})
	if code, body, err := httpGet(client, "http://"+p.listenerAddr("listener_0")); err != nil || code != 200 || !strings.HasPrefix(body, "service2 ") {
		t.Errorf("GET after the rejected cds.yaml = %d %q, %v", code, body, err)
	}
	if d := pathDump(t, p); !strings.Contains(d.LastError, "cds.yaml") {
		t.Errorf("last_error = %q, want it to name cds.yaml", d.LastError)
	}
	if !p.hasLog("xds update rejected", "cds.yaml") {
		t.Errorf("no log line about the rejected cds.yaml\n%s", p.logText())
	}
}

type pathSources struct {
	CDS       string
	Clusters  []string
	LastError string
}

// pathDump reads /config_dump: where clusters come from and the last
// error (the xDS status extension), and the dynamic active clusters.
func pathDump(t *testing.T, p *proc) pathSources {
	t.Helper()
	d := configDump(t, p, "")
	st := xdsStatus(t, d)
	cds, _ := st["cds_source"].(string)
	lastErr, _ := st["last_error"].(string)
	return pathSources{CDS: cds, Clusters: activeClusterNames(t, d), LastError: lastErr}
}
