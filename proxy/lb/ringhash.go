package lb

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/cespare/xxhash/v2"
)

// ringHash is a ketama-style consistent hash ring. Host i owns
// scale*weight_i points at xxHash64("key_0"), xxHash64("key_1"), ...; a hash
// belongs to the first point at or after it, wrapping around.
type ringHash struct {
	hashes []uint64 // sorted
	owner  []uint32 // owner[j] is the host index of hashes[j]
	n      int
}

var _ Picker = (*ringHash)(nil)

func newRingHash(hosts []Weighted, minSize, maxSize uint64) *ringHash {
	var total float64
	for _, h := range hosts {
		total += float64(h.weight())
	}
	minNorm := math.Inf(1)
	for _, h := range hosts {
		minNorm = min(minNorm, float64(h.weight())/total)
	}
	// The lightest host gets at least about minSize*its share points; the
	// ring never exceeds maxSize.
	scale := min(math.Ceil(minNorm*float64(minSize))/minNorm, float64(maxSize))

	type point struct {
		hash  uint64
		owner uint32
	}
	points := make([]point, 0, int(math.Ceil(scale))+len(hosts))
	var current, target float64
	buf := make([]byte, 0, 64)
	for i, h := range hosts {
		target += scale * float64(h.weight()) / total
		for k := 0; current < target; k++ {
			buf = append(append(append(buf[:0], h.Key...), '_'), strconv.Itoa(k)...)
			points = append(points, point{hash: xxhash.Sum64(buf), owner: uint32(i)})
			current++
		}
	}
	slices.SortFunc(points, func(a, b point) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return int(a.owner) - int(b.owner)
	})
	r := &ringHash{hashes: make([]uint64, len(points)), owner: make([]uint32, len(points)), n: len(hosts)}
	for j, p := range points {
		r.hashes[j], r.owner[j] = p.hash, p.owner
	}
	return r
}

func (r *ringHash) Len() int { return r.n }

// Size is the number of points on the ring.
func (r *ringHash) Size() int { return len(r.hashes) }

func (r *ringHash) Pick(hash uint64, hasHash bool) int {
	if !hasHash {
		hash = rand.Uint64()
	}
	j, _ := slices.BinarySearch(r.hashes, hash)
	if j == len(r.hashes) {
		j = 0
	}
	return int(r.owner[j])
}
