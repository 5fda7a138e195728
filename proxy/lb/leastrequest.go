package lb

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
)

// leastRequest draws choices candidates and keeps the least loaded one.
// With equal weights candidates are uniform and the load is the active
// request count. With unequal weights candidates are drawn in proportion
// to weight and the load is active^bias / weight; a tie keeps the earlier
// candidate, so idle hosts get traffic exactly in proportion to weight and
// bias 0 degenerates to weighted random, as in Envoy.
type leastRequest struct {
	active   []*atomic.Int64
	weight   []float64 // nil when weights are equal
	a        alias
	choices  int
	bias     float64
	weighted bool
}

var _ Picker = (*leastRequest)(nil)

func newLeastRequest(hosts []Weighted, choices int, bias float64) *leastRequest {
	l := &leastRequest{
		active:   make([]*atomic.Int64, len(hosts)),
		a:        newAlias(hosts),
		choices:  choices,
		bias:     bias,
		weighted: !equalWeights(hosts),
	}
	for i, h := range hosts {
		l.active[i] = h.Active
	}
	if l.weighted {
		l.weight = make([]float64, len(hosts))
		for i, h := range hosts {
			l.weight[i] = float64(h.weight())
		}
	}
	return l
}

func (l *leastRequest) Len() int { return len(l.active) }

func (l *leastRequest) Pick(uint64, bool) int {
	if len(l.active) == 1 {
		return 0
	}
	if l.weighted && l.bias == 0 {
		return l.a.sample(rand.Uint64())
	}
	best, bestLoad := -1, 0.0
	for range l.choices {
		i := l.a.sample(rand.Uint64())
		load := l.load(i)
		if best < 0 || load < bestLoad {
			best, bestLoad = i, load
		}
	}
	return best
}

func (l *leastRequest) load(i int) float64 {
	var a float64
	if p := l.active[i]; p != nil {
		a = float64(max(0, p.Load()))
	}
	if !l.weighted {
		return a
	}
	if l.bias != 1 {
		a = math.Pow(a, l.bias)
	}
	return a / l.weight[i]
}
