package server

import (
	"testing"
)

// FuzzDecodeFile feeds arbitrary bytes to the file decoder: it never
// panics, and what it accepts is a list of named resources of a served
// type.
func FuzzDecodeFile(f *testing.F) {
	f.Add([]byte(listenersYAML))
	f.Add([]byte(clustersYAML))
	f.Add([]byte(endpointsYAML(7001)))
	f.Add([]byte(`{"resources": [{"@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration", "name": "r"}]}`))
	f.Add([]byte("resources: [{}]"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := decodeFile("f.yaml", data)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.name == "" || r.msg == nil {
				t.Fatalf("accepted a resource without name or message: %+v", r)
			}
			if _, ok := kinds[r.typeURL]; !ok {
				t.Fatalf("accepted a resource of type %s", r.typeURL)
			}
		}
	})
}
