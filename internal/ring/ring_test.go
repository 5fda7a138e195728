package ring

import "testing"

func TestRingFIFOAcrossGrowthAndWrap(t *testing.T) {
	var r Ring[int]
	next, want := 0, 0
	// Interleave pushes and pops so the head wraps around several times
	// while the queue grows from 8 to 64 slots.
	for round := 0; round < 50; round++ {
		for i := 0; i < round%40+1; i++ {
			r.Push(next)
			next++
		}
		for i := 0; i < round%40 && r.Len() > 0; i++ {
			v, ok := r.Pop()
			if !ok || v != want {
				t.Fatalf("round %d: Pop() = %d, %v; want %d, true", round, v, ok, want)
			}
			want++
		}
		if r.Len() != next-want {
			t.Fatalf("round %d: Len() = %d, want %d", round, r.Len(), next-want)
		}
		if r.Len() > 0 {
			if h, _ := r.Peek(); h != want || r.At(0) != want || r.At(r.Len()-1) != next-1 {
				t.Fatalf("round %d: Peek/At mismatch: head %d, want %d", round, h, want)
			}
		}
	}
	for r.Len() > 0 {
		v, _ := r.Pop()
		if v != want {
			t.Fatalf("drain: Pop() = %d, want %d", v, want)
		}
		want++
	}
	if _, ok := r.Pop(); ok {
		t.Fatalf("Pop on empty ring reported ok")
	}
	if _, ok := r.Peek(); ok {
		t.Fatalf("Peek on empty ring reported ok")
	}
}

func TestRingPopClearsSlot(t *testing.T) {
	var r Ring[*int]
	x := 1
	r.Push(&x)
	r.Pop()
	if r.buf[0] != nil {
		t.Fatalf("popped slot still references its element")
	}
}

func TestRingAtPanicsOutOfRange(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatalf("At(1) on a one-element ring did not panic")
		}
	}()
	var r Ring[int]
	r.Push(1)
	r.At(1)
}
