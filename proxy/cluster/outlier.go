package cluster

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

// failureKind is what an ejection was for.
type failureKind int

const (
	kind5xx         failureKind = iota // consecutive failures of any origin (or external ones when split)
	kindLocalOrigin                    // consecutive local-origin failures when split
)

func (k failureKind) String() string {
	if k == kindLocalOrigin {
		return "consecutive_local_origin_failure"
	}
	return "consecutive_5xx"
}

// Outlier detection defaults (Envoy's) for zero durations and thresholds.
// Percentages are taken as given: 0 means 0%.
const (
	defaultConsecutive      = 5
	defaultODInterval       = 10 * time.Second
	defaultBaseEjectionTime = 30 * time.Second
	defaultMaxEjectionTime  = 300 * time.Second
)

func outlierDefaults(o config.OutlierDetection) config.OutlierDetection {
	if o.Consecutive5xx == 0 {
		o.Consecutive5xx = defaultConsecutive
	}
	if o.ConsecutiveLocalOriginFailure == 0 {
		o.ConsecutiveLocalOriginFailure = defaultConsecutive
	}
	if o.Interval <= 0 {
		o.Interval = defaultODInterval
	}
	if o.BaseEjectionTime <= 0 {
		o.BaseEjectionTime = defaultBaseEjectionTime
	}
	if o.MaxEjectionTime <= 0 {
		o.MaxEjectionTime = max(defaultMaxEjectionTime, o.BaseEjectionTime)
	}
	return o
}

// outlierDetector ejects hosts after consecutive failures (Envoy's
// consecutive_5xx and consecutive_local_origin_failure detectors) and
// returns them after their ejection time, checked every Interval.
type outlierDetector struct {
	c   *Cluster
	cfg config.OutlierDetection
	s   *odStats

	hostCount atomic.Int64 // cluster membership size, for max_ejection_percent
	mu        sync.Mutex   // ejection decisions and the fields below
	active    int64
}

// outlierHostState is a host's outlier detection state. The counters are
// updated on the request path; the rest is guarded by the detector's mu.
type outlierHostState struct {
	cons5xx, consLocal atomic.Uint32

	ejected      bool
	removed      bool
	numEjections uint32 // the ejection time multiplier
	ejectedAt    time.Time
	unejectedAt  time.Time
}

func newOutlierDetector(c *Cluster, cfg config.OutlierDetection) *outlierDetector {
	return &outlierDetector{c: c, cfg: outlierDefaults(cfg), s: c.stats.od}
}

// failure counts a failed request or connect. Reaching the threshold
// exactly triggers detection once, then the count starts over.
func (d *outlierDetector) failure(h *Host, localOrigin bool) {
	o := h.outlier
	if localOrigin && d.cfg.SplitExternalLocalOriginErrors {
		if o.consLocal.Add(1) == d.cfg.ConsecutiveLocalOriginFailure {
			d.detect(h, kindLocalOrigin)
		}
		return
	}
	if o.cons5xx.Add(1) == d.cfg.Consecutive5xx {
		d.detect(h, kind5xx)
	}
}

// success resets the matching consecutive failure count. Without split
// errors any success resets the one count.
func (d *outlierDetector) success(h *Host, localOrigin bool) {
	ctr := &h.outlier.cons5xx
	if localOrigin && d.cfg.SplitExternalLocalOriginErrors {
		ctr = &h.outlier.consLocal
	}
	if ctr.Load() != 0 { // skip the write (and cache line bounce) when clean
		ctr.Store(0)
	}
}

func (d *outlierDetector) detect(h *Host, kind failureKind) {
	o := h.outlier
	enforcing := d.cfg.EnforcingConsecutive5xx
	if kind == kindLocalOrigin {
		o.consLocal.Store(0)
		enforcing = d.cfg.EnforcingConsecutiveLocalOriginFailure
	} else {
		o.cons5xx.Store(0)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if o.ejected || o.removed || d.c.done.Load() {
		return
	}
	d.s.ejectionsTotal.Inc()
	d.s.detected[kind].Inc()
	if kind == kind5xx {
		d.s.consecutive5xx.Inc()
	}
	if rand.Uint32N(100) >= enforcing {
		return
	}
	// At least one host may always be ejected; beyond that the share of
	// ejected hosts stays within max_ejection_percent.
	if total := d.hostCount.Load(); d.active > 0 && (d.active+1)*100 > int64(d.cfg.MaxEjectionPercent)*total {
		d.s.ejectionsOverflow.Inc()
		return
	}
	if time.Duration(o.numEjections)*d.cfg.BaseEjectionTime < d.cfg.MaxEjectionTime {
		o.numEjections++
	}
	o.ejected = true
	o.ejectedAt = time.Now()
	d.active++
	d.s.ejectionsActive.Set(d.active)
	d.s.ejectionsEnforcedTotal.Inc()
	d.s.enforced[kind].Inc()
	h.setFlags(0, flagFailedOutlier)
	d.c.Logger().Warn("outlier detection ejected host", "host", h.String(), "reason", kind.String(),
		"ejection_time", d.ejectionTime(o), "ejections_active", d.active)
	h.c.kickRebuild()
}

func (d *outlierDetector) ejectionTime(o *outlierHostState) time.Duration {
	return min(time.Duration(o.numEjections)*d.cfg.BaseEjectionTime, d.cfg.MaxEjectionTime)
}

// run sweeps every Interval and rebuilds the cluster's state when the
// request path reports an ejection.
func (d *outlierDetector) run(ctx context.Context) {
	t := time.NewTicker(d.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.c.kick:
			d.c.rebuild()
		case now := <-t.C:
			d.sweep(now)
		}
	}
}

// sweep returns hosts whose ejection time has passed, and lowers the
// ejection multiplier of hosts that stayed in service for a base ejection
// time.
func (d *outlierDetector) sweep(now time.Time) {
	var back []*Host
	d.mu.Lock()
	for _, h := range d.c.state.Load().all {
		o := h.outlier
		switch {
		case o.removed:
		case o.ejected:
			if now.Sub(o.ejectedAt) >= d.ejectionTime(o) {
				o.ejected = false
				o.unejectedAt = now
				d.active--
				back = append(back, h)
			}
		case o.numEjections > 0 && now.Sub(o.unejectedAt) >= d.cfg.BaseEjectionTime:
			o.numEjections--
			o.unejectedAt = now
		}
	}
	d.s.ejectionsActive.Set(d.active)
	d.mu.Unlock()
	if len(back) == 0 {
		return
	}
	for _, h := range back {
		h.outlier.cons5xx.Store(0)
		h.outlier.consLocal.Store(0)
		h.setFlags(flagFailedOutlier, 0)
		d.c.Logger().Info("outlier detection returned host", "host", h.String())
	}
	d.c.rebuild()
}

// adopt takes over an ejection carried from the cluster's previous
// version. Called with c.mu held.
func (d *outlierDetector) adopt(h *Host, cr *carried) {
	d.mu.Lock()
	defer d.mu.Unlock()
	o := h.outlier
	o.ejected, o.ejectedAt, o.numEjections = true, cr.ejectedAt, cr.numEjections
	d.active++
	d.s.ejectionsActive.Set(d.active)
}

// snapshot copies h's ejection into cr. Called with c.mu held.
func (d *outlierDetector) snapshot(h *Host, cr *carried) {
	d.mu.Lock()
	defer d.mu.Unlock()
	o := h.outlier
	cr.ejected, cr.ejectedAt, cr.numEjections = o.ejected, o.ejectedAt, o.numEjections
}

// forget drops a host that left the cluster. Called with c.mu held.
func (d *outlierDetector) forget(h *Host) {
	d.mu.Lock()
	defer d.mu.Unlock()
	o := h.outlier
	o.removed = true
	if o.ejected {
		o.ejected = false
		d.active--
		d.s.ejectionsActive.Set(d.active)
	}
}
