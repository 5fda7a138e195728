package greeter

import (
	"context"
	"strings"
	"testing"

	"dubbo.apache.org/dubbo-go/v3/common/constant"
)

func TestSplitReply(t *testing.T) {
	for _, tc := range []struct {
		in, label, text string
		ok              bool
	}{
		{"v1|hello, ann", "v1", "hello, ann", true},
		{"v2|", "v2", "", true},
		{"v1|a|b", "v1", "a|b", true},
		{"|x", "", "", false},
		{"nolabel", "", "", false},
	} {
		label, text, err := SplitReply(tc.in)
		if (err == nil) != tc.ok || label != tc.label || text != tc.text {
			t.Errorf("SplitReply(%q) = %q %q %v", tc.in, label, text, err)
		}
	}
}

func TestServiceMethods(t *testing.T) {
	s := NewService("v7")
	ctx := context.WithValue(context.Background(), constant.AttachmentKey, map[string]any{"k": "v", "n": 3})
	if r, _ := s.Greet(ctx, "ann"); r != "v7|hello, ann" {
		t.Errorf("Greet = %q", r)
	}
	if r, _ := s.Add(ctx, 2, 3); r != 5 {
		t.Errorf("Add = %d", r)
	}
	if r, _ := s.Attachment(ctx, "k"); r != "v7|v" {
		t.Errorf("Attachment(k) = %q", r)
	}
	if r, _ := s.Attachment(ctx, "n"); r != "v7|3" {
		t.Errorf("Attachment(n) = %q", r)
	}
	if _, err := s.Fail(ctx); err == nil || !strings.Contains(err.Error(), FailMessage) {
		t.Errorf("Fail = %v", err)
	}
	if _, err := s.Sleep(ctx, -1); err == nil {
		t.Errorf("Sleep(-1) succeeded")
	}
	if n, _ := s.Count(ctx, MethodGreet); n != 1 {
		t.Errorf("Count(Greet) = %d; want 1", n)
	}
	if err := (ProviderConfig{Port: 1, Label: "a|b"}).validate(); err == nil {
		t.Errorf("a label with '|' validated")
	}
}
