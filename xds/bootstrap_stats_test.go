package xds

import (
	"strings"
	"testing"
)

// TestDeferredStatOptions checks Envoy's deferred_stat_options is
// accepted and carried in the snapshot's stats options, off by default
// as in Envoy, and that its unknown fields are still refused.
func TestDeferredStatOptions(t *testing.T) {
	tests := []struct {
		desc, extra string
		want        bool
		err         string
	}{
		{"absent", "", false, ""},
		{"enabled", "deferred_stat_options:\n  enable_deferred_creation_stats: true\n", true, ""},
		{"disabled", "deferred_stat_options:\n  enable_deferred_creation_stats: false\n", false, ""},
		{"unknown field", "deferred_stat_options:\n  enable_lazy: true\n", false, "enable_lazy"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			data := append(DefaultBootstrapYAML(), "\n"+tt.extra...)
			snap, err := LoadBootstrap(data)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("LoadBootstrap = %v, want an error naming %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := snap.Stats.DeferredCreation; got != tt.want {
				t.Errorf("Stats.DeferredCreation = %v, want %v", got, tt.want)
			}
		})
	}
}
