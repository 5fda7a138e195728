package xds

import (
	"testing"
)

func deltaItems(version string, names []string, items []resourceItem) []resourceItem {
	out := make([]resourceItem, len(items))
	for i, it := range items {
		out[i] = resourceItem{name: names[i], version: version, res: it.res}
	}
	return out
}

// TestAcceptedStateIsNeverModified checks that later changes, accepted
// or rejected, leave an earlier update (whose maps are shared with the
// accepted state) as it was.
func TestAcceptedStateIsNeverModified(t *testing.T) {
	for _, mode := range []changeMode{sotw, delta} {
		h := newEngineHarness(t)
		items := func(version string, names []string, res []resourceItem) []resourceItem {
			if mode == delta {
				return deltaItems(version, names, res)
			}
			return res
		}
		h.mustAccept(ClusterTypeURL, mode, items("1", []string{"a", "b"}, anys(t, edsCluster("a"), edsCluster("b"))))
		h.mustAccept(EndpointTypeURL, mode, items("1", []string{"a", "b"}, anys(t, assignment("a", 1), assignment("b", 2))))
		first := h.last
		la := first.Endpoints["a"]

		h.mustAccept(EndpointTypeURL, mode, items("2", []string{"a", "b"}, anys(t, assignment("a", 3), assignment("b", 2))))
		if first.Endpoints["a"] != la {
			t.Errorf("mode %d: an accepted EDS change modified an earlier update's endpoints", mode)
		}
		second := h.last
		if got := second.Endpoints["a"].Localities[0].Endpoints[0].Address.Port; got != 3 {
			t.Fatalf("mode %d: a's port %d, want 3", mode, got)
		}
		// A rejected change (an assignment that fails translation) leaves
		// the accepted state alone.
		bad := assignment("a", 4)
		bad.Endpoints[0].LbEndpoints[0].GetEndpoint().Address = nil
		if err := h.accept(EndpointTypeURL, mode, items("3", []string{"a"}, anys(t, bad))); err == nil {
			t.Fatalf("mode %d: assignment without an address accepted", mode)
		}
		var port uint32
		h.eng.read(func(s *adsState) { port = s.endpoints["a"].Localities[0].Endpoints[0].Address.Port })
		if port != 3 {
			t.Errorf("mode %d: a rejected change left a's port %d, want 3", mode, port)
		}
		// Removing cluster b drops its assignment, but not from earlier
		// updates.
		if mode == delta {
			if err := h.eng.accept(&change{typ: ClusterTypeURL, version: "2", mode: delta, removed: []string{"b"}}, "test"); err != nil {
				t.Fatal(err)
			}
		} else {
			h.mustAccept(ClusterTypeURL, mode, anys(t, edsCluster("a")))
		}
		if h.last.Endpoints["b"] != nil || second.Endpoints["b"] == nil {
			t.Errorf("mode %d: after removing cluster b: its assignment in the new update %v, in the earlier one %v; want gone, kept",
				mode, h.last.Endpoints["b"] != nil, second.Endpoints["b"] != nil)
		}
		if mode == delta {
			var rv map[string]string
			h.eng.read(func(s *adsState) { rv = s.resourceVersions[EndpointTypeURL] })
			if _, ok := rv["b"]; ok {
				t.Error("delta: the version of b's assignment outlived its cluster")
			}
		}
	}
}

// TestUnwantedAssignmentIsDropped checks that an EDS change carrying an
// assignment no cluster names does not keep it (nor, over delta, its
// version), while the wanted ones stay.
func TestUnwantedAssignmentIsDropped(t *testing.T) {
	for _, mode := range []changeMode{sotw, delta} {
		h := newEngineHarness(t)
		items := func(names []string, res []resourceItem) []resourceItem {
			if mode == delta {
				return deltaItems("1", names, res)
			}
			return res
		}
		h.mustAccept(ClusterTypeURL, mode, items([]string{"a"}, anys(t, edsCluster("a"))))
		h.mustAccept(EndpointTypeURL, mode, items([]string{"a", "stray"}, anys(t, assignment("a", 1), assignment("stray", 2))))
		if h.last.Endpoints["a"] == nil || h.last.Endpoints["stray"] != nil {
			t.Errorf("mode %d: endpoints a %v, stray %v; want a only", mode, h.last.Endpoints["a"] != nil, h.last.Endpoints["stray"] != nil)
		}
		var rv map[string]string
		h.eng.read(func(s *adsState) { rv = s.resourceVersions[EndpointTypeURL] })
		if _, ok := rv["stray"]; ok {
			t.Errorf("mode %d: the version of an unwanted assignment was kept", mode)
		}
	}
}

// TestDerivedNamesFollowChanges checks that the sorted names the state
// caches follow cluster and listener changes.
func TestDerivedNamesFollowChanges(t *testing.T) {
	h := newEngineHarness(t)
	h.mustAccept(ClusterTypeURL, sotw, anys(t, edsCluster("b"), edsCluster("a")))
	var eds []string
	h.eng.read(func(s *adsState) { eds = s.adsEDSNames() })
	if len(eds) != 2 || eds[0] != "a" || eds[1] != "b" {
		t.Fatalf("EDS names %v, want [a b]", eds)
	}
	h.mustAccept(ClusterTypeURL, sotw, anys(t, edsCluster("c")))
	h.mustAccept(EndpointTypeURL, sotw, anys(t, assignment("c", 1)))
	h.eng.read(func(s *adsState) { eds = s.adsEDSNames() })
	if len(eds) != 1 || eds[0] != "c" {
		t.Fatalf("EDS names after a CDS change %v, want [c]", eds)
	}
	h.mustAccept(ListenerTypeURL, sotw, anys(t, tcpListener(t, "l2", 10002, "c"), tcpListener(t, "l1", 10001, "c")))
	h.mustAccept(ListenerTypeURL, sotw, anys(t, tcpListener(t, "l3", 10003, "c")))
	if len(h.last.Listeners) != 1 || h.last.Listeners[0].Name != "l3" || len(h.last.Clusters) != 1 || h.last.Clusters[0].Name != "c" {
		t.Errorf("update after LDS change: %d listeners, clusters %v; want l3 and c", len(h.last.Listeners), clusterNames(h.last))
	}
}
