package hostpools

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/sidewire/sidewire/proxy/cluster"
)

// ErrClosed fails requests that race with Set.Close.
var ErrClosed = errors.New("proxy closed")

// Member is what a Set holds: the pools to one host of one cluster.
type Member interface {
	// Where returns the cluster and host the member reaches.
	Where() (*cluster.Cluster, *cluster.Host)
	// Close closes the member's pools, failing what is in flight.
	Close()
}

// Set holds members by key. It is safe for concurrent use.
type Set[K comparable, M Member] struct {
	clusters *cluster.Manager
	onSweep  func(gone []M)

	m      sync.Map // K -> M; read lock-free
	mu     sync.Mutex
	closed bool
	stale  map[K]struct{} // seen gone by the last sweep; owned by the sweeper

	stop chan struct{}
	done chan struct{}
}

// New returns a Set that sweeps every interval. onSweep, if not nil, is
// told of the members a sweep removes, before they are closed.
func New[K comparable, M Member](m *cluster.Manager, interval time.Duration, onSweep func(gone []M)) *Set[K, M] {
	s := &Set[K, M]{clusters: m, onSweep: onSweep, stale: map[K]struct{}{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go s.sweepLoop(interval)
	return s
}

// Get returns the member under k, made by create if there is none. It
// fails with ErrClosed once the Set is closed.
func (s *Set[K, M]) Get(k K, create func() M) (M, error) {
	if v, ok := s.m.Load(k); ok {
		return v.(M), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		var zero M
		return zero, ErrClosed
	}
	if v, ok := s.m.Load(k); ok {
		return v.(M), nil
	}
	m := create()
	s.m.Store(k, m)
	return m, nil
}

// Len returns the number of members.
func (s *Set[K, M]) Len() int {
	n := 0
	s.m.Range(func(any, any) bool { n++; return true })
	return n
}

func (s *Set[K, M]) sweepLoop(interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.sweep()
		}
	}
}

// sweep removes and closes the members whose host has been gone for two
// sweeps in a row.
func (s *Set[K, M]) sweep() {
	hosts := map[*cluster.Cluster][]*cluster.Host{}
	var gone []M
	s.m.Range(func(key, v any) bool {
		k, m := key.(K), v.(M)
		cl, h := m.Where()
		hs, ok := hosts[cl]
		if !ok {
			if s.clusters.Get(cl.Name()) == cl {
				hs = cl.Hosts()
			}
			hosts[cl] = hs
		}
		if slices.Contains(hs, h) {
			delete(s.stale, k)
			return true
		}
		if _, ok := s.stale[k]; ok {
			delete(s.stale, k)
			s.m.Delete(k)
			gone = append(gone, m)
			return true
		}
		s.stale[k] = struct{}{}
		return true
	})
	if len(gone) == 0 {
		return
	}
	if s.onSweep != nil {
		s.onSweep(gone)
	}
	for _, m := range gone {
		m.Close()
	}
}

// Close stops the sweeper and closes every member. Get fails afterwards.
func (s *Set[K, M]) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.done
	s.m.Range(func(k, v any) bool {
		s.m.Delete(k)
		v.(M).Close()
		return true
	})
}
