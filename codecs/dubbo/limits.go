package dubbo

import "github.com/sidewire/sidewire/codecs"

// DefaultMaxBodySize is Dubbo's default "payload" limit (8 MiB): the
// largest body a Dubbo server accepts unless configured otherwise.
const DefaultMaxBodySize = 8 << 20

// maxBodyCap is the largest body the header's signed 32-bit length can
// announce.
const maxBodyCap = 1<<31 - 1

// Limits bound what the Dubbo codec accepts, on top of
// codecs.Limits.MaxFrameSize. Zero fields take their defaults.
type Limits struct {
	// MaxBodySize is the largest body in bytes (Dubbo's "payload").
	MaxBodySize int
}

// WithDefaults returns l with zero fields set to their defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxBodySize <= 0 {
		l.MaxBodySize = DefaultMaxBodySize
	}
	l.MaxBodySize = min(l.MaxBodySize, maxBodyCap)
	return l
}

// maxFrame is the effective frame bound of one per-connection codec.
func maxFrame(l Limits, cl codecs.Limits) int {
	return min(HeaderLen+l.WithDefaults().MaxBodySize, cl.WithDefaults().MaxFrameSize)
}
