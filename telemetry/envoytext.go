package telemetry

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
)

// EnvoyTextHandler serves /stats in Envoy's formats.
//
// Text (the default): one "name: value" line per counter and gauge,
// sorted by name, then one line per histogram:
//
//	cluster.foo.upstream_cx_connect_ms: P0(nan,1) P25(nan,2.5) ... P100(nan,10)
//
// or "name: No recorded values". Each pair is (interval, cumulative), as
// in Envoy; Sidewire keeps no flush intervals, so the interval half is
// always nan. Quantiles are interpolated from the buckets.
//
// format=json prints Envoy's {"stats":[{"name":..,"value":..},...,
// {"histograms":{"supported_quantiles":[...],"computed_quantiles":[...]}}]}.
// format=prometheus is the same as /stats/prometheus.
//
// Query parameters: usedonly, filter (Go regexp on the full name; an
// invalid one gets 400 and the parse error) and type (All, Counters,
// Gauges, Histograms).
func (s *Store) EnvoyTextHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := parseStatsParams(r.URL.Query())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch p.format {
		case "prometheus":
			s.servePrometheus(w, r, p)
			return
		case "json":
			w.Header().Set("Content-Type", "application/json")
		default:
			w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		}
		bw := bufio.NewWriterSize(w, 32<<10)
		if p.format == "json" {
			s.writeEnvoyJSON(bw, p)
		} else {
			s.writeEnvoyText(bw, p)
		}
		_ = bw.Flush()
	})
}

// numericStat is a counter or a gauge seen through what /stats prints.
type numericStat struct {
	id    *statID
	used  bool
	value []byte // formatted value
}

// mergeNumeric calls fn for every counter and gauge that passes p, in
// name order.
func (v *sortedStats) mergeNumeric(p *statsParams, fn func(id *statID, value []byte)) {
	var scratch [24]byte
	cs, gs := v.counters, v.gauges
	if !p.wants(typeCounters) {
		cs = nil
	}
	if !p.wants(typeGauges) {
		gs = nil
	}
	for len(cs) > 0 || len(gs) > 0 {
		var st numericStat
		if len(gs) == 0 || len(cs) > 0 && compareNames(&cs[0].id, &gs[0].id) <= 0 {
			c := cs[0]
			cs = cs[1:]
			st = numericStat{id: &c.id, used: c.Used(), value: strconv.AppendUint(scratch[:0], c.Value(), 10)}
		} else {
			g := gs[0]
			gs = gs[1:]
			st = numericStat{id: &g.id, used: g.Used(), value: strconv.AppendInt(scratch[:0], g.Value(), 10)}
		}
		if p.show(st.id, st.used) {
			fn(st.id, st.value)
		}
	}
}

func (s *Store) writeEnvoyText(w *bufio.Writer, p statsParams) {
	v := s.view()
	var name []byte
	v.mergeNumeric(&p, func(id *statID, value []byte) {
		name = id.appendName(name[:0])
		_, _ = w.Write(name)
		_, _ = w.WriteString(": ")
		_, _ = w.Write(value)
		_ = w.WriteByte('\n')
	})
	if !p.wants(typeHistograms) {
		return
	}
	buf := make([]byte, 0, 256)
	for _, h := range v.histograms {
		if !p.show(&h.id, h.Used()) {
			continue
		}
		buf = h.id.appendName(buf[:0])
		buf = append(buf, ": "...)
		snap := h.snapshot()
		if snap.count == 0 {
			buf = append(buf, "No recorded values"...)
		} else {
			for i, pc := range percentiles {
				if i > 0 {
					buf = append(buf, ' ')
				}
				buf = append(buf, 'P')
				buf = appendFloat(buf, pc)
				buf = append(buf, "(nan,"...)
				buf = appendFloat(buf, snap.quantile(pc/100))
				buf = append(buf, ')')
			}
		}
		buf = append(buf, '\n')
		_, _ = w.Write(buf)
	}
}

func (s *Store) writeEnvoyJSON(w io.Writer, p statsParams) {
	v := s.view()
	buf := make([]byte, 0, 4096)
	buf = append(buf, `{"stats":[`...)
	first := true
	sep := func() {
		if !first {
			buf = append(buf, ',')
		}
		first = false
	}
	var name []byte
	v.mergeNumeric(&p, func(id *statID, value []byte) {
		sep()
		buf = append(buf, `{"name":`...)
		name = id.appendName(name[:0])
		buf = appendJSONString(buf, bytesView(name))
		buf = append(buf, `,"value":`...)
		buf = append(buf, value...)
		buf = append(buf, '}')
		if len(buf) >= 32<<10 {
			_, _ = w.Write(buf)
			buf = buf[:0]
		}
	})
	if p.wants(typeHistograms) {
		hfirst := true
		for _, h := range v.histograms {
			if !p.show(&h.id, h.Used()) {
				continue
			}
			if hfirst {
				sep()
				buf = appendQuantileHeader(buf)
				hfirst = false
			} else {
				buf = append(buf, ',')
			}
			name = h.id.appendName(name[:0])
			buf = appendHistogramJSON(buf, bytesView(name), h)
		}
		if !hfirst {
			buf = append(buf, "]}}"...)
		}
	}
	buf = append(buf, "]}\n"...)
	_, _ = w.Write(buf)
}

func appendQuantileHeader(b []byte) []byte {
	b = append(b, `{"histograms":{"supported_quantiles":[`...)
	for i, pc := range percentiles {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, pc)
	}
	return append(b, `],"computed_quantiles":[`...)
}

func appendHistogramJSON(b []byte, name string, h *Histogram) []byte {
	snap := h.snapshot()
	b = append(b, `{"name":`...)
	b = appendJSONString(b, name)
	b = append(b, `,"values":[`...)
	for i, pc := range percentiles {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"interval":null,"cumulative":`...)
		b = appendJSONFloat(b, snap.quantile(pc/100))
		b = append(b, '}')
	}
	return append(b, "]}"...)
}
