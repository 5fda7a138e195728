package codecs

// SniffResult is a codec's verdict on a connection's first bytes.
type SniffResult uint8

// Sniff results.
const (
	// NoMatch: the bytes are not this protocol.
	NoMatch SniffResult = iota
	// Match: the bytes start this protocol.
	Match
	// NeedMore: the bytes are a prefix that could still go either way.
	NeedMore
)

// String returns the result name.
func (r SniffResult) String() string {
	switch r {
	case NoMatch:
		return "no_match"
	case Match:
		return "match"
	case NeedMore:
		return "need_more"
	}
	return "invalid"
}
