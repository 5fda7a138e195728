package redisproxy

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/telemetry"
)

// stats are Envoy's redis.<stat_prefix>.* stats. The stat prefix is
// tagged envoy_redis_prefix and the command envoy_redis_command, so
// Prometheus sees one family per stat (envoy_redis_command_total{...})
// rather than one per prefix and command.
type stats struct {
	cxTotal, cxProtocolError, cxDrainClose *telemetry.Counter
	cxRxBytes, cxTxBytes                   *telemetry.Counter
	cxActive, rqActive                     *telemetry.Gauge
	rqTotal                                *telemetry.Counter
	invalidRequest, unsupportedCommand     *telemetry.Counter
	// Sidewire's own: pub/sub messages delivered and subscriptions held,
	// bound upstream connections open, commands refused by the command
	// policy, transactions aborted (EXECABORT).
	pubsubMessages, policyDenied, txAborted *telemetry.Counter
	pubsubActive, boundActive               *telemetry.Gauge

	cmdScope *telemetry.Scope
	unit     telemetry.Unit
	mu       sync.Mutex // serializes creating command stats
	commands []atomic.Pointer[commandStats]
}

// commandStats are redis.<stat_prefix>.command.<command>.*, created on
// the command's first use.
type commandStats struct {
	total, success, errors *telemetry.Counter
	errorFault, delayFault *telemetry.Counter
	latency                *telemetry.Histogram
}

func newStats(root *telemetry.Scope, prefix string, commands int, micros bool) *stats {
	s := root.Sub("redis").Tagged("envoy_redis_prefix", prefix)
	st := &stats{
		cxTotal:            s.Counter("downstream_cx_total"),
		cxProtocolError:    s.Counter("downstream_cx_protocol_error"),
		cxDrainClose:       s.Counter("downstream_cx_drain_close"),
		cxRxBytes:          s.Counter("downstream_cx_rx_bytes_total"),
		cxTxBytes:          s.Counter("downstream_cx_tx_bytes_total"),
		cxActive:           s.Gauge("downstream_cx_active"),
		rqActive:           s.Gauge("downstream_rq_active"),
		rqTotal:            s.Counter("downstream_rq_total"),
		invalidRequest:     s.Counter("splitter.invalid_request"),
		unsupportedCommand: s.Counter("splitter.unsupported_command"),
		pubsubMessages:     s.Counter("pubsub.messages"),
		pubsubActive:       s.Gauge("pubsub.subscriptions"),
		boundActive:        s.Gauge("bound_cx_active"),
		policyDenied:       s.Counter("command_policy_denied"),
		txAborted:          s.Counter("transaction.aborted"),
		cmdScope:           s.Sub("command"),
		unit:               telemetry.Milliseconds,
		commands:           make([]atomic.Pointer[commandStats], commands),
	}
	if micros {
		st.unit = telemetry.Microseconds
	}
	return st
}

// command returns the stats of the command at index i of the filter's
// command table (not 0: unknown commands have none).
func (s *stats) command(i uint32, name string) *commandStats {
	p := &s.commands[i-1]
	if cs := p.Load(); cs != nil {
		return cs
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cs := p.Load(); cs != nil {
		return cs
	}
	c := s.cmdScope.Tagged("envoy_redis_command", name)
	cs := &commandStats{
		total:      c.Counter("total"),
		success:    c.Counter("success"),
		errors:     c.Counter("error"),
		errorFault: c.Counter("error_fault"),
		delayFault: c.Counter("delay_fault"),
		latency:    c.Histogram("latency", s.unit),
	}
	p.Store(cs)
	return cs
}

// record counts one finished command.
func (s *stats) record(i uint32, name string, status codecs.Status, d time.Duration) {
	if i == 0 {
		return
	}
	cs := s.command(i, name)
	cs.total.Inc()
	if status == codecs.StatusOK {
		cs.success.Inc()
	} else {
		cs.errors.Inc()
	}
	if s.unit == telemetry.Microseconds {
		cs.latency.Record(uint64(d.Microseconds()))
	} else {
		cs.latency.Record(uint64(d.Milliseconds()))
	}
}
