package tlsctx

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sidewire/sidewire/proxy/config"
)

// Store holds the current value of every SDS secret by name. TLS
// contexts keep a Slot per secret they name and read it at each
// handshake, so Replace rotates certificates for new connections while
// established ones keep the session they negotiated. Safe for concurrent
// use.
type Store struct {
	mu    sync.Mutex
	slots map[string]*Slot
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{slots: map[string]*Slot{}}
}

// Slot is one name's current parsed value; Load returns nil until it
// arrives.
type Slot struct {
	name string
	v    atomic.Pointer[Secret]
}

// Name is the secret's name.
func (s *Slot) Name() string { return s.name }

// Load returns the secret's current value, nil while there is none.
func (s *Slot) Load() *Secret { return s.v.Load() }

// Replace makes secrets the current set (see Prepare).
func (s *Store) Replace(secrets map[string]*config.Secret) error {
	commit, err := s.Prepare(secrets)
	if err != nil {
		return err
	}
	commit()
	return nil
}

// Prepare parses secrets, which are to become the current set, and
// returns the function that makes them current; on error the store is
// left as it was. Committing swaps changed values in and empties names no
// longer present (handshakes needing them fail until they come back). An
// unchanged *config.Secret keeps its parsed value.
func (s *Store) Prepare(secrets map[string]*config.Secret) (commit func(), err error) {
	parsed := make(map[string]*Secret, len(secrets))
	var errs []error
	s.mu.Lock()
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		sec := secrets[name]
		if cur := s.slots[name]; cur != nil {
			if p := cur.v.Load(); p != nil && p.src == sec {
				parsed[name] = p
				continue
			}
		}
		p, err := parseSecret(sec)
		if err != nil {
			errs = append(errs, fmt.Errorf("secret %q: %w", name, err))
			continue
		}
		parsed[name] = p
	}
	s.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("load secrets: %w", err)
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for name, slot := range s.slots {
			if parsed[name] == nil {
				slot.v.Store(nil)
			}
		}
		for name, p := range parsed {
			s.slotLocked(name).v.Store(p)
		}
	}, nil
}

// Slot returns name's slot, creating an empty one.
func (s *Store) Slot(name string) *Slot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slotLocked(name)
}

func (s *Store) slotLocked(name string) *Slot {
	sl := s.slots[name]
	if sl == nil {
		sl = &Slot{name: name}
		s.slots[name] = sl
	}
	return sl
}
