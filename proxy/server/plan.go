package server

import (
	"context"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/listener"
)

// plan is a prepared listener change set: everything is built and every
// new socket is bound, nothing is live yet.
type plan struct {
	keep   map[string]bool     // listeners left exactly as they are
	update map[string]*running // same socket, new chains
	create map[string]*running // new sockets
	remove map[string]bool     // listeners to drain
}

func (s *Server) prepare(snap *config.Snapshot) (*plan, error) {
	p := &plan{keep: map[string]bool{}, update: map[string]*running{}, create: map[string]*running{}, remove: map[string]bool{}}
	for _, lc := range snap.Listeners {
		old := s.listeners[lc.Name]
		if old != nil && unchanged(old.cfg.Listener, lc) {
			p.keep[lc.Name] = true
			continue
		}
		cfg, built, err := s.buildListener(lc)
		if err != nil {
			p.abort()
			return nil, err
		}
		r := &running{cfg: cfg, built: built}
		if old != nil && sameAddress(old.cfg.Listener, lc) {
			p.update[lc.Name] = r
			continue
		}
		if r.ln, err = listener.New(cfg, s.listenerOptions()); err != nil {
			closeBuilt(built)
			p.abort()
			return nil, err
		}
		p.create[lc.Name] = r
	}
	want := make(map[string]bool, len(snap.Listeners))
	for _, lc := range snap.Listeners {
		want[lc.Name] = true
	}
	for name := range s.listeners {
		if !want[name] {
			p.remove[name] = true
		}
	}
	return p, nil
}

// abort releases what prepare built.
func (p *plan) abort() {
	for _, r := range p.update {
		closeBuilt(r.built)
	}
	for _, r := range p.create {
		r.ln.Close()
		closeBuilt(r.built)
	}
}

func closeBuilt(bs []*built) {
	for _, b := range bs {
		b.close()
	}
}

// commit makes a prepared plan live.
func (s *Server) commit(p *plan) {
	for name, r := range p.update {
		old := s.listeners[name]
		prevBuilt := old.built
		prev := old.ln.Update(r.cfg)
		old.cfg, old.built = r.cfg, r.built
		s.st.lmModified.Inc()
		s.releaseWhenIdle(prev, prevBuilt)
	}
	for name := range p.remove {
		s.drainAway(s.listeners[name])
		delete(s.listeners, name)
		s.st.lmRemoved.Inc()
	}
	for name, r := range p.create {
		if old := s.listeners[name]; old != nil { // address changed
			s.drainAway(old)
			s.st.lmModified.Inc()
		} else {
			s.st.lmAdded.Inc()
		}
		s.listeners[name] = r
		s.st.lmCreateSuccess.Inc()
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			r.ln.Serve()
		}()
		s.log.Info("listener started", "name", name, "address", r.ln.Addr().String())
	}
	s.st.lmActive.Set(int64(len(s.listeners)))
}

// releaseWhenIdle closes a replaced config's filters once its connections end.
func (s *Server) releaseWhenIdle(prev *listener.Config, bs []*built) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		prev.Wait()
		closeBuilt(bs)
	}()
}

// drainAway closes a listener's socket at once (so Apply returns with it
// no longer accepting), then drains its connections in the background for
// the drain time and closes it and its filters.
func (s *Server) drainAway(r *running) {
	r.ln.StopAccepting()
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, s.opts.DrainTime)
		defer cancel()
		r.ln.Drain(ctx)
		r.ln.Close()
		r.cfg.Wait()
		closeBuilt(r.built)
		s.log.Info("listener drained", "name", r.cfg.Listener.Name)
	}()
}

func (s *Server) listenerOptions() listener.Options {
	return listener.Options{Stats: s.stats.Root(), Logger: s.log, NextConnID: func() uint64 { return s.nextID.Add(1) }}
}
