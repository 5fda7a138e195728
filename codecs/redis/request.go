package redis

import (
	"bytes"
	"fmt"
	"math"

	"github.com/sidewire/sidewire/codecs"
)

// minArg is the smallest encoded request argument: "$0\r\n\r\n".
const minArg = 6

// decodeRequest decodes the request at the start of b into f, which
// must be zero: a multibulk array of bulk strings when b starts with
// '*', an inline command line otherwise (the same test Redis applies).
// It fills f in place because a Frame is large.
func (bd *bounds) decodeRequest(f *codecs.Frame, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, codecs.ErrNeedMore
	}
	// A frame within the limit lies within its first maxFrame bytes, so
	// scanning only those and running out means the frame is too large.
	w := b[:min(len(b), bd.maxFrame)]
	var n, argc, hint int
	var err error
	if w[0] == '*' {
		n, argc, hint, err = bd.frameMultibulk(w)
	} else {
		n, argc, err = bd.frameInline(w)
	}
	if err == codecs.ErrNeedMore {
		if len(b) > len(w) || hint > bd.maxFrame {
			return 0, frameTooLarge(len(w), bd.maxFrame, true)
		}
		return hint, err
	}
	if err != nil {
		return 0, err
	}
	f.Raw, f.Kind = b[:n:n], codecs.KindRequest
	f.Attrs.Protocol = Name
	if argc == 0 {
		// An empty command (*0, *-1, a blank line): Redis skips it
		// without a reply.
		f.Kind = codecs.KindOneWay
		return n, nil
	}
	requestAttrs(f)
	return n, nil
}

// frameMultibulk frames "*<argc>\r\n" and argc bulk strings. On
// ErrNeedMore, hint is 0 or a lower bound on the frame's size.
func (bd *bounds) frameMultibulk(w []byte) (n, argc, hint int, err error) {
	digits, pos, st := scanCount(w, 1)
	switch st {
	case lineShort:
		return 0, 0, 0, codecs.ErrNeedMore
	case lineLong:
		return 0, 0, 0, bd.countLineError(w, 0, msgTooBigMbulkCount, msgInvalidMultibulk)
	case lineNoLF:
		return 0, 0, 0, protoError(0, msgExpectedLF)
	}
	count, ok := parseInt(digits)
	switch {
	case !ok || count > math.MaxInt32:
		return 0, 0, 0, protoError(0, msgInvalidMultibulk)
	case count <= 0:
		return pos, 0, 0, nil
	case count > int64(bd.maxArray):
		return 0, 0, 0, limitError(0, msgInvalidMultibulk)
	case pos+minArg*int(count) > bd.maxFrame:
		return 0, 0, 0, frameTooLarge(0, bd.maxFrame, true)
	}
	argc = int(count)
	for i := range argc {
		rest := minArg * (argc - i - 1) // the arguments after this one
		if pos >= len(w) {
			return 0, 0, pos + minArg + rest, codecs.ErrNeedMore
		}
		if w[pos] != '$' {
			return 0, 0, 0, protoError(pos, fmt.Sprintf(msgExpectedDollar, w[pos]))
		}
		digits, start, st := scanCount(w, pos+1)
		switch st {
		case lineShort:
			return 0, 0, max(len(w)+1, pos+minArg+rest), codecs.ErrNeedMore
		case lineLong:
			return 0, 0, 0, bd.countLineError(w, pos, msgTooBigBulkCount, msgInvalidBulk)
		case lineNoLF:
			return 0, 0, 0, protoError(pos, msgExpectedLF)
		}
		l, ok := parseInt(digits)
		switch {
		case !ok || l < 0:
			return 0, 0, 0, protoError(pos, msgInvalidBulk)
		case l > int64(bd.maxBulk):
			return 0, 0, 0, limitError(pos, msgInvalidBulk)
		}
		end := start + int(l) + 2
		switch {
		case end+rest > bd.maxFrame:
			return 0, 0, 0, frameTooLarge(pos, bd.maxFrame, true)
		case end > len(w):
			return 0, 0, end + rest, codecs.ErrNeedMore
		case w[end-2] != '\r' || w[end-1] != '\n':
			return 0, 0, 0, protoError(end-2, msgExpectedCRLF)
		}
		pos = end
	}
	return pos, argc, 0, nil
}

// countLineError describes a count line (at w[pos]) too long to be a
// number, as Redis would once it held these bytes: "too big ... count
// string" when more than MaxInlineLen bytes follow without any CR,
// "invalid ... length" otherwise (Redis waits for the CR, then fails to
// parse the number; Sidewire fails at once).
func (bd *bounds) countLineError(w []byte, pos int, big, invalid string) error {
	if bytes.IndexByte(w[pos:], '\r') < 0 && len(w)-pos > bd.maxInline {
		return limitError(pos, big)
	}
	return protoError(pos, invalid)
}

// frameInline frames one command line ending in "\n" (or "\r\n") and
// counts its arguments.
func (bd *bounds) frameInline(w []byte) (n, argc int, err error) {
	nl := bytes.IndexByte(w[:min(len(w), bd.maxInline+1)], '\n')
	if nl < 0 {
		if len(w) > bd.maxInline {
			return 0, 0, limitError(0, msgTooBigInline)
		}
		return 0, 0, codecs.ErrNeedMore
	}
	argc, ok := countTokens(inlineLine(w[:nl]))
	if !ok {
		return 0, 0, protoError(0, msgUnbalanced)
	}
	return nl + 1, argc, nil
}

// requestAttrs fills the attributes of a request with at least one
// argument: Method is the command name as sent; keys, Topic (the
// channel of PUBLISH and the SUBSCRIBE family) and the "subcommand"
// extra come from the command table.
func requestAttrs(f *codecs.Frame) {
	args := ArgsOf(f.Raw)
	name := args.At(0)
	f.Attrs.Method = name
	cmd := Lookup(name)
	if cmd == nil {
		return
	}
	if cmd.Flags&FlagContainer != 0 && args.Len() > 1 {
		sub := args.At(1)
		f.Attrs.SetExtra(ExtraSubcommand, sub)
		if s := cmd.Subcommand(sub); s != nil {
			cmd = s
		}
	}
	if cmd.Flags&FlagNoKey == 0 {
		addKeys(cmd, &args, &f.Attrs)
	}
	if cmd.Flags&FlagPubSub != 0 && args.Len() > 1 && namesChannel(cmd.Name) {
		f.Attrs.Topic = args.At(1)
	}
}

// namesChannel reports whether the command's first argument is a
// channel or pattern.
func namesChannel(name string) bool {
	switch name {
	case "publish", "spublish", "subscribe", "ssubscribe", "psubscribe",
		"unsubscribe", "sunsubscribe", "punsubscribe":
		return true
	}
	return false
}
