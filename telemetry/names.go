package telemetry

// Full stat names are not stored (see Store): these compare two of them
// from their parts, node name and leaf, without building them.

// nameParts is a full stat name as pieces to read in order.
type nameParts struct {
	p   [3]string
	n   int // pieces in use
	i   int // current piece
	off int // offset in the current piece
}

func partsOf(id *statID) nameParts {
	if id.node.name == "" {
		return nameParts{p: [3]string{id.leaf()}, n: 1}
	}
	return nameParts{p: [3]string{id.node.name, ".", id.leaf()}, n: 3}
}

// chunk returns what is left of the current piece ("" at the end).
func (np *nameParts) chunk() string {
	for np.i < np.n && np.off == len(np.p[np.i]) {
		np.i++
		np.off = 0
	}
	if np.i == np.n {
		return ""
	}
	return np.p[np.i][np.off:]
}

// firstDiff returns the bytes at which the full names of a and b first
// differ, -1 standing for the end of a name (-1, -1 when they are equal).
func firstDiff(a, b *statID) (ca, cb int) {
	pa, pb := partsOf(a), partsOf(b)
	for {
		sa, sb := pa.chunk(), pb.chunk()
		switch {
		case sa == "" && sb == "":
			return -1, -1
		case sa == "":
			return -1, int(sb[0])
		case sb == "":
			return int(sa[0]), -1
		}
		n := min(len(sa), len(sb))
		if sa[:n] != sb[:n] {
			for k := 0; ; k++ {
				if sa[k] != sb[k] {
					return int(sa[k]), int(sb[k])
				}
			}
		}
		pa.off += n
		pb.off += n
	}
}

// compareNames compares the full names of a and b byte-wise (the /stats
// order).
func compareNames(a, b *statID) int {
	ca, cb, ok := quickDiff(a, b)
	if !ok {
		ca, cb = firstDiff(a, b)
	}
	return compareInts(ca, cb)
}

// quickDiff is firstDiff for the common cases, stats of one node and
// node names that differ before either ends; ok is false otherwise.
func quickDiff(a, b *statID) (ca, cb int, ok bool) {
	if a.node == b.node {
		la, lb := a.leaf(), b.leaf()
		n := min(len(la), len(lb))
		for k := range n {
			if la[k] != lb[k] {
				return int(la[k]), int(lb[k]), true
			}
		}
		switch {
		case len(la) == len(lb):
			return -1, -1, true
		case len(la) == n:
			return -1, int(lb[n]), true
		}
		return int(la[n]), -1, true
	}
	na, nb := a.node.name, b.node.name
	if na == "" || nb == "" {
		return 0, 0, false
	}
	n := min(len(na), len(nb))
	for k := range n {
		if na[k] != nb[k] {
			return int(na[k]), int(nb[k]), true
		}
	}
	return 0, 0, false
}

// compareNameSegments compares the full names of a and b as
// compareSegments does: segment by segment, a name that is a prefix of
// the other first. That is a byte-wise comparison in which '.' sorts
// before every other byte and the end of a name before '.'.
func compareNameSegments(a, b *statID) int {
	ca, cb, ok := quickDiff(a, b)
	if !ok {
		ca, cb = firstDiff(a, b)
	}
	return compareInts(segmentRank(ca), segmentRank(cb))
}

func segmentRank(c int) int {
	switch c {
	case -1:
		return 0
	case '.':
		return 1
	}
	return c + 2
}

func compareInts(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
