package codectest

import (
	"fmt"

	"github.com/sidewire/sidewire/codecs"
)

// decodeSafe runs dec, turning a panic into an error so one bad input
// reports cleanly instead of killing the test binary.
func decodeSafe(dec decodeFunc, b []byte) (f codecs.Frame, n int, err error, panicked error) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Errorf("decode panicked: %v", r)
		}
	}()
	f, n, err = dec(b)
	return f, n, err, nil
}

// sameMemory reports whether a is exactly b[:len(a)] (same backing bytes).
func sameMemory(a, b []byte) bool {
	if len(a) == 0 || len(b) < len(a) {
		return len(a) == 0
	}
	return &a[0] == &b[0]
}

// describe formats a frame for failure messages.
func describe(f *codecs.Frame) string {
	return fmt.Sprintf("kind=%s id=%d len=%d attrs=%s", f.Kind, f.ID, len(f.Raw), f.Attrs.String())
}
