package dubbo

import "github.com/sidewire/sidewire/codecs"

// Sniff reports whether b starts with the Dubbo magic 0xdabb: Match from
// two bytes on, NeedMore for a shorter prefix of it, NoMatch otherwise.
func Sniff(b []byte) codecs.SniffResult {
	switch {
	case len(b) == 0:
		return codecs.NeedMore
	case b[0] != magicHigh:
		return codecs.NoMatch
	case len(b) == 1:
		return codecs.NeedMore
	case b[1] != magicLow:
		return codecs.NoMatch
	}
	return codecs.Match
}
