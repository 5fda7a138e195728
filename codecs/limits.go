package codecs

// DefaultMaxFrameSize bounds a frame when Limits.MaxFrameSize is zero.
const DefaultMaxFrameSize = 16 << 20

// Limits bound what a codec accepts from a peer. Codecs reject frames
// over the limits with a *ProtocolError wrapping ErrFrameTooLarge as soon
// as a header announces the size, without waiting for the bytes.
type Limits struct {
	// MaxFrameSize is the largest frame in bytes, header included.
	MaxFrameSize int
}

// WithDefaults returns l with zero fields set to their defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxFrameSize <= 0 {
		l.MaxFrameSize = DefaultMaxFrameSize
	}
	return l
}
