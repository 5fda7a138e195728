package codectest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

// checkTruncated decodes every strict prefix of every sample.
func checkTruncated(t testing.TB, s *Suite) {
	for _, set := range s.sides() {
		dec := s.decoder(set.side)
		for _, smp := range set.samples {
			for i := 0; i < len(smp.Wire); i++ {
				// An exact-capacity copy: reading past len(b) would
				// show up as a panic in this check.
				prefix := make([]byte, i)
				copy(prefix, smp.Wire)
				f, n, err, p := decodeSafe(dec, prefix)
				switch {
				case p != nil:
					t.Errorf("%s[:%d]: %v", smp.Name, i, p)
				case err == nil:
					t.Errorf("%s[:%d]: decoded a frame (%s) from a truncated sample", smp.Name, i, describe(&f))
				case err != codecs.ErrNeedMore:
					t.Errorf("%s[:%d]: error %v, want codecs.ErrNeedMore itself", smp.Name, i, err)
				case n != 0 && (n <= i || n > len(smp.Wire)):
					t.Errorf("%s[:%d]: size hint %d, want 0 or in (%d, %d]", smp.Name, i, n, i, len(smp.Wire))
				}
			}
		}
	}
}

// checkStream decodes each side's samples back to back, first from one
// buffer, then as if they arrived in reads of 1, 7 and 64 bytes.
func checkStream(t testing.TB, s *Suite) {
	for _, set := range s.sides() {
		var all []byte
		for _, smp := range set.samples {
			all = append(all, smp.Wire...)
		}
		for _, step := range []int{len(all), 1, 7, 64} {
			if err := decodeStream(s.decoder(set.side), all, step, set.samples); err != nil {
				t.Errorf("%s arriving %d bytes at a time: %v", set.name, step, err)
			}
		}
	}
}

func decodeStream(dec decodeFunc, all []byte, step int, want []Sample) error {
	off, end := 0, min(step, len(all))
	for i := 0; i < len(want); {
		f, n, err, p := decodeSafe(dec, all[off:end])
		switch {
		case p != nil:
			return p
		case err == codecs.ErrNeedMore && end < len(all):
			end = min(end+step, len(all))
			continue
		case err != nil:
			return errors.Join(errors.New("frame "+want[i].Name), err)
		case !bytes.Equal(f.Raw, want[i].Wire) || n != len(want[i].Wire):
			return errors.New("frame " + want[i].Name + " decoded with the wrong bytes")
		}
		off += n
		i++
	}
	if off != len(all) {
		return errors.New("stream not consumed")
	}
	return nil
}

// checkLimits requires every sample to be refused, as too large, by a
// codec whose MaxFrameSize is one byte smaller, and accepted at its size.
func checkLimits(t testing.TB, s *Suite) {
	for _, set := range s.sides() {
		for _, smp := range set.samples {
			small := *s
			small.Limits.MaxFrameSize = len(smp.Wire) - 1
			if small.Limits.MaxFrameSize > 0 {
				_, _, err, p := decodeSafe(small.decoder(set.side), smp.Wire)
				var pe *codecs.ProtocolError
				if p != nil || !errors.Is(err, codecs.ErrFrameTooLarge) || !errors.As(err, &pe) {
					t.Errorf("%s with MaxFrameSize %d: err=%v panic=%v, want a ProtocolError wrapping ErrFrameTooLarge",
						smp.Name, small.Limits.MaxFrameSize, err, p)
				}
			}
			exact := *s
			exact.Limits.MaxFrameSize = len(smp.Wire)
			if _, _, err, p := decodeSafe(exact.decoder(set.side), smp.Wire); err != nil || p != nil {
				t.Errorf("%s with MaxFrameSize equal to its size: err=%v panic=%v, want a frame", smp.Name, err, p)
			}
		}
	}
}
