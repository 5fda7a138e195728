package cluster

import (
	"math/rand/v2"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/lb"
)

// lbState is an immutable snapshot of a cluster's hosts as the load
// balancer sees them. A new one is built whenever membership or health
// changes; Pick only reads it.
type lbState struct {
	levels []level
	loads  loads
	all    []*Host
}

// level is one priority level.
type level struct {
	hosts, healthy, degraded []*Host
	// Pickers over the matching host slices; panicked is built only for
	// levels in panic, degraded only when the level has degraded hosts.
	healthyPicker, degradedPicker, panicPicker lb.Picker
}

var emptyState = &lbState{}

// LBContext carries what a request offers the load balancer.
type LBContext struct {
	// Hash is the request's hash for RING_HASH and MAGLEV (e.g. of the
	// source IP or a header); HasHash says whether it is set. Without a
	// hash those policies pick at random.
	Hash    uint64
	HasHash bool
}

// pick chooses a host, counting lb_healthy_panic when the chosen level is
// in panic.
func (s *lbState) pick(ctx LBContext, cs *clusterStats) *Host {
	if len(s.levels) == 0 {
		return nil
	}
	p, degraded := 0, false
	if len(s.levels) > 1 || s.loads.degraded[0] > 0 {
		r := ctx.Hash
		if !ctx.HasHash {
			r = rand.Uint64()
		}
		p, degraded = s.loads.choose(r)
	}
	lv := &s.levels[p]
	pk, hosts := lv.healthyPicker, lv.healthy
	switch {
	case s.loads.panic[p]:
		cs.lbHealthyPanic.Inc()
		pk, hosts = lv.panicPicker, lv.hosts
	case degraded:
		pk, hosts = lv.degradedPicker, lv.degraded
	}
	if pk == nil {
		return nil
	}
	i := pk.Pick(ctx.Hash, ctx.HasHash)
	if i < 0 {
		return nil
	}
	return hosts[i]
}

// buildState groups hosts by priority, classifies them by health and
// builds the pickers. It runs off the request path.
func buildState(hosts []*Host, cfg *config.Cluster, opts lb.Options) (*lbState, error) {
	if len(hosts) == 0 {
		return emptyState, nil
	}
	st := &lbState{all: hosts}
	if !groupOneLevel(st, hosts) {
		for _, h := range hosts {
			p := int(h.Priority())
			for len(st.levels) <= p {
				st.levels = append(st.levels, level{})
			}
			lv := &st.levels[p]
			lv.hosts = append(lv.hosts, h)
			switch healthClass(h.flags.Load()) {
			case classHealthy:
				lv.healthy = append(lv.healthy, h)
			case classDegraded:
				lv.degraded = append(lv.degraded, h)
			}
		}
	}
	counts := make([]levelCounts, len(st.levels))
	for i, lv := range st.levels {
		counts[i] = levelCounts{total: len(lv.hosts), healthy: len(lv.healthy), degraded: len(lv.degraded)}
	}
	factor := uint32(defaultOverprovisioning)
	if la := cfg.LoadAssignment; la != nil && la.OverprovisioningFactor > 0 {
		factor = la.OverprovisioningFactor
	}
	st.loads = computeLoads(counts, factor)
	var err error
	for i := range st.levels {
		lv := &st.levels[i]
		if lv.healthyPicker, err = newPicker(cfg.LBPolicy, lv.healthy, opts); err != nil {
			return nil, err
		}
		if len(lv.degraded) > 0 {
			if lv.degradedPicker, err = newPicker(cfg.LBPolicy, lv.degraded, opts); err != nil {
				return nil, err
			}
		}
		if st.loads.panic[i] {
			if lv.panicPicker, err = newPicker(cfg.LBPolicy, lv.hosts, opts); err != nil {
				return nil, err
			}
		}
	}
	return st, nil
}

// groupOneLevel fills st's levels when every host is of priority 0 and
// healthy, the common case: the level then shares the hosts slice
// (which is never modified) instead of copying it twice. It reports
// whether it did.
func groupOneLevel(st *lbState, hosts []*Host) bool {
	for _, h := range hosts {
		if h.Priority() != 0 || healthClass(h.flags.Load()) != classHealthy {
			return false
		}
	}
	st.levels = []level{{hosts: hosts, healthy: hosts}}
	return true
}

func newPicker(p config.LBPolicy, hosts []*Host, opts lb.Options) (lb.Picker, error) {
	if p == config.ClusterProvided {
		p = config.Random // the cluster type places requests; Pick is its fallback
	}
	ws := make([]lb.Weighted, len(hosts))
	for i, h := range hosts {
		ws[i] = lb.Weighted{Key: h.target.Load().str, Weight: h.Weight(), Active: &h.active}
	}
	return lb.New(p, ws, opts)
}
