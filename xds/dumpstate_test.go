package xds

import (
	"errors"
	"testing"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sidewire/sidewire/proxy/config"
)

func TestBlame(t *testing.T) {
	names := []string{"a", `we"ird`, "", "cluster_b"}
	byName := map[string]int{"a": 0, `we"ird`: 1, "cluster_b": 3}
	fe := func(p string) error { return &config.FieldError{Path: p, Err: errors.New("bad")} }
	for _, tc := range []struct {
		kind string
		err  error
		want int // -1: none
	}{
		{"cluster", fe(`cluster "a".connect_timeout`), 0},
		{"cluster", fe(`cluster "a"`), 0},
		{"cluster", fe(`cluster "we"ird".lb_policy`), 1},
		{"cluster", fe(`cluster[3].name`), 3},
		{"cluster", fe(`cluster[2].name`), -1}, // no name to show it under
		{"cluster", fe(`cluster[9]`), -1},
		{"cluster", fe(`cluster_load_assignment "a"`), -1},
		{"cluster_load_assignment", fe(`cluster_load_assignment "a".endpoints[0]`), 0},
		{"cluster", fe(`listener "a"`), -1},
		{"cluster", fe(`cluster "nope"`), -1},
		{"cluster", errors.New(`cluster "a": not a field error`), -1},
	} {
		i, ok := blame(tc.err, tc.kind, names, byName)
		if got := map[bool]int{true: i, false: -1}[ok]; got != tc.want {
			t.Errorf("blame(%v, %s) = %d, want %d", tc.err, tc.kind, got, tc.want)
		}
	}
}

// TestDumpStoreDeltaRemovals checks removed resources go and a removed
// load assignment of a remaining EDS cluster shows as empty.
func TestDumpStoreDeltaRemovals(t *testing.T) {
	s := newADSState()
	s.clusters["c1"] = &config.Cluster{Name: "c1", Type: config.EDS}
	s.endpoints["c1"] = &config.LoadAssignment{}
	s.endpoints["c2"] = &config.LoadAssignment{}
	now := time.Now()
	var d dumpStore
	la := mustAny(t, assignment("c1", 20001))
	d.accept(&change{typ: EndpointTypeURL, mode: delta, version: "s1", resources: []resourceItem{
		{name: "c1", version: "r1", res: la},
		{name: "c2", version: "r2", res: mustAny(t, assignment("c2", 20002))},
	}}, s, true, now)
	if v := d.view().applied[EndpointTypeURL]["c1"]; v == nil || v.meta.version != "r1" {
		t.Fatalf("c1 = %+v, want version r1", v)
	}
	// c2's cluster is gone (pruned from the state); c1's assignment is
	// removed while its cluster remains.
	delete(s.endpoints, "c2")
	d.accept(&change{typ: EndpointTypeURL, mode: delta, version: "s2", removed: []string{"c1", "c2"}}, s, true, now)
	v := d.view().applied[EndpointTypeURL]
	if len(v) != 1 || v["c1"] == nil || v["c1"].meta.version != "s2" {
		t.Fatalf("assignments %v, want c1 only, at s2", v)
	}
	var got endpointv3.ClusterLoadAssignment
	if err := proto.Unmarshal(v["c1"].raw, &got); err != nil || got.GetClusterName() != "c1" || len(got.GetEndpoints()) != 0 {
		t.Errorf("c1 = %v (%v), want an empty assignment", &got, err)
	}
}

// TestDumpStoreWarming checks a change accepted while the state warms
// leaves the applied resources in place.
func TestDumpStoreWarming(t *testing.T) {
	s := newADSState()
	s.clusters["c1"] = &config.Cluster{Name: "c1"}
	var d dumpStore
	now := time.Now()
	a1 := mustAny(t, edsCluster("c1"))
	d.accept(&change{typ: ClusterTypeURL, version: "1", resources: []resourceItem{{res: a1}}}, s, true, now)
	c1b := edsCluster("c1")
	c1b.AltStatName = "b"
	s2 := s.cloneAll()
	s2.clusters["c2"] = &config.Cluster{Name: "c2"}
	d.accept(&change{typ: ClusterTypeURL, version: "2", resources: []resourceItem{{res: mustAny(t, c1b)}, {res: mustAny(t, edsCluster("c2"))}}}, s2, false, now)
	v := d.view()
	if len(v.applied[ClusterTypeURL]) != 1 || v.applied[ClusterTypeURL]["c1"].meta.version != "1" {
		t.Errorf("applied %v, want c1 at 1", v.applied[ClusterTypeURL])
	}
	if acc := v.accepted[ClusterTypeURL]; len(acc) != 2 || acc["c1"].meta.version != "2" || acc["c2"].meta.version != "2" {
		t.Errorf("accepted %v, want c1 and c2 at 2", acc)
	}
}
