package redisproxy

import "sort"

// prefixTable finds the route with the longest prefix of a key, as
// Envoy's redis_proxy does. It is immutable after build.
type prefixTable[R any] struct {
	// entries sorted by prefix; lookups scan candidate lengths longest
	// first with a binary search each, so a lookup costs
	// O(distinct lengths × log n) and allocates nothing.
	entries  []prefixEntry[R]
	lengths  []int // distinct prefix lengths, longest first
	fold     bool  // case-insensitive
	catchAll *R
}

type prefixEntry[R any] struct {
	prefix string
	route  R
}

// buildPrefixTable builds a table; prefixes must be unique (after folding
// when caseInsensitive).
func buildPrefixTable[R any](prefixes []string, routes []R, caseInsensitive bool, catchAll *R) *prefixTable[R] {
	t := &prefixTable[R]{fold: caseInsensitive, catchAll: catchAll}
	seen := map[int]bool{}
	for i, p := range prefixes {
		if caseInsensitive {
			p = lowerString(p)
		}
		t.entries = append(t.entries, prefixEntry[R]{p, routes[i]})
		if !seen[len(p)] {
			seen[len(p)] = true
			t.lengths = append(t.lengths, len(p))
		}
	}
	sort.Slice(t.entries, func(i, j int) bool { return t.entries[i].prefix < t.entries[j].prefix })
	sort.Sort(sort.Reverse(sort.IntSlice(t.lengths)))
	return t
}

// lookup returns the route for key and the matched prefix length, or the
// catch-all with length 0, or nil.
func (t *prefixTable[R]) lookup(key []byte) (*R, int) {
	for _, n := range t.lengths {
		if n > len(key) {
			continue
		}
		if r := t.find(key[:n]); r != nil {
			return r, n
		}
	}
	return t.catchAll, 0
}

// find binary-searches an exact prefix without allocating.
func (t *prefixTable[R]) find(p []byte) *R {
	lo, hi := 0, len(t.entries)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if compare(t.entries[m].prefix, p, t.fold) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(t.entries) && compare(t.entries[lo].prefix, p, t.fold) == 0 {
		return &t.entries[lo].route
	}
	return nil
}

// compare orders s (already folded when fold) against b, folding b.
func compare(s string, b []byte, fold bool) int {
	n := min(len(s), len(b))
	for i := 0; i < n; i++ {
		c := b[i]
		if fold {
			c = lower(c)
		}
		if s[i] != c {
			if s[i] < c {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(s) < len(b):
		return -1
	case len(s) > len(b):
		return 1
	}
	return 0
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func lowerString(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lower(c)
	}
	return string(b)
}
