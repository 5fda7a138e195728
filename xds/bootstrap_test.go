package xds

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	// Linking mongo_proxy's config type must not change how an unsupported
	// filter is reported (testdata/bootstrap/bad/unknown-filter.yaml).
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/mongo_proxy/v3"
	"sigs.k8s.io/yaml"

	"github.com/sidewire/sidewire/proxy/config"
)

// TestEnvoyExamples loads Envoy's own example bootstraps (changed only in
// listen addresses) and checks every filter chain proxies to clusters
// that exist.
func TestEnvoyExamples(t *testing.T) {
	for _, f := range testFiles(t, "envoy-examples") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			snap, err := LoadBootstrapFile(f)
			if err != nil {
				t.Fatalf("LoadBootstrapFile: %v", err)
			}
			if len(snap.Listeners) == 0 || len(snap.Clusters) == 0 {
				t.Fatalf("got %d listeners and %d clusters, want some of each", len(snap.Listeners), len(snap.Clusters))
			}
			for _, l := range snap.Listeners {
				if l.Address.Host != "127.0.0.1" {
					t.Errorf("listener %s binds %s, want 127.0.0.1", l.Name, l.Address)
				}
				for _, fc := range l.FilterChains {
					last := fc.Filters[len(fc.Filters)-1]
					clusters := proxiedClusters(last)
					if len(clusters) == 0 {
						t.Fatalf("listener %s: last filter %T proxies to no cluster", l.Name, last)
					}
					for _, c := range clusters {
						if snap.Cluster(c) == nil {
							t.Errorf("listener %s proxies to unknown cluster %q", l.Name, c)
						}
					}
				}
			}
		})
	}
}

// proxiedClusters returns the clusters a terminal filter proxies to.
func proxiedClusters(f config.NetworkFilter) []string {
	var out []string
	switch f := f.(type) {
	case *config.TCPProxy:
		if f.Cluster != "" {
			out = append(out, f.Cluster)
		}
		for _, w := range f.WeightedClusters {
			out = append(out, w.Name)
		}
	case *config.RedisProxy:
		for _, r := range f.Routes.Routes {
			out = append(out, r.Cluster)
		}
		if f.Routes.CatchAll != nil {
			out = append(out, f.Routes.CatchAll.Cluster)
		}
	}
	return out
}

func TestDefaultBootstrap(t *testing.T) {
	snap, err := LoadBootstrap(DefaultBootstrapYAML())
	if err != nil {
		t.Fatalf("LoadBootstrap(default): %v", err)
	}
	if snap.Admin == nil || snap.Admin.Address.String() != "127.0.0.1:9901" {
		t.Errorf("admin = %+v, want 127.0.0.1:9901", snap.Admin)
	}
	want := []struct {
		name         string
		listen, dest string
	}{
		{"redis", "127.0.0.1:16379", "127.0.0.1:6379"},
		{"mysql", "127.0.0.1:13306", "127.0.0.1:3306"},
		{"kafka", "127.0.0.1:19092", "127.0.0.1:9092"},
		{"dubbo", "127.0.0.1:30880", "127.0.0.1:20880"},
	}
	if len(snap.Listeners) != len(want) || len(snap.Clusters) != len(want) {
		t.Fatalf("got %d listeners and %d clusters, want %d of each", len(snap.Listeners), len(snap.Clusters), len(want))
	}
	for _, w := range want {
		l := snap.Listener(w.name)
		if l == nil {
			t.Errorf("no listener %q", w.name)
			continue
		}
		if got := l.Address.String(); got != w.listen {
			t.Errorf("listener %s on %s, want %s", w.name, got, w.listen)
		}
		// The redis and dubbo listeners run their protocol proxies
		// (TestDefaultRedisBootstrap, TestDefaultDubboBootstrap).
		if tp, ok := l.FilterChains[0].Filters[0].(*config.TCPProxy); ok && (tp.Cluster != w.name || tp.StatPrefix != w.name) {
			t.Errorf("listener %s: tcp_proxy cluster %q stat_prefix %q, want %q", w.name, tp.Cluster, tp.StatPrefix, w.name)
		} else if !ok && w.name != "redis" && w.name != "dubbo" {
			t.Errorf("listener %s runs %T, want a tcp_proxy", w.name, l.FilterChains[0].Filters[0])
		}
		c := snap.Cluster(w.name)
		if c == nil || c.Type != config.Static {
			t.Errorf("cluster %q = %+v, want a STATIC cluster", w.name, c)
			continue
		}
		if got := c.LoadAssignment.Localities[0].Endpoints[0].Address.String(); got != w.dest {
			t.Errorf("cluster %s endpoint %s, want %s", w.name, got, w.dest)
		}
	}
	// The caller owns the returned bytes.
	b := DefaultBootstrapYAML()
	b[0] ^= 0xff
	if bytes.Equal(b, DefaultBootstrapYAML()) {
		t.Error("DefaultBootstrapYAML returns shared bytes")
	}
}

// TestJSONInput checks a JSON bootstrap means the same as its YAML.
func TestJSONInput(t *testing.T) {
	for _, f := range testFiles(t, "good") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			y, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			j, err := yaml.YAMLToJSON(y)
			if err != nil {
				t.Fatal(err)
			}
			fromYAML, err := LoadBootstrap(y)
			if err != nil {
				t.Fatalf("YAML: %v", err)
			}
			fromJSON, err := LoadBootstrap(j)
			if err != nil {
				t.Fatalf("JSON: %v", err)
			}
			fromYAML.Version, fromJSON.Version = "", ""
			if a, b := dumpSnapshot(fromYAML), dumpSnapshot(fromJSON); !bytes.Equal(a, b) {
				t.Errorf("JSON and YAML translate differently:\n%s\n---\n%s", a, b)
			}
		})
	}
}

func TestBootstrapVersion(t *testing.T) {
	a := DefaultBootstrapYAML()
	b := append(DefaultBootstrapYAML(), "\n# changed\n"...)
	sa1, err := LoadBootstrap(a)
	if err != nil {
		t.Fatal(err)
	}
	sa2, _ := LoadBootstrap(a)
	sb, err := LoadBootstrap(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(sa1.Version) != 16 {
		t.Errorf("Version %q, want 16 hex digits", sa1.Version)
	}
	if sa1.Version != sa2.Version {
		t.Errorf("same bytes, versions %q and %q", sa1.Version, sa2.Version)
	}
	if sa1.Version == sb.Version {
		t.Errorf("different bytes, same version %q", sa1.Version)
	}
}

func TestLoadBootstrapInputErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "parse bootstrap: the document is empty"},
		{"comment only", "# nothing\n", "parse bootstrap: the document is empty"},
		{"list", "- a\n- b\n", "parse bootstrap: the document must be a mapping, got a list"},
		{"scalar", "hello\n", "parse bootstrap: the document must be a mapping, got a string"},
		{"json syntax", `{"admin": {"address": }`, "parse bootstrap: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBootstrap([]byte(tc.in))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want prefix %q", err, tc.want)
			}
		})
	}
	_, err := LoadBootstrapFile(filepath.Join(t.TempDir(), "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist in the chain", err)
	}
}

// TestFieldErrorAs checks callers can pick errors apart.
func TestFieldErrorAs(t *testing.T) {
	_, err := LoadBootstrapFile(filepath.Join(bootstrapTestdata, "bad", "unsupported-cluster-field.yaml"))
	var fe *config.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("errors.As(%v, *config.FieldError) = false", err)
	}
	if fe.Path != "static_resources.clusters[1].circuit_breakers.per_host_thresholds" {
		t.Errorf("first path = %q", fe.Path)
	}
}

func TestBootstrapConfigDump(t *testing.T) {
	raw := DefaultBootstrapYAML()
	out, err := BootstrapConfigDump(raw, mustTime(t, "2026-01-02T03:04:05Z"))
	if err != nil {
		t.Fatalf("BootstrapConfigDump: %v", err)
	}
	var dump struct {
		Configs []map[string]json.RawMessage `json:"configs"`
	}
	if err := json.Unmarshal(out, &dump); err != nil {
		t.Fatalf("dump is not JSON: %v\n%s", err, out)
	}
	wantTypes := []string{
		"type.googleapis.com/envoy.admin.v3.BootstrapConfigDump",
		"type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
		"type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
	}
	if len(dump.Configs) != len(wantTypes) {
		t.Fatalf("got %d configs, want %d", len(dump.Configs), len(wantTypes))
	}
	for i, want := range wantTypes {
		var got string
		json.Unmarshal(dump.Configs[i]["@type"], &got)
		if got != want {
			t.Errorf("configs[%d] @type = %q, want %q", i, got, want)
		}
	}
	var listeners struct {
		Static []struct {
			LastUpdated string `json:"last_updated"`
		} `json:"static_listeners"`
	}
	json.Unmarshal(mustJSON(t, dump.Configs[2]), &listeners)
	if len(listeners.Static) != 4 || listeners.Static[0].LastUpdated != "2026-01-02T03:04:05Z" {
		t.Errorf("static_listeners = %+v, want 4 updated at 2026-01-02T03:04:05Z", listeners.Static)
	}
	for _, s := range []string{`"stat_prefix": "redis"`, `"port_value": 6379`} {
		if !bytes.Contains(out, []byte(s)) {
			t.Errorf("dump lacks %s", s)
		}
	}
	if _, err := BootstrapConfigDump([]byte("- not a bootstrap"), mustTime(t, "2026-01-02T03:04:05Z")); err == nil {
		t.Error("BootstrapConfigDump accepted a list")
	}
}
