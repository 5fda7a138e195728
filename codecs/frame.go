package codecs

// Frame is one decoded protocol frame: its bytes exactly as they arrived
// plus what the codec read from its header.
//
// A Frame is a view, not an owner. Raw and the slices in Attrs alias the
// buffer passed to Decode; whoever owns that buffer owns the frame (see
// the package doc). Copying a Frame value copies the view, not the bytes.
type Frame struct {
	// Raw is the complete frame as it arrived on the wire.
	Raw []byte
	// Kind classifies the frame.
	Kind Kind
	// ID is the request id of multiplexed protocols (a response carries
	// its request's id); 0 for protocols without ids. After a pool
	// rewrites ids, ID is the id its holder should see while Raw may
	// still carry the id used on the other connection: encoders take
	// the id to write as an explicit argument.
	ID uint64
	// Attrs are the routing and metrics attributes.
	Attrs Attributes
}

// Len returns the frame's size on the wire.
func (f *Frame) Len() int { return len(f.Raw) }
