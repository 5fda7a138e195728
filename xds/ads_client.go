package xds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sidewire/sidewire/proxy/config"
)

// ADSConfig configures an ADSClient.
type ADSConfig struct {
	// Target is the control plane's gRPC target, e.g. "127.0.0.1:18000".
	Target string
	// Node identifies this proxy; it is sent on the first request of each
	// stream.
	Node config.Node
	// Dial opens the connection; nil means grpc.NewClient with insecure
	// transport credentials. The client closes the connection when Run
	// returns.
	Dial func(ctx context.Context, target string) (*grpc.ClientConn, error)
	// Backoff paces reconnects.
	Backoff Backoff
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// OnResponse, when set, is called on Run's goroutine after each
	// response is accepted (err nil) or rejected, with its type URL; for
	// stats such as Envoy's listener_manager.lds.update_success. It must
	// not block.
	OnResponse func(typeURL string, err error)
	// OnConnected, when set, is called on Run's goroutine when a stream
	// receives its first response (true) and when it ends (false).
	OnConnected func(connected bool)
}

// Backoff is exponential with jitter: the n-th consecutive failed attempt
// waits a random duration in [d/2, d], d = min(Base * 2^n, Max). A stream
// that received a response resets it.
type Backoff struct {
	Base, Max time.Duration // defaults 500ms and 30s
}

func (b Backoff) delay(attempt int) time.Duration {
	base, maxd := b.Base, b.Max
	if base <= 0 {
		base = 500 * time.Millisecond
	}
	if maxd <= 0 {
		maxd = 30 * time.Second
	}
	d := base
	for i := 0; i < attempt && d < maxd; i++ {
		d *= 2
	}
	d = min(d, maxd)
	return d/2 + rand.N(d/2+1)
}

// ADSClient is a state-of-the-world Aggregated Discovery Service client:
// it subscribes to all listeners and clusters and to the load assignments
// of EDS clusters, validates and translates every response, ACKs or
// NACKs it, and hands warmed configurations to an Applier.
type ADSClient struct {
	cfg ADSConfig
	app Applier
	log *slog.Logger

	// state is the accepted state; only the Run goroutine uses it, and it
	// outlives streams, so a reconnect resumes from the known versions.
	state *adsState

	mu     sync.Mutex
	status ADSStatus
}

// ADSStatus is the client's state, for /config_dump and stats.
type ADSStatus struct {
	Connected bool
	// Versions are the accepted version_info by type URL.
	Versions map[string]string
	// Warming is why the accepted state is not applied yet ("" when it is):
	// the clusters and load assignments still missing.
	Warming string
	// LastError is the last NACK or stream error; LastErrorTime its time.
	LastError     string
	LastErrorTime time.Time
	// LastUpdated is when the Applier last accepted an update.
	LastUpdated time.Time
	// Updates counts updates applied, Rejected responses NACKed.
	Updates, Rejected uint64
}

// NewADSClient returns a client that applies updates to a. Run starts it.
func NewADSClient(cfg ADSConfig, a Applier) *ADSClient {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &ADSClient{cfg: cfg, app: a, log: cfg.Logger, state: newADSState()}
}

// Status returns a copy of the client's status.
func (c *ADSClient) Status() ADSStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.status
	s.Versions = maps.Clone(s.Versions)
	return s
}

func (c *ADSClient) setStatus(f func(s *ADSStatus)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.status)
}

func (c *ADSClient) setConnected(up bool) {
	c.setStatus(func(s *ADSStatus) { s.Connected = up })
	if c.cfg.OnConnected != nil {
		c.cfg.OnConnected(up)
	}
}

func (c *ADSClient) recordError(err error) {
	c.setStatus(func(s *ADSStatus) {
		s.LastError = err.Error()
		s.LastErrorTime = time.Now()
	})
}

// Run connects and keeps the subscription alive until ctx is done, then
// returns nil. It reconnects after stream failures with Backoff. It
// returns an error only when the connection cannot be set up at all
// (a malformed target). Run must not be called twice at once.
func (c *ADSClient) Run(ctx context.Context) error {
	dial := c.cfg.Dial
	if dial == nil {
		dial = func(_ context.Context, target string) (*grpc.ClientConn, error) {
			return grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
		}
	}
	conn, err := dial(ctx, c.cfg.Target)
	if err != nil {
		return fmt.Errorf("dial control plane %s: %w", c.cfg.Target, err)
	}
	defer conn.Close()
	attempt := 0
	for {
		got, err := c.stream(ctx, conn)
		c.setConnected(false)
		if ctx.Err() != nil {
			return nil
		}
		if got {
			attempt = 0
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			c.log.Warn("ads stream failed; reconnecting", "target", c.cfg.Target, "error", err)
			c.recordError(err)
		}
		t := time.NewTimer(c.cfg.Backoff.delay(attempt))
		attempt++
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}
