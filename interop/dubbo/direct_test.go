package dubbo_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sidewire/sidewire/interop/dubbo/consumer"
	"github.com/sidewire/sidewire/interop/dubbo/greeter"
	"github.com/sidewire/sidewire/interop/internal/harness"
)

// TestDirectGreeter checks the peers against each other with no proxy in
// between: every method, the business exception, attachments, and the
// service keys each provider exports.
func TestDirectGreeter(t *testing.T) {
	v1, v2 := sharedProviders(t)
	ctx := context.Background()
	for _, p := range []*harness.Provider{v1, v2} {
		label := p.Spec.Label
		t.Run(label, func(t *testing.T) {
			for _, key := range []struct{ version, group string }{
				{"", ""}, {label, ""}, {"", canaryGroup}, {label, canaryGroup},
			} {
				c := dial(t, p.Addr, key.version, key.group, 3*time.Second)
				got, text, err := c.Greet(ctx, "ann", nil)
				if err != nil || got != label || text != "hello, ann" {
					t.Errorf("version %q group %q: Greet = %q %q, %v; want %q \"hello, ann\"", key.version, key.group, got, text, err, label)
				}
			}
			c := dial(t, p.Addr, "", "", 3*time.Second)
			if sum, err := c.Add(ctx, 40, 2, nil); err != nil || sum != 42 {
				t.Errorf("Add(40, 2) = %d, %v; want 42", sum, err)
			}
			if got, text, err := c.Sleep(ctx, 5, nil); err != nil || got != label || text != "slept 5ms" {
				t.Errorf("Sleep(5) = %q %q, %v", got, text, err)
			}
			err := c.Fail(ctx, nil)
			if err == nil || !strings.Contains(err.Error(), greeter.FailMessage) {
				t.Errorf("Fail() = %v; want a business exception with %q", err, greeter.FailMessage)
			}
			if _, val, err := c.Attachment(ctx, "tenant", map[string]string{"tenant": "acme"}); err != nil || val != "acme" {
				t.Errorf("Attachment(tenant) = %q, %v; want acme", val, err)
			}
			if _, val, err := c.Attachment(ctx, "absent", nil); err != nil || val != "" {
				t.Errorf("Attachment(absent) = %q, %v; want empty", val, err)
			}
			// The other provider's service version is not exported here.
			other := map[string]string{"v1": "v2", "v2": "v1"}[label]
			wrong := dial(t, p.Addr, other, "", 3*time.Second)
			if _, _, err := wrong.Greet(ctx, "ann", nil); err == nil {
				t.Errorf("Greet with version %q served by provider %s; want an error", other, label)
			}
		})
	}
}

// TestDirectCount checks the provider's own call counters, which the
// routing tests read to see where label-less replies (Add) went.
func TestDirectCount(t *testing.T) {
	v1, _ := sharedProviders(t)
	ctx := context.Background()
	c := dial(t, v1.Addr, "", "", 3*time.Second)
	before, err := c.Count(ctx, greeter.MethodAdd)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		if _, err := c.Add(ctx, int64(i), 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	after, err := c.Count(ctx, greeter.MethodAdd)
	if err != nil {
		t.Fatal(err)
	}
	if after-before != 7 {
		t.Errorf("Count(Add) rose by %d after 7 calls", after-before)
	}
}

// TestDirectLoad runs the load runner against one provider: every call
// succeeds and is attributed to it.
func TestDirectLoad(t *testing.T) {
	_, v2 := sharedProviders(t)
	c := dial(t, v2.Addr, "", "", 3*time.Second)
	call, err := consumer.MethodCall(c, greeter.MethodGreet, "load", nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := consumer.Run(context.Background(), consumer.Spec{Calls: 2000, Concurrency: 8}, call)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Calls != 2000 || rep.OK != 2000 || rep.ByProvider["v2"] != 2000 {
		t.Errorf("report: %d calls, %d ok, by provider %v, errors %v; want 2000 ok from v2", rep.Calls, rep.OK, rep.ByProvider, rep.ErrorKinds)
	}
	if l := rep.Latency; !(l.P50 > 0 && l.P50 <= l.P99 && l.P99 <= l.Max) {
		t.Errorf("latency percentiles out of order: %+v", l)
	}
}

// TestConsumerCommand runs cmd/consumer against a provider and reads its
// JSON report.
func TestConsumerCommand(t *testing.T) {
	_, v2 := sharedProviders(t)
	if bins.consumerErr != nil {
		t.Fatalf("the consumer command (interop/dubbo/cmd/consumer) did not build: %v", bins.consumerErr)
	}
	out, err := exec.Command(bins.consumer, "-addr", v2.Addr, "-version", "v2", "-method", "Attachment",
		"-arg", "k", "-attach", "k=v", "-n", "50", "-c", "4").Output()
	if err != nil {
		t.Fatalf("consumer: %v\n%s", err, out)
	}
	var rep consumer.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("decode report: %v\n%s", err, out)
	}
	if rep.Calls != 50 || rep.OK != 50 || rep.ByProvider["v2"] != 50 {
		t.Errorf("report %+v; want 50 ok calls from v2", rep)
	}
}
