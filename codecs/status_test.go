package codecs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
)

func TestStatusOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Status
	}{
		{nil, StatusOK},
		{errors.New("x"), StatusInternal},
		{context.DeadlineExceeded, StatusTimeout},
		{fmt.Errorf("read: %w", os.ErrDeadlineExceeded), StatusTimeout},
		{context.Canceled, StatusUnavailable},
		{&ReplyError{Status: StatusDenied, Err: errors.New("rbac")}, StatusDenied},
		{fmt.Errorf("filter: %w", &ReplyError{Status: StatusRateLimited, Err: errors.New("slow down")}), StatusRateLimited},
		{ProtocolErrorf("p", 0, "bad"), StatusBadRequest},
	} {
		if got := StatusOf(tc.err); got != tc.want {
			t.Errorf("StatusOf(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestStatusNamesAreDistinctAndBounded(t *testing.T) {
	seen := map[string]bool{}
	for s := StatusUnset; s <= StatusInternal; s++ {
		n := s.String()
		if n == "invalid" || seen[n] {
			t.Errorf("status %d has name %q (duplicate or invalid)", s, n)
		}
		seen[n] = true
	}
	if Status(200).String() != "invalid" {
		t.Errorf("out of range status is not named invalid")
	}
}

func TestProtocolError(t *testing.T) {
	err := fmt.Errorf("session: %w", ProtocolErrorf("redis", 12, "bulk length %d: %w", 1<<40, ErrFrameTooLarge))
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Protocol != "redis" || pe.Offset != 12 {
		t.Fatalf("errors.As = %v, %+v", errors.As(err, &pe), pe)
	}
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("ProtocolError does not unwrap to ErrFrameTooLarge")
	}
	want := "redis: decode frame at byte 12: bulk length 1099511627776: frame too large"
	if pe.Error() != want {
		t.Fatalf("Error() = %q, want %q", pe.Error(), want)
	}
	if got := ProtocolErrorf("x", -1, "bad").Error(); got != "x: decode frame: bad" {
		t.Fatalf("Error() without offset = %q", got)
	}
}

func TestEnumStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{KindRequest.String(), "request"}, {KindOneWay.String(), "oneway"}, {KindResponse.String(), "response"},
		{KindEvent.String(), "event"}, {KindEventReply.String(), "event_reply"}, {Kind(0).String(), "invalid"},
		{Pipeline.String(), "pipeline"}, {Multiplex.String(), "multiplex"}, {Bound.String(), "bound"}, {PoolMode(0).String(), "invalid"},
		{Match.String(), "match"}, {NoMatch.String(), "no_match"}, {NeedMore.String(), "need_more"}, {SniffResult(9).String(), "invalid"},
	} {
		if tc.got != tc.want {
			t.Errorf("String() = %q, want %q", tc.got, tc.want)
		}
	}
	if !KindOneWay.IsRequest() || KindEvent.IsRequest() {
		t.Errorf("IsRequest wrong")
	}
	if (Limits{}).WithDefaults().MaxFrameSize != DefaultMaxFrameSize || (Limits{MaxFrameSize: 5}).WithDefaults().MaxFrameSize != 5 {
		t.Errorf("Limits.WithDefaults wrong")
	}
}
