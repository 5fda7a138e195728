package greeter

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"dubbo.apache.org/dubbo-go/v3/common/constant"
)

// Interface is the Dubbo service interface name the provider exports.
const Interface = "org.sidewire.interop.Greeter"

// Method names as they travel on the wire (dubbo-go serves both the Go
// name and the name with its first letter swapped; Java consumers send
// the lower-case form).
const (
	MethodGreet      = "Greet"
	MethodAdd        = "Add"
	MethodSleep      = "Sleep"
	MethodFail       = "Fail"
	MethodAttachment = "Attachment"
	MethodCount      = "Count"
)

// MaxSleep bounds the Sleep method so a bad argument cannot park a
// provider goroutine for long.
const MaxSleep = time.Minute

// FailMessage is the text of the business exception Fail raises; the
// consumer sees it inside its error.
const FailMessage = "greeter: requested failure"

// Service implements the Greeter methods. One Service is shared by every
// version/group export of a provider, so its counters see all calls.
type Service struct {
	label string

	mu     sync.Mutex
	counts map[string]int64
}

// NewService returns a Service whose replies carry label (the provider's
// version, e.g. "v1").
func NewService(label string) *Service {
	return &Service{label: label, counts: make(map[string]int64)}
}

// Label is the provider label replies start with.
func (s *Service) Label() string { return s.label }

func (s *Service) count(method string) {
	s.mu.Lock()
	s.counts[method]++
	s.mu.Unlock()
}

func (s *Service) reply(text string) string { return s.label + "|" + text }

// Greet answers "<label>|hello, <name>".
func (s *Service) Greet(_ context.Context, name string) (string, error) {
	s.count(MethodGreet)
	return s.reply("hello, " + name), nil
}

// Add returns a+b.
func (s *Service) Add(_ context.Context, a, b int64) (int64, error) {
	s.count(MethodAdd)
	return a + b, nil
}

// Sleep waits ms milliseconds (at most MaxSleep) and answers
// "<label>|slept <ms>ms".
func (s *Service) Sleep(_ context.Context, ms int64) (string, error) {
	s.count(MethodSleep)
	d := time.Duration(ms) * time.Millisecond
	if d < 0 || d > MaxSleep {
		return "", fmt.Errorf("greeter: sleep %dms out of range [0, %v]", ms, MaxSleep)
	}
	time.Sleep(d)
	return s.reply(fmt.Sprintf("slept %dms", ms)), nil
}

// Fail always raises a business exception carrying FailMessage and the
// label.
func (s *Service) Fail(_ context.Context) (string, error) {
	s.count(MethodFail)
	return "", fmt.Errorf("%s (provider %s)", FailMessage, s.label)
}

// Attachment answers "<label>|<value>" with the value of the request
// attachment key as the provider received it, or "<label>|" when absent.
func (s *Service) Attachment(ctx context.Context, key string) (string, error) {
	s.count(MethodAttachment)
	return s.reply(attachment(ctx, key)), nil
}

// Count returns how many calls of method this provider served (Count
// itself included).
func (s *Service) Count(_ context.Context, method string) (int64, error) {
	s.count(MethodCount)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[method], nil
}

// attachment reads a string attachment from the context dubbo-go hands a
// provider method.
func attachment(ctx context.Context, key string) string {
	switch m := ctx.Value(constant.AttachmentKey).(type) {
	case map[string]any:
		if v, ok := m[key]; ok {
			return stringValue(v)
		}
	case map[string]string:
		return m[key]
	}
	return ""
}

func stringValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []string:
		return strings.Join(x, ",")
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// SplitReply splits a string reply into the serving provider's label and
// the text after it.
func SplitReply(reply string) (label, text string, err error) {
	label, text, ok := strings.Cut(reply, "|")
	if !ok || label == "" {
		return "", "", fmt.Errorf("split reply %q: no provider label", reply)
	}
	return label, text, nil
}
