package cluster

import (
	"sync"
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

func TestBreakerResources(t *testing.T) {
	store := telemetry.NewStore()
	s := newClusterStats(store.Root(), &config.Cluster{Name: "b"}, false)
	b := newBreaker(config.CircuitBreakers{MaxConnections: 1, MaxPendingRequests: 2, MaxRequests: 3, MaxRetries: 1}, s)
	tests := []struct {
		name     string
		acquire  func() bool
		release  func()
		limit    int
		open     *telemetry.Gauge
		overflow *telemetry.Counter
	}{
		{"pending", b.TryAcquirePending, b.ReleasePending, 2, s.cbRqPendingOpen, s.tr().rqPendingOverflow},
		{"requests", b.TryAcquireRequest, b.ReleaseRequest, 3, s.cbRqOpen, s.tr().rqPendingOverflow},
		{"retries", b.TryAcquireRetry, b.ReleaseRetry, 1, s.cbRqRetryOpen, s.tr().rqRetryOverflow},
		{"connections", b.TryAcquireConnection, b.ReleaseConnection, 1, s.cbCxOpen, s.tr().cxOverflow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.overflow.Value()
			for i := range tc.limit {
				if !tc.acquire() {
					t.Fatalf("acquire %d of %d refused", i+1, tc.limit)
				}
			}
			if tc.open.Value() != 1 {
				t.Fatalf("open gauge = %d at the limit, want 1", tc.open.Value())
			}
			if tc.acquire() {
				t.Fatal("acquire over the limit succeeded")
			}
			if got := tc.overflow.Value() - before; got != 1 {
				t.Fatalf("overflow counted %d, want 1", got)
			}
			tc.release()
			if tc.open.Value() != 0 {
				t.Fatalf("open gauge = %d below the limit, want 0", tc.open.Value())
			}
			if !tc.acquire() {
				t.Fatal("acquire after release refused")
			}
			for range tc.limit {
				tc.release()
			}
		})
	}
	if c := b.Counts(); c != (BreakerCounts{}) {
		t.Fatalf("counts after releasing everything = %+v", c)
	}
	if l := b.Limits(); l.MaxRequests != 3 || l.MaxPendingRequests != 2 {
		t.Fatalf("Limits = %+v", l)
	}
}

func TestBreakerConcurrent(t *testing.T) {
	store := telemetry.NewStore()
	s := newClusterStats(store.Root(), &config.Cluster{Name: "b"}, false)
	b := newBreaker(config.CircuitBreakers{MaxRequests: 10}, s)
	var wg sync.WaitGroup
	var mu sync.Mutex
	inFlight, peak := 0, 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2000 {
				if !b.TryAcquireRequest() {
					continue
				}
				mu.Lock()
				inFlight++
				peak = max(peak, inFlight)
				mu.Unlock()
				mu.Lock()
				inFlight--
				mu.Unlock()
				b.ReleaseRequest()
			}
		}()
	}
	wg.Wait()
	if peak > 10 {
		t.Fatalf("peak in flight %d > max_requests 10", peak)
	}
	if b.Counts().Requests != 0 || s.cbRqOpen.Value() != 0 {
		t.Fatalf("after all releases: count %d, rq_open %d", b.Counts().Requests, s.cbRqOpen.Value())
	}
}
