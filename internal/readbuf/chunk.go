package readbuf

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// Size classes: powers of two from minClass to maxClass bytes are pooled;
// larger chunks are allocated exactly and left to the garbage collector.
const (
	minShift = 12 // 4 KiB
	maxShift = 22 // 4 MiB
)

var classes [maxShift - minShift + 1]sync.Pool

// Chunk is a reference-counted block of read buffer memory.
type Chunk struct {
	buf   []byte
	refs  atomic.Int32
	owner *Reader // accounting target, nil once released
}

// Retain adds a reference. The caller must already hold one.
func (c *Chunk) Retain() { c.refs.Add(1) }

// Release drops a reference. The last release returns the memory to its
// pool; the bytes must not be used afterwards. Releasing a nil Chunk is a
// no-op, so holders of static (unowned) frames can release uniformly.
func (c *Chunk) Release() {
	if c == nil {
		return
	}
	switch n := c.refs.Add(-1); {
	case n > 0:
		return
	case n < 0:
		panic("readbuf: chunk released more times than retained")
	}
	if o := c.owner; o != nil {
		c.owner = nil
		o.freed(cap(c.buf))
	}
	putChunk(c)
}

// classOf returns the pool index for a chunk of at least size bytes and
// the class size, or -1 when size is beyond the largest class.
func classOf(size int) (idx, classSize int) {
	if size <= 1<<minShift {
		return 0, 1 << minShift
	}
	shift := bits.Len(uint(size - 1))
	if shift > maxShift {
		return -1, size
	}
	return shift - minShift, 1 << shift
}

// getChunk returns a chunk of at least size bytes with one reference.
func getChunk(size int) *Chunk {
	idx, n := classOf(size)
	var c *Chunk
	if idx >= 0 {
		c, _ = classes[idx].Get().(*Chunk)
	}
	if c == nil {
		c = &Chunk{buf: make([]byte, n)}
	}
	c.refs.Store(1)
	return c
}

func putChunk(c *Chunk) {
	if idx, n := classOf(cap(c.buf)); idx >= 0 && n == cap(c.buf) {
		classes[idx].Put(c)
	}
}
