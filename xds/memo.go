package xds

import (
	"hash/maphash"

	"google.golang.org/protobuf/types/known/anypb"
)

// memo remembers the translations of the resources of the last accepted
// state-of-the-world change of each type, by a digest of their bytes, so
// that a resource sent again unchanged (a SotW response carries every
// resource of its type) is neither decoded nor translated again, and
// keeps the same immutable *config value (later steps compare pointers
// first). Envoy likewise skips a resource whose hash is unchanged.
//
// A translation depends only on the resource's bytes and type URL (and
// the client's fixed settings), and only successful ones are remembered.
// Entries are replaced whole by each accepted change of their type, so
// the memo holds one entry per resource of the accepted state. It is used
// under engine.mu only.
type memo struct {
	seeds [2]maphash.Seed
	types map[string]*typeMemo
}

// typeMemo holds the entries of one type. Between changes they are those
// of the accepted state. A change marks the entries it finds with its
// generation and adds those it makes: accepted, it drops the entries it
// did not mark; rejected, it drops those it added. A change that resends
// most resources thus updates the map in place rather than building a
// new one.
type typeMemo struct {
	m       *memo
	typ     string // the type URL of the changes
	entries map[digest]memoEntry
	gen     uint64   // of the change under way
	open    bool     // a change is under way
	hits    int      // entries the change found (each once)
	added   []digest // entries the change made
}

// digest is a 128-bit seeded hash of a resource's bytes (and of its type
// URL, when it is not the change's). The seeds are random per process,
// so a control plane cannot aim for a collision; by chance one is
// negligible (about n²/2^129 for n entries).
type digest [2]uint64

type memoEntry struct {
	name  string
	value any
	gen   uint64 // the last change that found or made it
}

func newMemo() *memo {
	return &memo{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, types: map[string]*typeMemo{}}
}

// forChange returns the memo of ch's type, or nil when ch's resources
// are not memoized: delta responses carry only resources that changed,
// and EDS files are few and small.
func (m *memo) forChange(ch *change) *typeMemo {
	if m == nil || ch.mode != sotw {
		return nil
	}
	tm := m.types[ch.typ]
	if tm == nil {
		tm = &typeMemo{m: m, typ: ch.typ, entries: make(map[digest]memoEntry, len(ch.resources))}
		m.types[ch.typ] = tm
	}
	tm.gen++
	tm.open, tm.hits, tm.added = true, 0, tm.added[:0]
	return tm
}

// commit makes the entries of the change just accepted the memo of typ;
// discard drops them after a rejection.
func (m *memo) commit(typ string) {
	tm := m.types[typ]
	if tm == nil || !tm.open {
		return
	}
	tm.open = false
	if tm.hits+len(tm.added) == len(tm.entries) {
		return // every entry was found or made by the change
	}
	for d, e := range tm.entries {
		if e.gen != tm.gen {
			delete(tm.entries, d)
		}
	}
}

func (m *memo) discard(typ string) {
	tm := m.types[typ]
	if tm == nil || !tm.open {
		return
	}
	tm.open = false
	for _, d := range tm.added {
		delete(tm.entries, d)
	}
}

// size returns the number of entries.
func (tm *typeMemo) size() int { return len(tm.entries) }

// digest hashes a resource's bytes, and its type URL when it is not the
// change's (every resource of a well-formed response is of its type).
func (tm *typeMemo) digest(a *anypb.Any) digest {
	var d digest
	for i, seed := range tm.m.seeds {
		d[i] = maphash.Bytes(seed, a.GetValue())
		if t := a.GetTypeUrl(); t != tm.typ {
			d[i] = maphash.Comparable(seed, [2]uint64{d[i], maphash.String(seed, t)})
		}
	}
	return d
}

// lookup returns the remembered translation of a resource with digest
// d and keeps it for the next state.
func (tm *typeMemo) lookup(d digest) (memoEntry, bool) {
	e, ok := tm.entries[d]
	if ok && e.gen != tm.gen {
		e.gen = tm.gen
		tm.entries[d] = e
		tm.hits++
	}
	return e, ok
}

func (tm *typeMemo) store(d digest, name string, value any) {
	if _, ok := tm.entries[d]; !ok {
		tm.added = append(tm.added, d)
	}
	tm.entries[d] = memoEntry{name: name, value: value, gen: tm.gen}
}
