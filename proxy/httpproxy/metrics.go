package httpproxy

import (
	"sync"
	"time"

	"github.com/sidewire/sidewire/telemetry"
)

// Prometheus families of every HTTP connection manager. Labels are
// bounded: cluster is a configured cluster name ("none" for requests
// answered before one was chosen), code_class one of 1xx..5xx or "none";
// for gRPC requests service and method are the request's for at most
// maxGRPCPairs pairs per filter, then "other", and grpc_code a canonical
// status name.
const (
	requestsFamily     = "sidewire_http_requests_total"
	durationFamily     = "sidewire_http_request_duration_seconds"
	grpcRequestsFamily = "sidewire_grpc_requests_total"
	grpcDurationFamily = "sidewire_grpc_request_duration_seconds"
	otherLabel         = "other"
	noneLabel          = "none"
	maxGRPCPairs       = 256
)

var classLabels = [6]string{noneLabel, "1xx", "2xx", "3xx", "4xx", "5xx"}

// metrics caches the families' children.
type metrics struct {
	requests, grpcRequests *telemetry.CounterFamily
	duration, grpcDuration *telemetry.HistogramFamily

	mu       sync.RWMutex
	clusters map[string]*clusterCell
	grpc     map[string]map[string]*grpcCell
	pairs    int
	other    *grpcCell
}

type clusterCell struct {
	name     string
	once     [6]sync.Once
	byClass  [6]*telemetry.FamilyCounter
	duration *telemetry.FamilyHistogram
}

type grpcCell struct {
	service, method string
	mu              sync.Mutex
	byCode          map[string]*telemetry.FamilyCounter // bounded: 17 names, none, other
	duration        *telemetry.FamilyHistogram
}

func newMetrics(store *telemetry.Store) *metrics {
	m := &metrics{
		requests: store.CounterFamily(requestsFamily, "HTTP requests served, by upstream cluster and response code class.",
			"cluster", "code_class"),
		duration: store.HistogramFamily(durationFamily, "HTTP request durations from the request's headers to the end of the response, by upstream cluster.",
			nil, "cluster"),
		grpcRequests: store.CounterFamily(grpcRequestsFamily, "gRPC requests served, by service, method and gRPC status.",
			"service", "method", "grpc_code"),
		grpcDuration: store.HistogramFamily(grpcDurationFamily, "gRPC request durations, by service and method.",
			nil, "service", "method"),
		clusters: map[string]*clusterCell{},
		grpc:     map[string]map[string]*grpcCell{},
	}
	m.other = m.newGRPCCell(otherLabel, otherLabel)
	return m
}

func (m *metrics) newGRPCCell(service, method string) *grpcCell {
	return &grpcCell{service: service, method: method, byCode: map[string]*telemetry.FamilyCounter{},
		duration: m.grpcDuration.With(service, method)}
}

// record counts one finished request.
func (m *metrics) record(cluster string, status int, d time.Duration) {
	if cluster == "" {
		cluster = noneLabel
	}
	c := m.clusterCell(cluster)
	c.duration.Observe(d.Seconds())
	i := statusClass(status)
	c.once[i].Do(func() { c.byClass[i] = m.requests.With(c.name, classLabels[i]) })
	c.byClass[i].Inc()
}

func (m *metrics) clusterCell(name string) *clusterCell {
	m.mu.RLock()
	c := m.clusters[name]
	m.mu.RUnlock()
	if c != nil {
		return c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c = m.clusters[name]; c == nil {
		c = &clusterCell{name: name, duration: m.duration.With(name)}
		m.clusters[name] = c
	}
	return c
}

// recordGRPC counts one finished gRPC request; code is its grpc-status,
// -1 when it ended without one.
func (m *metrics) recordGRPC(service, method string, code int, d time.Duration) {
	c := m.grpcCell(service, method)
	c.duration.Observe(d.Seconds())
	label := grpcCodeLabel(code)
	c.mu.Lock()
	ctr := c.byCode[label]
	if ctr == nil {
		ctr = m.grpcRequests.With(c.service, c.method, label)
		c.byCode[label] = ctr
	}
	c.mu.Unlock()
	ctr.Inc()
}

// grpcCell returns the children of a pair; the lookup does not allocate
// once the pair is known.
func (m *metrics) grpcCell(service, method string) *grpcCell {
	m.mu.RLock()
	c := m.grpc[service][method]
	m.mu.RUnlock()
	if c != nil {
		return c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	byMethod := m.grpc[service]
	if c = byMethod[method]; c != nil {
		return c
	}
	if m.pairs >= maxGRPCPairs {
		return m.other
	}
	if byMethod == nil {
		byMethod = map[string]*grpcCell{}
		m.grpc[service] = byMethod
	}
	c = m.newGRPCCell(service, method)
	byMethod[method] = c
	m.pairs++
	return c
}
