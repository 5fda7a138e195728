package dubboproxy

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/session"
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
// request, and the first matching abort answers it locally (done).
func (r *router) inject(ctx context.Context, st *session.Stream, q *request) (outcome, bool) {
	for i := range r.f.faults {
		ft := &r.f.faults[i]
		if !ft.match(q) {
			continue
		}
		if ft.cfg.Delay > 0 && hit(ft.cfg.DelayFraction) {
			r.f.stats.faultDelay.Inc()
			t := time.NewTimer(ft.cfg.Delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return outcome{}, true
			}
		}
		if ft.cfg.AbortStatus != 0 && hit(ft.cfg.AbortFraction) {
			r.f.stats.faultAbort.Inc()
			msg := ft.cfg.AbortMessage
			if msg == "" {
				msg = fmt.Sprintf("sidewire dubbo proxy: fault injected into %s.%s", q.service, q.method)
			}
			return reply(st, dubbo.ResponseStatus(ft.cfg.AbortStatus), msg), true
		}
	}
	return outcome{}, false
}
