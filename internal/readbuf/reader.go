package readbuf

import (
	"errors"
	"io"
	"sync/atomic"
)

// DefaultChunkSize is the chunk size when Options.ChunkSize is zero.
const DefaultChunkSize = 16 << 10

var (
	// ErrTooLarge is returned by Fill when the unread bytes reach
	// Options.MaxFrame without the decoder finding a complete frame.
	ErrTooLarge = errors.New("buffered frame exceeds the maximum frame size")
	// ErrStopped is returned by Fill when Options.Done closes while Fill
	// waits for memory.
	ErrStopped = errors.New("reader stopped")
)

// Options configure a Reader.
type Options struct {
	// ChunkSize is the size of a fresh chunk (DefaultChunkSize when 0).
	ChunkSize int
	// Limit is the watermark on bytes held by chunks this reader
	// allocated; 0 disables it.
	Limit int
	// MaxFrame bounds the unread bytes of one incomplete frame; 0
	// disables the check.
	MaxFrame int
	// Done aborts a Fill that waits for memory; may be nil.
	Done <-chan struct{}
}

// Reader reads from src into chunks. It is used by one goroutine; only
// Chunk.Release may run on others.
type Reader struct {
	src  io.Reader
	opt  Options
	cur  *Chunk
	r, w int // unread bytes are cur.buf[r:w]
	held atomic.Int64
	wake chan struct{}
}

// New returns a Reader on src.
func New(src io.Reader, opt Options) *Reader {
	if opt.ChunkSize <= 0 {
		opt.ChunkSize = DefaultChunkSize
	}
	return &Reader{src: src, opt: opt, wake: make(chan struct{}, 1)}
}

// Bytes returns the unread bytes. See the package doc for their lifetime.
func (r *Reader) Bytes() []byte {
	if r.cur == nil {
		return nil
	}
	return r.cur.buf[r.r:r.w]
}

// Take consumes the first n unread bytes and returns their chunk with a
// reference the caller must release.
func (r *Reader) Take(n int) *Chunk {
	r.Discard(n)
	r.cur.Retain()
	return r.cur
}

// Discard consumes the first n unread bytes without keeping them.
func (r *Reader) Discard(n int) {
	if n < 0 || n > r.w-r.r {
		panic("readbuf: consume beyond unread bytes")
	}
	r.r += n
}

// Held returns the bytes of chunks allocated by r that are still
// referenced, including the current one.
func (r *Reader) Held() int { return int(r.held.Load()) }

// Fill reads once from src, appending to the unread bytes. hint, when
// larger than the unread length, is the total the decoder said the
// pending frame needs; Fill makes room for it in one go. It returns nil
// when it read at least one byte, ErrTooLarge when a frame cannot fit in
// MaxFrame, ErrStopped when Done closed during a wait for memory, and
// otherwise the error of src.Read.
func (r *Reader) Fill(hint int) error {
	unread := r.w - r.r
	need := max(hint, unread+1)
	if m := r.opt.MaxFrame; m > 0 && need > m {
		return ErrTooLarge
	}
	if r.cur == nil || r.w == len(r.cur.buf) || len(r.cur.buf)-r.r < need {
		if err := r.makeRoom(need); err != nil {
			return err
		}
	}
	n, err := r.src.Read(r.cur.buf[r.w:])
	r.w += n
	if n > 0 {
		return nil
	}
	return err
}

// makeRoom gives cur room for need bytes from r, compacting in place when
// the reader is its only holder and moving the unread tail to a new chunk
// otherwise.
func (r *Reader) makeRoom(need int) error {
	unread := r.w - r.r
	if c := r.cur; c != nil && c.refs.Load() == 1 && len(c.buf) >= need {
		copy(c.buf, c.buf[r.r:r.w])
		r.r, r.w = 0, unread
		return nil
	}
	size := max(r.opt.ChunkSize, need)
	if err := r.waitMemory(size); err != nil {
		return err
	}
	c := getChunk(size)
	c.owner = r
	r.held.Add(int64(cap(c.buf)))
	if old := r.cur; old != nil {
		copy(c.buf, old.buf[r.r:r.w])
		old.Release()
	}
	r.cur, r.r, r.w = c, 0, unread
	return nil
}

// waitMemory blocks while chunks held by others plus size would cross
// the limit. With nothing held by others it never waits.
func (r *Reader) waitMemory(size int) error {
	if r.opt.Limit <= 0 {
		return nil
	}
	for {
		held := r.held.Load()
		own := int64(0)
		if r.cur != nil {
			own = int64(cap(r.cur.buf))
		}
		if held-own <= 0 || held+int64(size) <= int64(r.opt.Limit) {
			return nil
		}
		select {
		case <-r.wake:
		case <-r.opt.Done:
			return ErrStopped
		}
	}
}

// freed is called by the last Release of a chunk r allocated.
func (r *Reader) freed(n int) {
	r.held.Add(-int64(n))
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Close drops the reader's own reference. Chunks taken earlier stay valid
// until their holders release them.
func (r *Reader) Close() {
	if r.cur != nil {
		r.cur.Release()
		r.cur, r.r, r.w = nil, 0, 0
	}
}
