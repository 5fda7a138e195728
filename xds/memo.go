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

// typeMemo holds the entries of one type: cur those of the accepted
// state, next those the change being applied found or made.
type typeMemo struct {
	m         *memo
	cur, next map[digest]memoEntry
}

// digest is a 128-bit seeded hash of a resource's type URL and bytes.
// The seeds are random per process, so a control plane cannot aim for a
// collision; by chance one is negligible (about n²/2^129 for n entries).
type digest [2]uint64

type memoEntry struct {
	name  string
	value any
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
		tm = &typeMemo{m: m}
		m.types[ch.typ] = tm
	}
	tm.next = make(map[digest]memoEntry, len(ch.resources))
	return tm
}

// commit makes the entries of the change just accepted the memo of typ;
// discard drops them after a rejection.
func (m *memo) commit(typ string) {
	if tm := m.types[typ]; tm != nil && tm.next != nil {
		tm.cur, tm.next = tm.next, nil
	}
}

func (m *memo) discard(typ string) {
	if tm := m.types[typ]; tm != nil {
		tm.next = nil
	}
}

func (tm *typeMemo) digest(a *anypb.Any) digest {
	var d digest
	for i, seed := range tm.m.seeds {
		var h maphash.Hash
		h.SetSeed(seed)
		h.WriteString(a.GetTypeUrl())
		h.WriteByte(0)
		h.Write(a.GetValue())
		d[i] = h.Sum64()
	}
	return d
}

// lookup returns the remembered translation of a resource with digest
// d and keeps it for the next state.
func (tm *typeMemo) lookup(d digest) (memoEntry, bool) {
	e, ok := tm.cur[d]
	if ok {
		tm.next[d] = e
	}
	return e, ok
}

func (tm *typeMemo) store(d digest, name string, value any) {
	tm.next[d] = memoEntry{name: name, value: value}
}
