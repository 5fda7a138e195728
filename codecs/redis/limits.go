package redis

import "github.com/sidewire/sidewire/codecs"

// Defaults of Limits. See README.md for why they differ from Redis's
// own.
const (
	// DefaultMaxBulkLen is Redis's proto-max-bulk-len (512 MiB). A bulk
	// string is also bounded by codecs.Limits.MaxFrameSize (16 MiB by
	// default), which is what bounds it in practice: a proxy buffers a
	// whole frame before forwarding it.
	DefaultMaxBulkLen = 512 << 20
	// DefaultMaxArrayLen bounds the elements of one aggregate (request
	// arguments, array, set or push elements, map or attribute pairs).
	DefaultMaxArrayLen = 1 << 22
	// DefaultMaxDepth bounds the nesting of reply aggregates.
	DefaultMaxDepth = 32
	// DefaultMaxInlineLen is Redis's PROTO_INLINE_MAX_SIZE (64 KiB): the
	// longest inline command line.
	DefaultMaxInlineLen = 64 << 10
	// maxDepthCap is the largest accepted MaxDepth.
	maxDepthCap = 1024
	// maxArrayCap is the largest accepted MaxArrayLen (Redis's INT_MAX).
	maxArrayCap = 1<<31 - 1
	// maxFrameCap bounds frame sizes internally so that offset
	// arithmetic cannot overflow, whatever MaxFrameSize says.
	maxFrameCap = 1 << 40
)

// Limits bound what the Redis codec accepts from a peer, on top of
// codecs.Limits.MaxFrameSize. Zero fields take their defaults. Input
// over a limit fails with a *codecs.ProtocolError wrapping
// codecs.ErrFrameTooLarge, as soon as a header announces it.
type Limits struct {
	// MaxBulkLen is the longest bulk string (and verbatim string and
	// blob error) in bytes.
	MaxBulkLen int
	// MaxArrayLen is the most elements one aggregate may announce; at
	// most 2^31-1.
	MaxArrayLen int
	// MaxDepth is how deeply reply aggregates may nest; a flat array is
	// depth 1. At most 1024.
	MaxDepth int
	// MaxInlineLen is the longest inline command line in bytes, not
	// counting its line feed.
	MaxInlineLen int
}

// WithDefaults returns l with zero fields set to their defaults and
// MaxDepth capped.
func (l Limits) WithDefaults() Limits {
	if l.MaxBulkLen <= 0 {
		l.MaxBulkLen = DefaultMaxBulkLen
	}
	if l.MaxArrayLen <= 0 {
		l.MaxArrayLen = DefaultMaxArrayLen
	}
	l.MaxArrayLen = min(l.MaxArrayLen, maxArrayCap)
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	l.MaxDepth = min(l.MaxDepth, maxDepthCap)
	if l.MaxInlineLen <= 0 {
		l.MaxInlineLen = DefaultMaxInlineLen
	}
	return l
}

// bounds are the effective limits of one per-connection codec.
type bounds struct {
	maxFrame  int
	maxBulk   int
	maxArray  int
	maxDepth  int
	maxInline int
}

func newBounds(l Limits, cl codecs.Limits) bounds {
	l = l.WithDefaults()
	frame := min(cl.WithDefaults().MaxFrameSize, maxFrameCap)
	return bounds{
		maxFrame:  frame,
		maxBulk:   min(l.MaxBulkLen, frame),
		maxArray:  l.MaxArrayLen,
		maxDepth:  l.MaxDepth,
		maxInline: l.MaxInlineLen,
	}
}
