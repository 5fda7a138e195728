package pool

// Batch defers work to the end of a burst: a goroutine that handles many
// frames read together (a session decoding a client's pipeline, a
// connection's reader dispatching responses) collects the writes they
// cause and flushes each destination once, when it has handled every
// frame it has buffered and is about to wait for more. Frames that
// arrive together so leave together, in one write call per destination,
// with no other goroutine woken up to write them.
//
// A Batch belongs to one goroutine and is not safe for concurrent use. A
// nil *Batch defers nothing: Defer flushes at once.
type Batch struct {
	fs []Flusher
}

// Flusher is a destination with writes pending for a Batch.
type Flusher interface {
	// Flush writes what is pending. It is called once per Defer, at the
	// end of the burst, on the batch's goroutine.
	Flush()
}

// Defer schedules f's Flush for the end of the burst. Callers deduplicate
// (a flusher defers itself once until flushed).
func (b *Batch) Defer(f Flusher) {
	if b == nil {
		f.Flush()
		return
	}
	b.fs = append(b.fs, f)
}

// Run flushes every deferred destination, in order.
func (b *Batch) Run() {
	if b == nil {
		return
	}
	for i := 0; i < len(b.fs); i++ { // a Flush may defer more
		f := b.fs[i]
		b.fs[i] = nil
		f.Flush()
	}
	b.fs = b.fs[:0]
}

// Len returns the number of deferred flushes.
func (b *Batch) Len() int {
	if b == nil {
		return 0
	}
	return len(b.fs)
}
