package routestore

import (
	"sync"
	"testing"
)

type cfg struct{ routes []string }

type table struct {
	name string
	src  *cfg
}

func newCounting() (*Store[*cfg, *table], *int) {
	n := 0
	return New(func(name string, src *cfg) *table {
		n++
		return &table{name: name, src: src}
	}), &n
}

func TestSlotBeforeAndAfter(t *testing.T) {
	s, _ := newCounting()
	sl := s.Slot("r")
	if _, ok := sl.Load(); ok {
		t.Fatal("a slot has a table before any Replace")
	}
	a := &cfg{routes: []string{"a"}}
	s.Replace(map[string]*cfg{"r": a})
	got, ok := sl.Load()
	if !ok || got.src != a || got.name != "r" {
		t.Fatalf("after Replace: %+v, %v; want the table of a named r", got, ok)
	}
	if s.Slot("r") != sl {
		t.Fatal("Slot returned a second slot for the same name")
	}
	s.Replace(map[string]*cfg{"other": a})
	if _, ok := sl.Load(); ok {
		t.Fatal("a removed name still has a table")
	}
	s.Replace(map[string]*cfg{"r": a, "nil": nil})
	if got, ok := sl.Load(); !ok || got.src != a {
		t.Fatal("a name that came back has no table")
	}
	if _, ok := s.Slot("nil").Load(); ok {
		t.Fatal("a nil config installed a table")
	}
}

func TestReplaceKeepsCompiled(t *testing.T) {
	s, compiled := newCounting()
	a := &cfg{routes: []string{"a"}}
	s.Replace(map[string]*cfg{"r": a})
	first, _ := s.Slot("r").Load()
	s.Replace(map[string]*cfg{"r": a})
	if again, _ := s.Slot("r").Load(); again != first || *compiled != 1 {
		t.Fatalf("an unchanged config was compiled again (%d compiles)", *compiled)
	}
	b := *a
	s.Replace(map[string]*cfg{"r": &b})
	if got, _ := s.Slot("r").Load(); got == first || got.src != &b || *compiled != 2 {
		t.Fatalf("a changed config was not swapped in (%d compiles)", *compiled)
	}
}

// TestConcurrentLoads swaps tables while readers load them (run with
// -race): a reader sees a whole table, old or new, never a torn one.
func TestConcurrentLoads(t *testing.T) {
	s := New(func(_ string, src *cfg) *table { return &table{src: src} })
	sl := s.Slot("r")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if tb, ok := sl.Load(); ok && (tb.src == nil || len(tb.src.routes) != 1) {
					t.Errorf("loaded a torn table %+v", tb)
					return
				}
			}
		}()
	}
	for i := range 1000 {
		s.Replace(map[string]*cfg{"r": {routes: []string{string(rune('a' + i%26))}}})
	}
	close(stop)
	wg.Wait()
}
