package redisproxy

import (
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

// inject applies a fault to the request, if one is drawn, and reports
// whether it answered the request. An ERROR fault answers with the
// fault's error; a delay holds the request and routes it (or fails it,
// for a delayed ERROR fault) once the delay is over, on a timer, so the
// connection's later commands are not held up (and may overtake it
// upstream, as in Envoy); statusHeld is returned then.
func (q *exchange) inject() (codecs.Status, bool) {
	ft := q.f.faults.pick(q.info.name, rand.Float64())
	if ft == nil {
		return codecs.StatusOK, false
	}
	cs := q.f.stats.command(q.a.cmd, q.info.name)
	if ft.Type == config.RedisFaultDelay {
		cs.delayFault.Inc()
	} else {
		cs.errorFault.Inc()
	}
	if ft.Delay <= 0 {
		if ft.Type == config.RedisFaultError {
			return q.fail(codecs.StatusError, msgFault), true
		}
		return codecs.StatusOK, false
	}
	st := q.st
	st.Hold()
	time.AfterFunc(ft.Delay, func() {
		q.batch = nil // not on the read goroutine any more
		var status codecs.Status
		var rt *route
		if ft.Type == config.RedisFaultError {
			status = q.fail(codecs.StatusError, msgFault)
		} else {
			status, rt = q.route()
		}
		if status != statusHeld {
			q.end(status, rt)
		}
		st.Complete(nil)
	})
	return statusHeld, true
}
