package server

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// State is Envoy's server.state: 0 live, 1 draining, 2 pre-initializing,
// 3 initializing.
type State int32

// Server states, numbered as Envoy numbers them.
const (
	StateLive State = iota
	StateDraining
	StatePreInitializing
	StateInitializing
)

func (s State) String() string {
	switch s {
	case StateLive:
		return "LIVE"
	case StateDraining:
		return "DRAINING"
	case StatePreInitializing:
		return "PRE_INITIALIZING"
	}
	return "INITIALIZING"
}

// State is the server's lifecycle state.
func (s *Server) State() State { return State(s.state.Load()) }

func (s *Server) setState(st State) {
	s.state.Store(int32(st))
	s.st.state.Set(int64(st))
}

// Uptime is the time since New.
func (s *Server) Uptime() time.Duration { return time.Since(s.started) }

// Shutdown drains: listeners stop accepting, the state turns DRAINING, and
// live connections get until ctx is done to finish; then everything is
// closed.
func (s *Server) Shutdown(ctx context.Context) {
	s.mu.Lock()
	s.setState(StateDraining)
	ls := make([]*running, 0, len(s.listeners))
	for _, r := range s.listeners {
		ls = append(ls, r)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.ln.Drain(ctx)
		}()
	}
	wg.Wait()
	s.Close()
}

// Close closes every listener and connection, stops clusters and waits
// for the server's goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.cancel()
	for name, r := range s.listeners {
		r.ln.Close()
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			r.cfg.Wait()
			closeBuilt(r.built)
		}()
		delete(s.listeners, name)
	}
	close(s.stopTick)
	s.mu.Unlock()
	s.bg.Wait()
	s.clusters.Close()
}

// tick refreshes the server.* gauges that Envoy keeps current.
func (s *Server) tick() {
	defer s.bg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
	}
	for {
		s.st.uptime.Set(int64(s.Uptime().Seconds()))
		metrics.Read(samples)
		s.st.memAllocated.Set(int64(samples[0].Value.Uint64()))
		s.st.memHeapSize.Set(int64(samples[1].Value.Uint64()))
		s.st.concurrency.Set(int64(runtime.GOMAXPROCS(0)))
		select {
		case <-t.C:
		case <-s.stopTick:
			return
		}
	}
}
