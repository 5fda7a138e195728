// Package readbuf is the zero-copy read buffer shared by downstream
// sessions and upstream connections.
//
// A Reader reads from a connection into reference-counted Chunks. A
// decoder looks at Reader.Bytes; when it finds a complete frame of n bytes
// it calls Reader.Take(n), which consumes the bytes and returns the Chunk
// holding them with one extra reference. The frame's slices stay valid,
// unmodified, until that reference is released; the reader never writes
// into bytes it has handed out. A partial frame at the end of a full
// chunk is copied into a fresh chunk (the only copy, and only of the
// incomplete tail), and a chunk goes back to a size-classed sync.Pool
// when its last reference is released.
//
// Ownership rules:
//   - Bytes returned by Reader.Bytes belong to the Reader: valid until the
//     next Fill, Take, Discard or Close, and read-only.
//   - A Chunk returned by Take keeps every byte it covers valid until
//     Release. Each Take must be balanced by exactly one Release; Retain
//     adds a reference for a second holder (for example a mirror).
//   - After the last Release the memory is reused: holding a slice past
//     Release is a use-after-free bug the race detector often catches.
//
// Memory is bounded: Options.Limit is a watermark on the bytes of chunks a
// Reader allocated that are still referenced. When the next chunk would
// cross it, Fill waits until holders release theirs (backpressure through
// TCP), unless nothing else is held, so one frame larger than the
// watermark still makes progress (its size is bounded by MaxFrame).
package readbuf
