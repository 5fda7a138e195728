package xds

import (
	"errors"
	"strings"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

func TestParseResourceFile(t *testing.T) {
	for _, tc := range []struct {
		name, typ, data string
		version         string // "" checks nothing
		n               int
		err             string
	}{
		{"json with version", ListenerTypeURL, `{"version_info": "7", "resources": [{"@type": "type.googleapis.com/envoy.config.listener.v3.Listener", "name": "a"}]}`, "7", 1, ""},
		{"yaml, hash version", ClusterTypeURL, "resources:\n- {\"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster, name: c}\n- {\"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster, name: d}\n", "", 2, ""},
		{"empty resources", EndpointTypeURL, "resources: []\n", "", 0, ""},
		{"no resources", ListenerTypeURL, "version_info: x\n", "x", 0, ""},
		{"type_url ok", ListenerTypeURL, "type_url: " + ListenerTypeURL + "\nresources: []\n", "", 0, ""},
		{"type_url wrong", ListenerTypeURL, "type_url: " + ClusterTypeURL + "\n", "", 0, "type_url: must be " + ListenerTypeURL},
		{"unknown top field", ListenerTypeURL, "nonce: x\n", "", 0, "nonce: unknown field"},
		{"not a mapping", ListenerTypeURL, "- a\n", "", 0, "parse file: the document must be a mapping"},
		{"bad yaml", ListenerTypeURL, "resources: [\n", "", 0, "parse file: "},
		{"duplicate key", ListenerTypeURL, "resources: []\nresources: []\n", "", 0, "parse file: "},
		{"resources not a list", ListenerTypeURL, "resources: {}\n", "", 0, "resources: expected a list, got an object"},
		{"element not an object", ListenerTypeURL, "resources: [1]\n", "", 0, "resources[0]: expected an object"},
		{"missing @type", ListenerTypeURL, "resources: [{name: a}]\n", "", 0, `resources[0].@type: must be ` + ListenerTypeURL + `, got ""`},
		{"wrong @type", ListenerTypeURL, "resources: [{\"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster}]\n", "", 0, "resources[0].@type: must be"},
		{"unknown resource field named", ListenerTypeURL, "resources: [{\"@type\": " + ListenerTypeURL + ", name: a, adress: {}}]\n", "", 0, `listener "a".adress: unknown field`},
		{"bad value", ClusterTypeURL, "resources: [{\"@type\": " + ClusterTypeURL + ", name: c, connect_timeout: 5 s}]\n", "", 0, `cluster "c".connect_timeout: `},
		{"version not a string", ListenerTypeURL, "version_info: [1]\n", "", 0, "version_info: expected a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			version, res, err := parseResourceFile([]byte(tc.data), tc.typ)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if len(res) != tc.n {
				t.Errorf("%d resources, want %d", len(res), tc.n)
			}
			if tc.version != "" && version != tc.version {
				t.Errorf("version = %q, want %q", version, tc.version)
			}
			if tc.version == "" && len(version) != 16 {
				t.Errorf("version = %q, want 16 hex digits of the hash", version)
			}
			for _, a := range res {
				if a.GetTypeUrl() != tc.typ {
					t.Errorf("resource type %s, want %s", a.GetTypeUrl(), tc.typ)
				}
			}
		})
	}
}

// FuzzParseResourceFile: the file parser never panics, reports problems
// as parse errors or field errors, and what it accepts decodes as the
// asked type.
func FuzzParseResourceFile(f *testing.F) {
	f.Add([]byte(ldsFile(10001, "c1")))
	f.Add([]byte(staticClusterFile("v1", 20001)))
	f.Add([]byte(`{"version_info": "7", "resources": [{"@type": "type.googleapis.com/envoy.config.listener.v3.Listener", "name": "a"}]}`))
	f.Add([]byte("resources: [{\"@type\": " + ListenerTypeURL + ", name: a, adress: {}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, res, err := parseResourceFile(data, ListenerTypeURL)
		if err != nil {
			if strings.HasPrefix(err.Error(), "parse file: ") {
				return
			}
			for _, e := range flatten(err) {
				var fe *config.FieldError
				if !errors.As(e, &fe) {
					t.Fatalf("error %q is not a *config.FieldError", e)
				}
			}
			return
		}
		for _, a := range res {
			var l listenerv3.Listener
			if err := a.UnmarshalTo(&l); err != nil {
				t.Fatalf("accepted resource does not decode: %v", err)
			}
		}
	})
}
