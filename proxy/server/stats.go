package server

import (
	"runtime"

	"github.com/sidewire/sidewire/telemetry"
)

// serverStats are Envoy's server.* and listener_manager.* stats.
type serverStats struct {
	live, state, uptime, concurrency *telemetry.Gauge
	memAllocated, memHeapSize        *telemetry.Gauge
	lmActive                         *telemetry.Gauge
	lmAdded, lmModified, lmRemoved   *telemetry.Counter
	lmCreateSuccess, lmCreateFailure *telemetry.Counter
}

func newServerStats(root *telemetry.Scope) *serverStats {
	srv := root.Sub("server")
	lm := root.Sub("listener_manager")
	st := &serverStats{
		live:            srv.Gauge("live"),
		state:           srv.Gauge("state"),
		uptime:          srv.Gauge("uptime"),
		concurrency:     srv.Gauge("concurrency"),
		memAllocated:    srv.Gauge("memory_allocated"),
		memHeapSize:     srv.Gauge("memory_heap_size"),
		lmActive:        lm.Gauge("total_listeners_active"),
		lmAdded:         lm.Counter("listener_added"),
		lmModified:      lm.Counter("listener_modified"),
		lmRemoved:       lm.Counter("listener_removed"),
		lmCreateSuccess: lm.Counter("listener_create_success"),
		lmCreateFailure: lm.Counter("listener_create_failure"),
	}
	st.live.Set(1)
	st.concurrency.Set(int64(runtime.GOMAXPROCS(0)))
	return st
}
