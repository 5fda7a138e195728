package lb

import (
	"math/rand/v2"

	"github.com/cespare/xxhash/v2"
)

// maglev is a Maglev lookup table (Eisenbud et al., NSDI 2016). Each host
// has a permutation of the table's slots (offset + k*skip mod size, with
// offset and skip from two seeded hashes of its key); hosts take turns
// claiming their next free preferred slot until the table is full. A host
// of weight w takes a turn only in w/maxWeight of the rounds, so slots are
// shared in proportion to weight. Because each host keeps its own
// preference order, removing one host mostly frees only its own slots.
type maglev struct {
	table []uint32
	n     int
}

var _ Picker = (*maglev)(nil)

const (
	maglevOffsetSeed = 0
	maglevSkipSeed   = 1
)

func newMaglev(hosts []Weighted, size uint64) *maglev {
	const free = ^uint32(0)
	table := make([]uint32, size)
	for i := range table {
		table[i] = free
	}
	n := len(hosts)
	pos := make([]uint64, n)
	skip := make([]uint64, n)
	credit := make([]uint64, n)
	var maxW uint64
	var d xxhash.Digest
	for i, h := range hosts {
		pos[i] = seededHash(&d, maglevOffsetSeed, h.Key) % size
		skip[i] = seededHash(&d, maglevSkipSeed, h.Key)%(size-1) + 1
		maxW = max(maxW, h.weight())
	}
	for filled := uint64(0); filled < size; {
		for i := 0; i < n && filled < size; i++ {
			credit[i] += hosts[i].weight()
			if credit[i] < maxW {
				continue
			}
			credit[i] -= maxW
			for table[pos[i]] != free {
				pos[i] = advance(pos[i], skip[i], size)
			}
			table[pos[i]] = uint32(i)
			pos[i] = advance(pos[i], skip[i], size)
			filled++
		}
	}
	return &maglev{table: table, n: n}
}

// advance steps a permutation: (pos + skip) mod size for pos, skip < size.
func advance(pos, skip, size uint64) uint64 {
	pos += skip
	if pos >= size {
		pos -= size
	}
	return pos
}

func seededHash(d *xxhash.Digest, seed uint64, key string) uint64 {
	d.ResetWithSeed(seed)
	_, _ = d.WriteString(key)
	return d.Sum64()
}

func (m *maglev) Len() int { return m.n }

func (m *maglev) Pick(hash uint64, hasHash bool) int {
	if !hasHash {
		hash = rand.Uint64()
	}
	return int(m.table[hash%uint64(len(m.table))])
}
