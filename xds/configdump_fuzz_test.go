package xds

import (
	"errors"
	"net/url"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"google.golang.org/protobuf/proto"
)

// FuzzWireName feeds arbitrary bytes (a rejected resource may be anything
// a peer sent) to wireName: it must never panic, and on bytes protobuf
// decodes as a Cluster it must find the Cluster's name.
func FuzzWireName(f *testing.F) {
	for _, c := range []*clusterv3.Cluster{edsCluster("c1"), {Name: "x", AltStatName: "y"}, {}} {
		b, err := proto.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x0a, 0x05, 'a'}) // truncated name
	f.Add([]byte{0x0a, 0x01, 'a', 0x0a, 0x01, 'b'})
	f.Fuzz(func(t *testing.T, b []byte) {
		got := wireName(b)
		var c clusterv3.Cluster
		if proto.Unmarshal(b, &c) == nil && got != c.GetName() {
			t.Fatalf("wireName = %q, protobuf says %q", got, c.GetName())
		}
	})
}

// FuzzParseDumpQuery feeds arbitrary query strings to ParseDumpQuery: it
// must never panic and every error is a *QueryError.
func FuzzParseDumpQuery(f *testing.F) {
	for _, s := range []string{
		"", "include_eds", "resource=dynamic_active_clusters&name_regex=c.*",
		"resource=dynamic_listeners&mask=name,active_state.version_info", "mask=a..b", "name_regex=(",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		q, err := ParseDumpQuery(v)
		var qe *QueryError
		if err != nil && !errors.As(err, &qe) {
			t.Fatalf("error %v is not a *QueryError", err)
		}
		if err == nil && len(q.Mask) > 0 {
			newMaskTree(q.Mask) // must not panic on an accepted mask
		}
	})
}
