package lb

import "math/rand/v2"

// random picks hosts at random in proportion to their weights, using
// Vose's alias method: one random number per pick whatever the host count.
type random struct {
	a alias
}

var _ Picker = (*random)(nil)

func newRandom(hosts []Weighted) *random { return &random{a: newAlias(hosts)} }

func (r *random) Pick(uint64, bool) int { return r.a.sample(rand.Uint64()) }
func (r *random) Len() int              { return r.a.n }

// alias is a Vose alias table. With equal weights it is empty and sample
// returns a uniform index.
type alias struct {
	n int
	// prob[i] is the chance, scaled to 1<<32, of keeping column i rather
	// than taking alias[i].
	prob  []uint64
	alias []uint32
}

func newAlias(hosts []Weighted) alias {
	a := alias{n: len(hosts)}
	if equalWeights(hosts) {
		return a
	}
	n := len(hosts)
	var total float64
	for _, h := range hosts {
		total += float64(h.weight())
	}
	scaled := make([]float64, n)
	var small, large []int
	for i, h := range hosts {
		scaled[i] = float64(h.weight()) * float64(n) / total
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	a.prob = make([]uint64, n)
	a.alias = make([]uint32, n)
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.prob[s] = uint64(scaled[s] * (1 << 32))
		a.alias[s] = uint32(l)
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	// Leftovers are 1 up to rounding error: always keep them.
	for _, i := range append(small, large...) {
		a.prob[i] = 1 << 32
		a.alias[i] = uint32(i)
	}
	return a
}

// sample maps a uniformly random 64-bit value to an index: the high half
// chooses the column, the low half the coin.
func (a *alias) sample(r uint64) int {
	i := fastIndex(uint32(r>>32), a.n)
	if a.prob == nil || uint64(uint32(r)) < a.prob[i] {
		return i
	}
	return int(a.alias[i])
}
