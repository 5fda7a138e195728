package lb

import (
	"container/heap"
	"math/rand/v2"
	"sync/atomic"
)

// maxSchedule bounds a weighted round robin schedule; larger weight sums
// are scaled down proportionally (every host keeps at least one slot).
const maxSchedule = 1 << 16

// roundRobin rotates through hosts. With unequal weights it walks a
// precomputed earliest-deadline-first schedule in which each host appears
// in proportion to its weight, interleaved (1:3 gives b a b b, not a b b b).
type roundRobin struct {
	n     uint64
	sched []uint32 // nil for equal weights
	next  atomic.Uint64
}

var _ Picker = (*roundRobin)(nil)

func newRoundRobin(hosts []Weighted) *roundRobin {
	r := &roundRobin{n: uint64(len(hosts))}
	if !equalWeights(hosts) {
		r.sched = edfSchedule(hosts)
	}
	// A random start keeps pickers rebuilt at the same moment (or in many
	// proxies) from all sending their first request to host 0.
	r.next.Store(rand.Uint64())
	return r
}

func (r *roundRobin) Pick(uint64, bool) int {
	i := r.next.Add(1)
	if r.sched == nil {
		return int(i % r.n)
	}
	return int(r.sched[i%uint64(len(r.sched))])
}

func (r *roundRobin) Len() int { return int(r.n) }

// edfSchedule returns one full cycle of an earliest-deadline-first
// scheduler: host i's k-th deadline is (k-1/2)/w_i, the middle of its k-th
// share of the cycle; ties go to the lower index. Every host's pick count
// over any prefix stays within one pick of its exact share.
func edfSchedule(hosts []Weighted) []uint32 {
	w := scaledWeights(hosts, maxSchedule)
	var total uint64
	for _, x := range w {
		total += x
	}
	h := make(edfHeap, len(w))
	for i, x := range w {
		h[i] = edfEntry{k: 1, w: x, idx: uint32(i)}
	}
	heap.Init(&h)
	sched := make([]uint32, 0, total)
	for uint64(len(sched)) < total {
		e := &h[0]
		sched = append(sched, e.idx)
		e.k++
		heap.Fix(&h, 0)
	}
	return sched
}

// scaledWeights divides weights by their GCD and, if their sum still
// exceeds limit (or len(hosts)), scales them down to about limit.
func scaledWeights(hosts []Weighted, limit uint64) []uint64 {
	if n := uint64(len(hosts)); limit < 2*n {
		limit = 2 * n
	}
	w := make([]uint64, len(hosts))
	var g, total uint64
	for i, h := range hosts {
		w[i] = h.weight()
		g = gcd(g, w[i])
	}
	for i := range w {
		w[i] /= g
		total += w[i]
	}
	if total <= limit {
		return w
	}
	for i := range w {
		w[i] = max(1, (w[i]*limit+total/2)/total)
	}
	return w
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// edfEntry's deadline is (2k-1)/(2w); entries compare by cross
// multiplication of (2k-1)/w.
type edfEntry struct {
	k, w uint64
	idx  uint32
}

type edfHeap []edfEntry

func (h edfHeap) Len() int { return len(h) }
func (h edfHeap) Less(i, j int) bool {
	a, b := (2*h[i].k-1)*h[j].w, (2*h[j].k-1)*h[i].w
	if a != b {
		return a < b
	}
	return h[i].idx < h[j].idx
}
func (h edfHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *edfHeap) Push(x any)   { *h = append(*h, x.(edfEntry)) }
func (h *edfHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
