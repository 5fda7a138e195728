package xds

import "testing"

// BenchmarkLoadBootstrap measures loading the default bootstrap (4
// listeners, 4 clusters) from YAML to a validated snapshot.
func BenchmarkLoadBootstrap(b *testing.B) {
	data := DefaultBootstrapYAML()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadBootstrap(data); err != nil {
			b.Fatal(err)
		}
	}
}
