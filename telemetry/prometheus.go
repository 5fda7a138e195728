package telemetry

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// promContentType is the text exposition format, version 0.0.4.
const promContentType = "text/plain; version=0.0.4; charset=utf-8"

// PrometheusHandler serves /stats/prometheus: every Envoy-style stat in
// the text exposition format as Envoy prints it (counters, then gauges,
// then histograms; one "# TYPE" line per family; families sorted by name;
// a blank line after each family; "{}" when a stat has no tags), followed
// by the families of Registry().
//
// Query parameters: usedonly (stats never written are left out), filter
// (a Go regexp matched against the full Envoy name, or against the family
// name for Registry() families) and type (All, Counters, Gauges,
// Histograms). The response is gzip-compressed when the client accepts
// it, as Prometheus does.
func (s *Store) PrometheusHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := parseStatsParams(r.URL.Query())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.servePrometheus(w, r, p)
	})
}

var gzipPool = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

func (s *Store) servePrometheus(w http.ResponseWriter, r *http.Request, p statsParams) {
	w.Header().Set("Content-Type", promContentType)
	var out io.Writer = w
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		zw := gzipPool.Get().(*gzip.Writer)
		zw.Reset(w)
		defer func() {
			_ = zw.Close()
			gzipPool.Put(zw)
		}()
		out = zw
	}
	bw := bufio.NewWriterSize(out, 32<<10)
	if err := s.writePrometheus(bw, p); err != nil {
		// Headers are gone already; the truncated body makes the scrape fail.
		return
	}
	_ = bw.Flush()
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(h string) bool {
	for part := range strings.SplitSeq(h, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, ok := strings.CutPrefix(strings.TrimSpace(params), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

// writePrometheus writes the /stats/prometheus body for p to w.
func (s *Store) writePrometheus(w io.Writer, p statsParams) error {
	v := s.view()
	pw := promWriter{w: w, buf: make([]byte, 0, 4096)}
	if p.wants(typeCounters) {
		for _, c := range v.countersByFamily {
			if p.show(&c.id, c.Used()) {
				pw.family(c.id.fam.prom, "counter")
				pw.sample(c.id.fam.prom, "", c.id.tags.labels, "", c.Value())
			}
		}
		pw.endFamily()
	}
	if p.wants(typeGauges) {
		for _, g := range v.gaugesByFamily {
			if p.show(&g.id, g.Used()) {
				pw.family(g.id.fam.prom, "gauge")
				pw.gauge(g.id.fam.prom, g.id.tags.labels, g.Value())
			}
		}
		pw.endFamily()
	}
	if p.wants(typeHistograms) {
		for _, h := range v.histogramsByFamily {
			if p.show(&h.id, h.Used()) {
				pw.family(h.id.fam.prom, "histogram")
				pw.histogram(h)
			}
		}
		pw.endFamily()
	}
	if pw.err != nil {
		return pw.err
	}
	return s.writeRegistry(w, p)
}

// writeRegistry appends the families of Registry() that pass p. usedonly
// does not apply to them: client_golang children exist only once used,
// except for unlabelled metrics, which are always shown.
func (s *Store) writeRegistry(w io.Writer, p statsParams) error {
	mfs, gatherErr := s.reg.Gather()
	for _, mf := range mfs {
		if !p.wantsFamily(mf) {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(w, mf); err != nil {
			return errors.Join(gatherErr, err)
		}
	}
	return gatherErr
}

func (p *statsParams) wantsFamily(mf *dto.MetricFamily) bool {
	switch mf.GetType() {
	case dto.MetricType_COUNTER:
		if !p.wants(typeCounters) {
			return false
		}
	case dto.MetricType_GAUGE:
		if !p.wants(typeGauges) {
			return false
		}
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		if !p.wants(typeHistograms) {
			return false
		}
	default:
		if p.typ != typeAll {
			return false
		}
	}
	return p.filter == nil || p.filter.MatchString(mf.GetName())
}

// promWriter renders samples into a reused buffer and writes it out in
// chunks. The first write error sticks and stops further output.
type promWriter struct {
	w    io.Writer
	buf  []byte
	cur  string // family being written, "" if none
	err  error
	hist histSnapshot
}

// family starts family name unless it is the one being written.
func (pw *promWriter) family(name, typ string) {
	if name == pw.cur {
		return
	}
	pw.endFamily()
	pw.cur = name
	pw.buf = append(pw.buf, "# TYPE "...)
	pw.buf = append(pw.buf, name...)
	pw.buf = append(pw.buf, ' ')
	pw.buf = append(pw.buf, typ...)
	pw.buf = append(pw.buf, '\n')
}

// endFamily closes the current family with Envoy's blank line.
func (pw *promWriter) endFamily() {
	if pw.cur != "" {
		pw.buf = append(pw.buf, '\n')
		pw.cur = ""
	}
	pw.maybeFlush(true)
}

func (pw *promWriter) maybeFlush(force bool) {
	if pw.err != nil {
		pw.buf = pw.buf[:0]
		return
	}
	if len(pw.buf) > 0 && (force || len(pw.buf) >= 32<<10) {
		_, pw.err = pw.w.Write(pw.buf)
		pw.buf = pw.buf[:0]
	}
}

// sample writes `name<suffix>{labels[,extra]} value`.
func (pw *promWriter) sample(name, suffix, labels, extra string, v uint64) {
	pw.labelled(name, suffix, labels, extra)
	pw.buf = strconv.AppendUint(pw.buf, v, 10)
	pw.buf = append(pw.buf, '\n')
	pw.maybeFlush(false)
}

func (pw *promWriter) gauge(name, labels string, v int64) {
	pw.labelled(name, "", labels, "")
	pw.buf = strconv.AppendInt(pw.buf, v, 10)
	pw.buf = append(pw.buf, '\n')
	pw.maybeFlush(false)
}

func (pw *promWriter) labelled(name, suffix, labels, extra string) {
	pw.buf = append(pw.buf, name...)
	pw.buf = append(pw.buf, suffix...)
	pw.buf = append(pw.buf, '{')
	pw.buf = append(pw.buf, labels...)
	if extra != "" {
		if labels != "" {
			pw.buf = append(pw.buf, ',')
		}
		pw.buf = append(pw.buf, extra...)
	}
	pw.buf = append(pw.buf, "} "...)
}

// leLabels are the rendered le="..." pairs of bucketBounds.
var leLabels = func() [len(bucketBounds)]string {
	var ls [len(bucketBounds)]string
	for i, b := range bucketBounds {
		ls[i] = `le="` + strconv.FormatFloat(b, 'f', -1, 64) + `"`
	}
	return ls
}()

// histogram writes the cumulative buckets, _sum and _count of h.
func (pw *promWriter) histogram(h *Histogram) {
	pw.hist = h.snapshot()
	prom, labels := h.id.fam.prom, h.id.tags.labels
	var cum uint64
	for i := range bucketBounds {
		cum += pw.hist.counts[i]
		pw.sample(prom, "_bucket", labels, leLabels[i], cum)
	}
	pw.sample(prom, "_bucket", labels, `le="+Inf"`, pw.hist.count)
	pw.sample(prom, "_sum", labels, "", pw.hist.sum)
	pw.sample(prom, "_count", labels, "", pw.hist.count)
}
