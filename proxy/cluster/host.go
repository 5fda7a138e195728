package cluster

import (
	"context"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

// Host is one upstream endpoint of a cluster. Its address, weight and
// priority are read-only to callers; health changes through active health
// checks, outlier detection and EDS. All methods are safe for concurrent
// use.
//
// A cluster may have a great many hosts (100,000 over 10,000 EDS
// clusters is a normal load), so a Host holds what is per host and
// reaches the rest through its cluster: state only some clusters need
// (outlier detection, health checks) is allocated for those alone.
type Host struct {
	// key identifies the host within its cluster across updates: the
	// address for STATIC and EDS hosts, endpoint index and address for
	// STRICT_DNS hosts, a constant for the LOGICAL_DNS host.
	key    string
	target atomic.Pointer[hostTarget]
	meta   atomic.Pointer[hostMeta]
	flags  atomic.Uint64
	active atomic.Int64

	c       *Cluster
	outlier *outlierHostState // nil without outlier detection, and for detached hosts
	hc      *hostChecks       // nil without health checks
	// counters are made at the host's first connection or request.
	counters atomic.Pointer[hostCounters]
}

// hostCounters are a host's /clusters counters.
type hostCounters struct {
	cxTotal, cxConnectFail, rqTotal, rqSuccess, rqError atomic.Uint64
	cxActive                                            atomic.Int64
}

// cnt returns the host's counters, making them at the first call.
func (h *Host) cnt() *hostCounters {
	if c := h.counters.Load(); c != nil {
		return c
	}
	h.counters.CompareAndSwap(nil, new(hostCounters))
	return h.counters.Load()
}

// hostChecks is a host's active health checking state.
type hostChecks struct {
	states []hcHostState      // one per health check, owned by its goroutine
	cancel context.CancelFunc // stops the host's health checks
}

// hostTarget is where connections go. Only the LOGICAL_DNS host changes
// target (when its name resolves to a new first address).
type hostTarget struct {
	ap  netip.AddrPort
	str string // ap.String(): the key hash policies use, and where Address finds the host
}

func newTarget(ap netip.AddrPort) *hostTarget {
	return &hostTarget{ap: ap, str: ap.String()}
}

// address returns the target as a config.Address; its Host shares str.
func (t *hostTarget) address() config.Address {
	host := t.str[:strings.LastIndexByte(t.str, ':')]
	if strings.HasPrefix(host, "[") {
		host = host[1 : len(host)-1]
	}
	return config.Address{Host: host, Port: uint32(t.ap.Port())}
}

// hostMeta is what EDS may change on a live host.
type hostMeta struct {
	hostname string
	weight   uint32
	priority uint32
	locality Locality
	metadata map[string]string
	health   config.HealthStatus
}

// Locality is where a host runs (Envoy's core.v3.Locality).
type Locality struct {
	Region, Zone, SubZone string
}

// Health flag bits. The low bits are single reasons; bits 32..47 say that
// health check i currently fails the host, bits 48..63 that health check i
// has not finished its first check.
const (
	flagFailedOutlier uint64 = 1 << iota
	flagFailedEDS
	flagDegradedEDS
	flagDrainingEDS

	hcFailShift     = 32
	hcPendingShift  = 48
	maxHealthChecks = 16
	hcFailMask      = uint64(0xffff) << hcFailShift
	hcPendingMask   = uint64(0xffff) << hcPendingShift
	edsMask         = flagFailedEDS | flagDegradedEDS | flagDrainingEDS
	unhealthyMask   = flagFailedOutlier | flagFailedEDS | hcFailMask
)

func edsFlags(h config.HealthStatus) uint64 {
	switch h {
	case config.HealthUnhealthy:
		return flagFailedEDS
	case config.HealthDraining:
		return flagFailedEDS | flagDrainingEDS
	case config.HealthDegraded:
		return flagDegradedEDS
	}
	return 0
}

// Address is where the host accepts connections.
func (h *Host) Address() config.Address { return h.target.Load().address() }

// AddrPort is Address as a netip.AddrPort.
func (h *Host) AddrPort() netip.AddrPort { return h.target.Load().ap }

// Hostname is the endpoint's configured hostname: the DNS name of
// STRICT_DNS and LOGICAL_DNS hosts, EDS's hostname field otherwise.
func (h *Host) Hostname() string { return h.meta.Load().hostname }

// Weight is the load balancing weight (>= 1).
func (h *Host) Weight() uint32 { return h.meta.Load().weight }

// Priority is the host's priority level (0 is the highest).
func (h *Host) Priority() uint32 { return h.meta.Load().priority }

// Locality is the host's locality.
func (h *Host) Locality() Locality { return h.meta.Load().locality }

// Metadata returns the endpoint's envoy.lb metadata. The map must not be
// modified.
func (h *Host) Metadata() map[string]string { return h.meta.Load().metadata }

// Healthy reports whether the host may receive traffic outside panic
// mode: no active health check, outlier detection or EDS status fails it.
// Degraded hosts are healthy but preferred last.
func (h *Host) Healthy() bool { return h.flags.Load()&unhealthyMask == 0 }

// Degraded reports whether EDS marked a healthy host as degraded.
func (h *Host) Degraded() bool {
	f := h.flags.Load()
	return f&unhealthyMask == 0 && f&flagDegradedEDS != 0
}

// HealthFlags renders the health as Envoy's /clusters health_flags:
// "healthy", or the reasons, e.g. "/failed_active_hc/failed_outlier_check".
func (h *Host) HealthFlags() string {
	f := h.flags.Load()
	if f == 0 {
		return "healthy"
	}
	var b strings.Builder
	add := func(set bool, name string) {
		if set {
			b.WriteByte('/')
			b.WriteString(name)
		}
	}
	add(f&hcFailMask != 0, "failed_active_hc")
	add(f&flagFailedOutlier != 0, "failed_outlier_check")
	add(f&flagFailedEDS != 0, "failed_eds_health")
	add(f&flagDegradedEDS != 0, "degraded_eds_health")
	add(f&hcPendingMask != 0, "pending_active_hc")
	add(f&flagDrainingEDS != 0, "eds_status_draining")
	return b.String()
}

// setFlags atomically clears clear and sets set, reporting whether the
// host's health (healthy, degraded or unhealthy) changed.
func (h *Host) setFlags(clear, set uint64) bool {
	for {
		old := h.flags.Load()
		nu := old&^clear | set
		if old == nu || h.flags.CompareAndSwap(old, nu) {
			return healthClass(old) != healthClass(nu)
		}
	}
}

type class uint8

const (
	classHealthy class = iota
	classDegraded
	classUnhealthy
)

func healthClass(f uint64) class {
	switch {
	case f&unhealthyMask != 0:
		return classUnhealthy
	case f&flagDegradedEDS != 0:
		return classDegraded
	}
	return classHealthy
}

// HostStats are a host's counters as Envoy's /clusters shows them.
type HostStats struct {
	CxTotal, CxActive, CxConnectFail uint64
	RqTotal, RqActive                uint64
	RqSuccess, RqError               uint64
}

// Stats returns the host's counters.
func (h *Host) Stats() HostStats {
	c := h.counters.Load()
	if c == nil {
		return HostStats{RqActive: uint64(max(0, h.active.Load()))}
	}
	return HostStats{
		CxTotal:       c.cxTotal.Load(),
		CxActive:      uint64(max(0, c.cxActive.Load())),
		CxConnectFail: c.cxConnectFail.Load(),
		RqTotal:       c.rqTotal.Load(),
		RqActive:      uint64(max(0, h.active.Load())),
		RqSuccess:     c.rqSuccess.Load(),
		RqError:       c.rqError.Load(),
	}
}

// RequestStarted counts a request sent to the host: rq_total and
// rq_active of the host, upstream_rq_total and upstream_rq_active of the
// cluster. LEAST_REQUEST reads the active count. Every call must be paired
// with RequestFinished.
func (h *Host) RequestStarted() {
	h.active.Add(1)
	h.cnt().rqTotal.Add(1)
	ts := h.c.stats.tr()
	ts.rqTotal.Inc()
	ts.rqActive.Inc()
}

// RequestFinished ends a request counted by RequestStarted.
func (h *Host) RequestFinished() {
	h.active.Add(-1)
	h.c.stats.tr().rqActive.Dec()
}

// ReportSuccess tells outlier detection that a request to the host
// succeeded (rq_success), resetting its consecutive failure count.
func (h *Host) ReportSuccess() {
	h.cnt().rqSuccess.Add(1)
	if h.outlier != nil {
		h.c.od.success(h, false)
	}
}

// ReportFailure tells outlier detection that a request to the host failed
// (rq_error). localOrigin is true for failures Sidewire saw itself
// (connect failure, timeout, reset) rather than an error the upstream
// answered with.
func (h *Host) ReportFailure(localOrigin bool) {
	h.cnt().rqError.Add(1)
	if h.outlier != nil {
		h.c.od.failure(h, localOrigin)
	}
}

// String returns the host's address.
func (h *Host) String() string { return h.target.Load().str }

// hostSpec is a host as a config source (static, DNS, EDS) describes it.
type hostSpec struct {
	key    string
	target *hostTarget
	meta   *hostMeta
}

// newHost builds a host for cluster c. Hosts of a cluster with active
// health checks start failed and pending until their first check passes,
// unless carry holds passing state from the cluster's previous version.
func (c *Cluster) newHost(s hostSpec, carry *carried) *Host {
	h := &Host{key: s.key, c: c}
	h.target.Store(s.target)
	h.meta.Store(s.meta)
	if c.od != nil {
		h.outlier = new(outlierHostState)
	}
	n := len(c.cfg.Load().HealthChecks)
	flags := edsFlags(s.meta.health)
	if n > 0 {
		h.hc = &hostChecks{states: make([]hcHostState, n)}
		all := uint64(1)<<n - 1
		if carry == nil || !carry.hcPassing {
			flags |= all<<hcFailShift | all<<hcPendingShift
		}
	}
	if carry != nil && c.od != nil && carry.ejected {
		c.od.adopt(h, carry)
		flags |= flagFailedOutlier
	}
	h.flags.Store(flags)
	return h
}

// carried is a host's health state handed from one version of a cluster
// to the next.
type carried struct {
	hcPassing    bool
	ejected      bool
	ejectedAt    time.Time
	numEjections uint32
}
