package telemetry

import (
	"math"
	"sync/atomic"
)

// bucketBounds are Envoy's default histogram bucket upper bounds, in the
// histogram's unit.
var bucketBounds = [...]float64{
	0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
	30000, 60000, 300000, 600000, 1800000, 3600000,
}

// bucketLimits are bucketBounds for integer samples: v <= bound[i] holds
// exactly when v <= bucketLimits[i] (only 0 is <= 0.5).
var bucketLimits = [len(bucketBounds)]uint64{
	0, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
	30000, 60000, 300000, 600000, 1800000, 3600000,
}

// numBuckets counts the bounded buckets plus the overflow (+Inf) bucket.
const numBuckets = len(bucketBounds) + 1

// percentiles are the quantiles, in percent, that Envoy reports for
// histograms in /stats.
var percentiles = [...]float64{0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100}

// Histogram records a distribution of uint64 samples in Envoy's default
// buckets (Envoy's histogram). Record is lock-free and never allocates
// after the first sample: the buckets are allocated then, so a histogram
// that never records (most of them, with many clusters) stays small.
type Histogram struct {
	counts atomic.Pointer[histCounts] // nil until the first Record
	sum    atomic.Uint64
	used   atomic.Bool
	unit   Unit
	id     statID
	next   *Histogram // in its node's list
}

// histCounts are the per-bucket (not cumulative) sample counts.
type histCounts [numBuckets]atomic.Uint64

// Record adds one sample.
func (h *Histogram) Record(v uint64) {
	c := h.counts.Load()
	if c == nil {
		c = h.allocCounts()
	}
	c[bucketIndex(v)].Add(1)
	h.sum.Add(v)
	if !h.used.Load() {
		h.used.Store(true)
	}
}

// allocCounts installs the buckets; of racing first samples one wins and
// the others use its buckets.
func (h *Histogram) allocCounts() *histCounts {
	c := new(histCounts)
	if h.counts.CompareAndSwap(nil, c) {
		return c
	}
	return h.counts.Load()
}

// bucketIndex returns the first bucket whose limit is >= v, or the
// overflow bucket.
func bucketIndex(v uint64) int {
	lo, hi := 0, len(bucketLimits)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if v > bucketLimits[mid] {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// Used reports whether a sample was ever recorded.
func (h *Histogram) Used() bool { return h.used.Load() }

// Name returns the full Envoy stat name (built on each call).
func (h *Histogram) Name() string { return h.id.name() }

// Unit returns the unit given at creation.
func (h *Histogram) Unit() Unit { return h.unit }

// Count returns the number of samples recorded.
func (h *Histogram) Count() uint64 { return h.snapshot().count }

// Sum returns the sum of the samples recorded.
func (h *Histogram) Sum() uint64 { return h.sum.Load() }

func (h *Histogram) statID() *statID   { return &h.id }
func (h *Histogram) link() **Histogram { return &h.next }

// histSnapshot is a histogram read at one moment. Buckets are read one by
// one while writers run, so count is derived from them: the +Inf bucket
// and _count always agree; sum may be a few samples ahead or behind.
type histSnapshot struct {
	counts [numBuckets]uint64
	count  uint64
	sum    uint64
}

func (h *Histogram) snapshot() histSnapshot {
	var s histSnapshot
	if c := h.counts.Load(); c != nil {
		for i := range c {
			s.counts[i] = c[i].Load()
			s.count += s.counts[i]
		}
	}
	s.sum = h.sum.Load()
	return s
}

// cumulative returns the number of samples <= bucketBounds[i].
func (s *histSnapshot) cumulative(i int) uint64 {
	var n uint64
	for j := 0; j <= i; j++ {
		n += s.counts[j]
	}
	return n
}

// quantile estimates the q-quantile (0 <= q <= 1) by linear interpolation
// inside the bucket that holds it. It returns NaN when there are no
// samples. Samples in the overflow bucket are reported as just above the
// largest bound, since the buckets say nothing more about them.
func (s *histSnapshot) quantile(q float64) float64 {
	if s.count == 0 {
		return math.NaN()
	}
	rank := q * float64(s.count)
	var below uint64
	for i, n := range s.counts {
		if n == 0 {
			continue
		}
		if float64(below+n) >= rank || i == numBuckets-1 {
			lo, hi := bucketLower(i), bucketUpper(i)
			frac := (rank - float64(below)) / float64(n)
			frac = max(0, min(1, frac))
			return lo + (hi-lo)*frac
		}
		below += n
	}
	return bucketUpper(numBuckets - 1)
}

// bucketLower and bucketUpper bound the integer samples a bucket can hold:
// bucket 0 holds only 0, bucket i holds bucketLimits[i-1]+1 ..
// bucketLimits[i], and the overflow bucket is reported at its lower end.
func bucketLower(i int) float64 {
	if i == 0 {
		return 0
	}
	return float64(bucketLimits[i-1] + 1)
}

func bucketUpper(i int) float64 {
	if i >= len(bucketLimits) {
		return bucketLower(i)
	}
	return float64(bucketLimits[i])
}
