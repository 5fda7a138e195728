package xds

import (
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"
)

// engine is the transport-independent core of dynamic configuration: it
// owns the accepted state, applies changes from any source (a SotW or
// delta ADS stream, a watched file) with the same validate, warm and
// apply steps, and tells the sources when the accepted state changed (so
// a stream can update its EDS subscription). Its methods are safe for
// concurrent use; changes are applied one at a time.
type engine struct {
	app        Applier
	log        *slog.Logger
	onResponse func(Response)
	ads        bool // the bootstrap has an ads_config

	mu      sync.Mutex // serializes accept and guards state, memo and changed
	state   *adsState
	memo    *memo         // translations of the resources of state
	changed chan struct{} // closed and replaced when state changes

	dump dumpStore // the resources as received, for /config_dump

	statusMu sync.Mutex
	status   ADSStatus
}

func newEngine(app Applier, log *slog.Logger, onResponse func(Response), ads bool) *engine {
	return &engine{app: app, log: log, onResponse: onResponse, ads: ads, state: newADSState(), memo: newMemo(), changed: make(chan struct{})}
}

// accept validates ch against the accepted state and applies the result
// when it is warm. An error rejects ch: it is logged, counted and
// recorded, and the accepted state stays. source names where ch came from
// in logs ("ads", a file path).
func (e *engine) accept(ch *change, source string) error {
	ch.ads = e.ads
	e.mu.Lock()
	defer e.mu.Unlock()
	ch.memo = e.memo
	next := e.state.clone(ch.typ)
	err := next.apply(ch)
	applied := false
	if err == nil {
		applied, err = e.offer(next, ch.typ)
	}
	if err != nil {
		e.memo.discard(ch.typ)
		e.reject(ch, source, err)
		return err
	}
	e.memo.commit(ch.typ)
	e.state = next
	e.dump.accept(ch, next, applied, time.Now())
	close(e.changed)
	e.changed = make(chan struct{})
	e.setStatus(func(st *ADSStatus) { st.Versions = maps.Clone(next.versions) })
	if e.onResponse != nil {
		e.onResponse(Response{TypeURL: ch.typ, Names: ch.names()})
	}
	return nil
}

func (e *engine) reject(ch *change, source string, cause error) {
	e.log.Warn("xds update rejected", "source", source, "type", ch.typ, "version", ch.version, "error", cause)
	e.recordError(fmt.Errorf("reject %s version %q from %s: %w", ch.typ, ch.version, source, cause))
	e.setStatus(func(st *ADSStatus) { st.Rejected++ })
	e.dump.reject(ch, cause, time.Now())
	if e.onResponse != nil {
		e.onResponse(Response{TypeURL: ch.typ, Names: ch.names(), Err: cause})
	}
}

// offer hands next to the Applier when it is warm and reports whether it
// did. A state still warming is accepted without being applied.
func (e *engine) offer(next *adsState, typ string) (applied bool, err error) {
	if w := next.warming(); w != "" {
		e.setStatus(func(st *ADSStatus) { st.Warming = "waiting for " + w })
		return false, nil
	}
	u := next.update(typ)
	if err := u.validate(); err != nil {
		return false, err
	}
	if err := e.app.ApplyXDS(u); err != nil {
		return false, fmt.Errorf("apply update: %w", err)
	}
	e.setStatus(func(st *ADSStatus) {
		st.Warming = ""
		st.LastUpdated = time.Now()
		st.Updates++
	})
	return true, nil
}

// read calls f with the accepted state, which f must not keep or change,
// and returns a channel closed at the next accepted change.
func (e *engine) read(f func(s *adsState)) <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	f(e.state)
	return e.changed
}

func (e *engine) setStatus(f func(s *ADSStatus)) {
	e.statusMu.Lock()
	defer e.statusMu.Unlock()
	f(&e.status)
}

func (e *engine) recordError(err error) {
	e.setStatus(func(s *ADSStatus) {
		s.LastError = err.Error()
		s.LastErrorTime = time.Now()
	})
}

// Status returns a copy of the status.
func (e *engine) Status() ADSStatus {
	e.statusMu.Lock()
	defer e.statusMu.Unlock()
	s := e.status
	s.Versions = maps.Clone(s.Versions)
	return s
}
