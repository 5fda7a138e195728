package dubbo

import "github.com/sidewire/sidewire/codecs"

// Name is the protocol name, Attributes.Protocol of every frame.
const Name = "dubbo"

// Extra attribute keys (codecs.Attributes.Extra).
const (
	// ExtraVersion is a request's service version, the third body
	// field ("1.0.0"), when it is a plain hessian2 string.
	ExtraVersion = "version"
	// ExtraGroup is the service group. The group travels only in the
	// attachments, after the arguments, so Decode never sets it; read it
	// with ScanAttachments (or DecodeRequestBody).
	ExtraGroup = "group"
)

// Codec is the Dubbo codecs.Codec. It is immutable and safe for
// concurrent use.
type Codec struct {
	limits Limits
}

var _ codecs.Codec = (*Codec)(nil)

// New returns the Dubbo codec with the given limits (zero fields take
// their defaults).
func New(l Limits) *Codec { return &Codec{limits: l.WithDefaults()} }

// Name implements codecs.Codec: "dubbo".
func (c *Codec) Name() string { return Name }

// Mode implements codecs.Codec: responses match requests by id.
func (c *Codec) Mode() codecs.PoolMode { return codecs.Multiplex }

// Limits returns the codec's limits, defaults applied.
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
