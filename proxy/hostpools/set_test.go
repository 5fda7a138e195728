package hostpools

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

type member struct {
	cl     *cluster.Cluster
	h      *cluster.Host
	closed atomic.Bool
}

func (m *member) Where() (*cluster.Cluster, *cluster.Host) { return m.cl, m.h }
func (m *member) Close()                                   { m.closed.Store(true) }

func eds(ports ...uint32) *config.Cluster {
	var eps []config.Endpoint
	for _, p := range ports {
		eps = append(eps, config.Endpoint{Address: config.Address{Host: "127.0.0.1", Port: p}, Weight: 1})
	}
	return &config.Cluster{Name: "c", Type: config.EDS, LBPolicy: config.RoundRobin, ConnectTimeout: time.Second,
		LoadAssignment: &config.LoadAssignment{Localities: []config.LocalityEndpoints{{Endpoints: eps}}}}
}

// A member is made once per key, kept while its host is in the cluster,
// and closed on the second sweep after its host left; Close closes the
// rest and refuses new ones.
func TestSetLifecycle(t *testing.T) {
	leakcheck.Check(t)
	m := cluster.NewManager(cluster.Options{Stats: telemetry.NewStore().Root()})
	if err := m.Update([]*config.Cluster{eds(1001, 1002)}); err != nil {
		t.Fatal(err)
	}
	var swept atomic.Int32
	s := New[*cluster.Host, *member](m, time.Hour, func(gone []*member) { swept.Add(int32(len(gone))) })
	t.Cleanup(s.Close)
	cl := m.Get("c")
	hs := cl.Hosts()
	made := 0
	get := func(h *cluster.Host) *member {
		t.Helper()
		mb, err := s.Get(h, func() *member { made++; return &member{cl: cl, h: h} })
		if err != nil {
			t.Fatal(err)
		}
		return mb
	}
	a, b := get(hs[0]), get(hs[1])
	if get(hs[0]) != a || made != 2 || s.Len() != 2 {
		t.Fatalf("made %d members for 2 hosts (len %d), or Get made a second one", made, s.Len())
	}
	// Host 1002 leaves: kept one sweep, closed on the next.
	if err := m.UpdateEndpoints("c", eds(1001).LoadAssignment); err != nil {
		t.Fatal(err)
	}
	s.sweep()
	if b.closed.Load() || s.Len() != 2 {
		t.Fatal("member closed on the first sweep after its host left")
	}
	s.sweep()
	if !b.closed.Load() || a.closed.Load() || s.Len() != 1 || swept.Load() != 1 {
		t.Fatalf("after two sweeps: gone closed %v, kept closed %v, len %d, swept %d", b.closed.Load(), a.closed.Load(), s.Len(), swept.Load())
	}
	s.Close()
	if !a.closed.Load() || s.Len() != 0 {
		t.Fatal("Close left a member open")
	}
	if _, err := s.Get(hs[0], func() *member { return &member{} }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v, want ErrClosed", err)
	}
}
