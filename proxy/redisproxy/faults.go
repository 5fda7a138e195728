package redisproxy

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/proxy/config"
)

// msgFault is the error an ERROR fault answers with.
const msgFault = "Fault Injected: Error"

// faults picks the fault, if any, that applies to a routed command, as
// Envoy does: one uniform draw against the cumulative fractions of the
// faults listing the command, in order, then of those listing none.
// Commands the proxy answers itself are never faulted.
type faults struct {
	byCommand map[string][]*config.RedisFault // lower-case command name
	general   []*config.RedisFault
}

func newFaults(fs []config.RedisFault) *faults {
	if len(fs) == 0 {
		return nil
	}
	out := &faults{byCommand: map[string][]*config.RedisFault{}}
	for i := range fs {
		f := &fs[i]
		if len(f.Commands) == 0 {
			out.general = append(out.general, f)
			continue
		}
		for _, c := range f.Commands {
			name := strings.ToLower(c)
			out.byCommand[name] = append(out.byCommand[name], f)
		}
	}
	return out
}

// pick returns the fault for command name given a draw in [0, 1), or nil.
func (fs *faults) pick(name string, draw float64) *config.RedisFault {
	if fs == nil {
		return nil
	}
	cum := 0.0
	for _, list := range [2][]*config.RedisFault{fs.byCommand[name], fs.general} {
		for _, f := range list {
			cum += f.Fraction
			if draw < cum {
				return f
			}
		}
	}
	return nil
}

// inject applies a fault to the request, if one is drawn: it waits out
// the delay and, for an ERROR fault, answers with the fault's error. It
// reports whether the request was answered.
func (q *exchange) inject() (answered bool, status codecs.Status) {
	ft := q.f.faults.pick(q.info.name, rand.Float64())
	if ft == nil {
		return false, codecs.StatusOK
	}
	cs := q.f.stats.command(q.a.cmd, q.info.name)
	if ft.Type == config.RedisFaultDelay {
		cs.delayFault.Inc()
	} else {
		cs.errorFault.Inc()
	}
	if ft.Delay > 0 {
		t := time.NewTimer(ft.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-q.ctx.Done():
			return true, q.failErr(&codecs.ReplyError{Status: codecs.StatusUnavailable, Err: context.Cause(q.ctx)})
		}
	}
	if ft.Type == config.RedisFaultError {
		return true, q.fail(codecs.StatusError, msgFault)
	}
	return false, codecs.StatusOK
}
