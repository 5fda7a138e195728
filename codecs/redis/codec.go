package redis

import "github.com/sidewire/sidewire/codecs"

// Name is the protocol name, Attributes.Protocol of every frame.
const Name = "redis"

// Extra attribute keys (codecs.Attributes.Extra).
const (
	// ExtraSubcommand is a container command's second argument, as
	// sent ("SETINFO" of CLIENT SETINFO).
	ExtraSubcommand = "subcommand"
	// ExtraError is an error reply's code, its first word ("ERR",
	// "WRONGTYPE", "MOVED").
	ExtraError = "error"
	// ExtraPattern is the pattern a pmessage matched.
	ExtraPattern = "pattern"
)

// Codec is the Redis codecs.Codec. It is immutable and safe for
// concurrent use.
type Codec struct {
	limits Limits
}

var _ codecs.Codec = (*Codec)(nil)

// New returns the Redis codec with the given limits (zero fields take
// their defaults).
func New(l Limits) *Codec { return &Codec{limits: l.WithDefaults()} }

// Name implements codecs.Codec: "redis".
func (c *Codec) Name() string { return Name }

// Mode implements codecs.Codec: Redis answers in request order.
func (c *Codec) Mode() codecs.PoolMode { return codecs.Pipeline }

// Limits returns the codec's Redis limits, defaults applied.
func (c *Codec) Limits() Limits { return c.limits }

// Sniff implements codecs.Codec; see Sniff.
func (c *Codec) Sniff(b []byte) codecs.SniffResult { return Sniff(b) }

// NewServerCodec implements codecs.Codec.
func (c *Codec) NewServerCodec(l codecs.Limits) codecs.ServerCodec {
	return NewServerCodec(c.limits, l)
}

// NewClientCodec implements codecs.Codec.
func (c *Codec) NewClientCodec(l codecs.Limits) codecs.ClientCodec {
	return NewClientCodec(c.limits, l)
}
