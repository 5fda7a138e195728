package cluster

// Priority load computation with Envoy's semantics. All values are
// percentages.

// panicThreshold is Envoy's default healthy_panic_threshold.
const panicThreshold = 50

// defaultOverprovisioning is Envoy's default overprovisioning factor.
const defaultOverprovisioning = 140

// levelCounts are one priority level's host counts.
type levelCounts struct {
	total, healthy, degraded int
}

// loads is the outcome: which share of traffic each level's healthy and
// degraded hosts get (together summing to 100), and which levels are in
// panic.
type loads struct {
	healthy, degraded []uint32
	panic             []bool
}

func computeLoads(levels []levelCounts, factor uint32) loads {
	n := len(levels)
	l := loads{healthy: make([]uint32, n), degraded: make([]uint32, n), panic: make([]bool, n)}
	if n == 0 {
		return l
	}
	health := make([]uint32, n)
	degr := make([]uint32, n)
	var sum uint32
	for i, c := range levels {
		if c.total == 0 {
			continue
		}
		health[i] = uint32(min(100, uint64(factor)*uint64(c.healthy)/uint64(c.total)))
		degr[i] = uint32(min(100, uint64(factor)*uint64(c.degraded)/uint64(c.total)))
		sum += health[i] + degr[i]
	}
	total := min(sum, 100) // normalized total availability

	if total > 0 {
		firstH, rest := distribute(l.healthy, health, 100, total)
		firstD, rest := distribute(l.degraded, degr, rest, total)
		if rest > 0 {
			if firstH >= 0 {
				l.healthy[firstH] += rest
			} else {
				l.degraded[firstD] += rest
			}
		}
	}

	// A level is in panic when the cluster as a whole cannot take all the
	// load and less than the threshold of the level's hosts are available.
	allPanic := true
	for i, c := range levels {
		l.panic[i] = total < 100 && inPanic(c)
		allPanic = allPanic && l.panic[i]
	}
	if allPanic {
		loadInTotalPanic(levels, &l)
	}
	return l
}

// distribute gives each level min(remaining, availability*100/total),
// in priority order, returning the first level with availability and what
// is left of budget.
func distribute(out, avail []uint32, budget, total uint32) (int, uint32) {
	first := -1
	for i, a := range avail {
		if first < 0 && a > 0 {
			first = i
		}
		out[i] = min(budget, a*100/total)
		budget -= out[i]
	}
	return first, budget
}

func inPanic(c levelCounts) bool {
	if c.total == 0 {
		return true
	}
	return 100*(c.healthy+c.degraded) < panicThreshold*c.total
}

// loadInTotalPanic spreads the load across levels by their host counts,
// healthy or not, when every level is in panic.
func loadInTotalPanic(levels []levelCounts, l *loads) {
	var hosts int
	for _, c := range levels {
		hosts += c.total
	}
	for i := range l.degraded {
		l.degraded[i] = 0
		l.healthy[i] = 0
	}
	if hosts == 0 {
		l.healthy[0] = 100
		return
	}
	rest, first := uint32(100), -1
	for i, c := range levels {
		if first < 0 && c.total > 0 {
			first = i
		}
		l.healthy[i] = uint32(100 * c.total / hosts)
		rest -= l.healthy[i]
	}
	l.healthy[first] += rest
}

// choose maps r (uniform, or the request hash) to a level and whether the
// degraded hosts serve it.
func (l *loads) choose(r uint64) (level int, degraded bool) {
	x := uint32(r%100) + 1
	var acc uint32
	for i, v := range l.healthy {
		acc += v
		if x <= acc {
			return i, false
		}
	}
	for i, v := range l.degraded {
		acc += v
		if x <= acc {
			return i, true
		}
	}
	return 0, false
}
