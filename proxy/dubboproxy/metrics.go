package dubboproxy

import (
	"sync"
	"time"

	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/telemetry"
)

// Prometheus families of every dubbo_proxy. Labels are bounded: service
// and method are the request's, for at most maxPairs distinct pairs per
// filter, then "other"; status is one of statusLabels.
const (
	requestsFamily = "sidewire_dubbo_requests_total"
	durationFamily = "sidewire_dubbo_request_duration_seconds"
	otherLabel     = "other"
)

// Status label values.
const (
	statusOneWay = iota
	statusOK
	statusException
	statusClientTimeout
	statusServerTimeout
	statusBadRequest
	statusBadResponse
	statusNotFound
	statusServiceError
	statusServerError
	statusClientError
	statusThreadpool
	statusUnknown
	statusCount
)

var statusLabels = [statusCount]string{
	"oneway", "ok", "exception", "client_timeout", "server_timeout", "bad_request", "bad_response",
	"service_not_found", "service_error", "server_error", "client_error", "threadpool_exhausted", "unknown",
}

// statusIndex maps an outcome to its label.
func statusIndex(o outcome) int {
	if !o.answered {
		return statusOneWay
	}
	switch o.status {
	case dubbo.StatusOK:
		if o.exception {
			return statusException
		}
		return statusOK
	case dubbo.StatusClientTimeout:
		return statusClientTimeout
	case dubbo.StatusServerTimeout:
		return statusServerTimeout
	case dubbo.StatusBadRequest:
		return statusBadRequest
	case dubbo.StatusBadResponse:
		return statusBadResponse
	case dubbo.StatusServiceNotFound:
		return statusNotFound
	case dubbo.StatusServiceError:
		return statusServiceError
	case dubbo.StatusServerError:
		return statusServerError
	case dubbo.StatusClientError:
		return statusClientError
	case dubbo.StatusServerThreadpoolExhaustedError:
		return statusThreadpool
	}
	return statusUnknown
}

// metrics caches the families' children per (service, method) pair, up
// to maxPairs pairs; later pairs share the ("other", "other") cell.
type metrics struct {
	requests *telemetry.CounterFamily
	duration *telemetry.HistogramFamily
	maxPairs int

	mu    sync.RWMutex
	cells map[string]map[string]*metricCell
	n     int
	other *metricCell
}

type metricCell struct {
	service, method string
	once            [statusCount]sync.Once
	byStatus        [statusCount]*telemetry.FamilyCounter
	duration        *telemetry.FamilyHistogram
}

func newMetrics(store *telemetry.Store, maxPairs int) *metrics {
	m := &metrics{
		requests: store.CounterFamily(requestsFamily, "Dubbo requests served, by service, method and status.",
			"service", "method", "status"),
		duration: store.HistogramFamily(durationFamily, "Dubbo request durations from decode to answer, by service and method.",
			nil, "service", "method"),
		maxPairs: maxPairs,
		cells:    map[string]map[string]*metricCell{},
	}
	m.other = m.newCell(otherLabel, otherLabel)
	return m
}

func (m *metrics) newCell(service, method string) *metricCell {
	return &metricCell{service: service, method: method, duration: m.duration.With(service, method)}
}

// cell returns the children of a pair; the lookup does not allocate once
// the pair is known.
func (m *metrics) cell(service, method []byte) *metricCell {
	m.mu.RLock()
	c := m.cells[string(service)][string(method)]
	m.mu.RUnlock()
	if c != nil {
		return c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	byMethod := m.cells[string(service)]
	if c = byMethod[string(method)]; c != nil {
		return c
	}
	if m.n >= m.maxPairs {
		return m.other
	}
	s := string(service)
	if byMethod == nil {
		byMethod = map[string]*metricCell{}
		m.cells[s] = byMethod
	}
	c = m.newCell(s, string(method))
	byMethod[c.method] = c
	m.n++
	return c
}

// record counts one finished request.
func (m *metrics) record(service, method []byte, o outcome, d time.Duration) {
	c := m.cell(service, method)
	c.duration.Observe(d.Seconds())
	i := statusIndex(o)
	c.once[i].Do(func() { c.byStatus[i] = m.requests.With(c.service, c.method, statusLabels[i]) })
	c.byStatus[i].Inc()
}
