package server

import (
	"fmt"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/dubboproxy"
	"github.com/sidewire/sidewire/proxy/filter/connlimit"
	"github.com/sidewire/sidewire/proxy/httpproxy"
	"github.com/sidewire/sidewire/proxy/listener"
	"github.com/sidewire/sidewire/proxy/redisproxy"
	"github.com/sidewire/sidewire/proxy/tcpproxy"
)

// built is a filter chain's handler plus what must be released once the
// connections using it have ended.
type built struct {
	handler listener.ConnHandler
	closers []func()
	// redisPolicy is the chain's Redis command policy, for its
	// redis_proxy.
	redisPolicy *config.RedisCommandPolicy
}

// buildChain composes a chain's network filters, last (terminal) first.
func (s *Server) buildChain(fc *config.FilterChain) (*built, error) {
	b := &built{}
	for _, f := range fc.Filters {
		if p, ok := f.(*config.RedisCommandPolicy); ok {
			b.redisPolicy = p
		}
	}
	for i := len(fc.Filters) - 1; i >= 0; i-- {
		if err := s.buildFilter(b, fc.Filters[i]); err != nil {
			b.close()
			return nil, fmt.Errorf("build filter %q: %w", fc.Filters[i].FilterName(), err)
		}
	}
	return b, nil
}

func (s *Server) buildFilter(b *built, f config.NetworkFilter) error {
	switch f := f.(type) {
	case *config.TCPProxy:
		tp, err := tcpproxy.New(f, tcpproxy.Deps{Clusters: s.clusters, Stats: s.stats.Root(), Logger: s.log})
		if err != nil {
			return err
		}
		b.handler = tp
		b.closers = append(b.closers, tp.Close)
	case *config.RedisProxy:
		rp := redisproxy.New(f, redisproxy.Deps{Clusters: s.clusters, Stats: s.stats.Root(), Logger: s.log,
			CommandPolicy: b.redisPolicy})
		b.handler = rp
		b.closers = append(b.closers, rp.Close)
	case *config.RedisCommandPolicy:
		// Enforced by the chain's redis_proxy (validation ensures there
		// is one after it), which buildChain handed it.
	case *config.DubboProxy:
		dp := dubboproxy.New(f, dubboproxy.Deps{Clusters: s.clusters, Stats: s.stats.Root(), Logger: s.log, Routes: s.dubboRoutes})
		b.handler = dp
		b.closers = append(b.closers, dp.Close)
	case *config.HTTPConnectionManager:
		hp, err := httpproxy.New(f, httpproxy.Deps{Clusters: s.clusters, Stats: s.stats.Root(), Logger: s.log, Routes: s.httpRoutes})
		if err != nil {
			return err
		}
		b.handler = hp
		b.closers = append(b.closers, hp.Close)
	case *config.ConnectionLimit:
		b.handler = connlimit.New(f, s.stats.Root()).Middleware(b.handler)
	default:
		return fmt.Errorf("no runtime for filter type %T", f)
	}
	return nil
}

func (b *built) close() {
	for _, c := range b.closers {
		c()
	}
}

// buildListener builds every chain of a listener config.
func (s *Server) buildListener(l *config.Listener) (*listener.Config, []*built, error) {
	lc := &listener.Config{Listener: l}
	var all []*built
	fail := func(err error) (*listener.Config, []*built, error) {
		for _, b := range all {
			b.close()
		}
		return nil, nil, fmt.Errorf("build listener %q: %w", l.Name, err)
	}
	for _, fc := range l.FilterChains {
		b, err := s.buildChain(fc)
		if err != nil {
			return fail(err)
		}
		all = append(all, b)
		t, err := s.buildTLS(fc)
		if err != nil {
			return fail(err)
		}
		lc.Chains = append(lc.Chains, listener.Chain{Config: fc, Handler: b.handler, TLS: t})
	}
	if l.DefaultFilterChain != nil {
		b, err := s.buildChain(l.DefaultFilterChain)
		if err != nil {
			return fail(err)
		}
		all = append(all, b)
		t, err := s.buildTLS(l.DefaultFilterChain)
		if err != nil {
			return fail(err)
		}
		lc.Default = &listener.Chain{Config: l.DefaultFilterChain, Handler: b.handler, TLS: t}
	}
	return lc, all, nil
}

// buildTLS prepares a chain's TLS termination; nil for a plain chain.
func (s *Server) buildTLS(fc *config.FilterChain) (*listener.TLS, error) {
	if fc.TLS == nil {
		return nil, nil
	}
	t, err := listener.NewTLS(fc.TLS, s.secrets)
	if err != nil {
		return nil, fmt.Errorf("build transport socket of filter chain %q: %w", fc.Name, err)
	}
	return t, nil
}
