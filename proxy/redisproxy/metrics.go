package redisproxy

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/telemetry"
)

// Prometheus families of every redis_proxy. Labels are bounded: command
// is a command of the table (or a configured custom command) or "other";
// route is a configured prefix, "catch_all", or "" for commands the proxy
// answers itself; status is a codecs.Status name.
const (
	commandsFamily = "sidewire_redis_commands_total"
	durationFamily = "sidewire_redis_command_duration_seconds"
	otherCommand   = "other"
)

// statusCount bounds codecs.Status values (StatusInternal is the last).
const statusCount = int(codecs.StatusInternal) + 1

// metrics caches the families' children per (command, route): each is
// resolved once, on first use, and then updated without locks.
type metrics struct {
	commands *telemetry.CounterFamily
	duration *telemetry.HistogramFamily
	routes   int // routes + 1: the last index is "no route"
	cells    []atomic.Pointer[metricCell]
	mu       sync.Mutex
}

type metricCell struct {
	command, route string
	mu             sync.Mutex
	byStatus       [statusCount]atomic.Pointer[telemetry.FamilyCounter]
	duration       *telemetry.FamilyHistogram
}

func newMetrics(store *telemetry.Store, commands, routes int) *metrics {
	return &metrics{
		commands: store.CounterFamily(commandsFamily, "Redis commands served, by command, route and status.",
			"command", "route", "status"),
		duration: store.HistogramFamily(durationFamily, "Redis command durations from decode to answer, by command and route.",
			nil, "command", "route"),
		routes: routes + 1,
		cells:  make([]atomic.Pointer[metricCell], (commands+1)*(routes+1)),
	}
}

// cell returns the children of command index i (0: other) on route r
// (nil: none).
func (m *metrics) cell(i uint32, name string, r *route) *metricCell {
	ri, label := m.routes-1, ""
	if r != nil {
		ri, label = r.index, r.label
	}
	p := &m.cells[int(i)*m.routes+ri]
	if c := p.Load(); c != nil {
		return c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := p.Load(); c != nil {
		return c
	}
	if i == 0 {
		name = otherCommand
	}
	c := &metricCell{command: name, route: label}
	c.duration = m.duration.With(name, label)
	p.Store(c)
	return c
}

// record counts one finished command.
func (m *metrics) record(i uint32, name string, r *route, status codecs.Status, d time.Duration) {
	c := m.cell(i, name, r)
	c.duration.Observe(d.Seconds())
	if int(status) >= statusCount {
		status = codecs.StatusInternal
	}
	p := &c.byStatus[status]
	ctr := p.Load()
	if ctr == nil {
		c.mu.Lock()
		if ctr = p.Load(); ctr == nil {
			ctr = m.commands.With(c.command, c.route, status.String())
			p.Store(ctr)
		}
		c.mu.Unlock()
	}
	ctr.Inc()
}
