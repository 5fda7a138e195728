package dubboproxy

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/proxy/config"
)

// scope limits a fault or mirror to some services and methods.
type scope struct {
	services, methods [][]byte
}

func newScope(services, methods []string) scope {
	var s scope
	for _, v := range services {
		s.services = append(s.services, []byte(v))
	}
	for _, v := range methods {
		s.methods = append(s.methods, []byte(v))
	}
	return s
}

func (s *scope) match(q *request) bool {
	return listed(s.services, q.service) && listed(s.methods, q.method)
}

// listed reports whether v is in list; an empty list holds everything.
func listed(list [][]byte, v []byte) bool {
	if len(list) == 0 {
		return true
	}
	for _, x := range list {
		if bytes.Equal(x, v) {
			return true
		}
	}
	return false
}

// fault is a compiled config.DubboFault.
type fault struct {
	scope
	cfg config.DubboFault
}

func newFaults(cfgs []config.DubboFault) []fault {
	var out []fault
	for _, c := range cfgs {
		out = append(out, fault{scope: newScope(c.Services, c.Methods), cfg: c})
	}
	return out
}

// hit draws whether a fraction applies.
func hit(fraction float64) bool {
	return fraction >= 1 || fraction > 0 && rand.Float64() < fraction
}

// inject applies the faults in order: each matching fault may delay the
// request, and the first matching abort answers it. It reports whether
// it answered the request (done) and whether it handed it over (held): a
// delay holds the
// stream and goes on, after the total delay, on a timer, so the
// connection's later requests are not held up (they may overtake it).
func (x *exchange) inject() (o outcome, done, held bool) {
	f := x.f
	var delay time.Duration
	var abort *fault
	for i := range f.faults {
		ft := &f.faults[i]
		if !ft.match(&x.q) {
			continue
		}
		if ft.cfg.Delay > 0 && hit(ft.cfg.DelayFraction) {
			f.stats.faultDelay.Inc()
			delay += ft.cfg.Delay
		}
		if ft.cfg.AbortStatus != 0 && hit(ft.cfg.AbortFraction) {
			abort = ft
			break
		}
	}
	if delay <= 0 {
		if abort == nil {
			return outcome{}, false, false
		}
		return x.abort(abort), true, false
	}
	st := x.st
	st.Hold()
	time.AfterFunc(delay, func() {
		x.batch = nil // not on the read goroutine any more
		var o outcome
		held := false
		switch {
		case x.ctx.Err() != nil: // the client went away
		case abort != nil:
			o = x.abort(abort)
		default:
			o, held = x.route()
		}
		if !held {
			x.end(o)
		}
		st.Complete(nil)
	})
	return outcome{}, true, true
}

// abort answers the request with the fault's status.
func (x *exchange) abort(ft *fault) outcome {
	x.f.stats.faultAbort.Inc()
	msg := ft.cfg.AbortMessage
	if msg == "" {
		msg = fmt.Sprintf("sidewire dubbo proxy: fault injected into %s.%s", x.q.service, x.q.method)
	}
	return x.reply(dubbo.ResponseStatus(ft.cfg.AbortStatus), msg)
}
