package xds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sidewire/sidewire/proxy/config"
)

// ADSConfig configures an ADSClient.
type ADSConfig struct {
	// Target is the control plane's gRPC target, e.g. "127.0.0.1:18000";
	// empty when the bootstrap has no ads_config (every source is a file).
	Target string
	// Delta selects incremental xDS (DeltaAggregatedResources, api_type
	// DELTA_GRPC or AGGREGATED_DELTA_GRPC) over state of the world.
	Delta bool
	// LDS and CDS, when set, read listeners or clusters from a file
	// (Envoy's path_config_source) instead of ADS.
	LDS, CDS *FileSource
	// StaticSecrets are the SDS secrets the static listeners and clusters
	// name (DynamicResources.StaticSecrets): subscribed to, read from
	// their files and warmed like those of dynamic resources.
	StaticSecrets []OwnedSecretRef
	// PollInterval paces the checks of watched files; default 300ms.
	PollInterval time.Duration
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
	// OnResponse, when set, is called after each response or file change
	// is accepted or rejected; for stats such as Envoy's
	// listener_manager.lds.update_success or sds.<name>.update_rejected.
	// It must not block; it may be called from several goroutines, one
	// call at a time.
	OnResponse func(r Response)
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

// ADSClient runs the dynamic resources of a bootstrap: an Aggregated
// Discovery Service stream to a control plane, state of the world or
// delta, and the files of path config sources. Whatever the source, it
// validates and translates every response or file, ACKs or NACKs what
// came over ADS, and hands warmed configurations to an Applier.
type ADSClient struct {
	cfg ADSConfig
	log *slog.Logger
	// eng holds the accepted state; it outlives streams, so a reconnect
	// resumes from the known versions.
	eng *engine
}

// ADSStatus is the client's state, for /config_dump and stats.
type ADSStatus struct {
	Connected bool
	// Versions are the accepted version_info by type URL.
	Versions map[string]string
	// Warming is why the accepted state is not applied yet ("" when it is):
	// the clusters and load assignments still missing.
	Warming string
	// LastError is the last rejection or stream error; LastErrorTime its
	// time.
	LastError     string
	LastErrorTime time.Time
	// LastUpdated is when the Applier last accepted an update.
	LastUpdated time.Time
	// Updates counts updates applied, Rejected responses and files
	// rejected.
	Updates, Rejected uint64
}

// NewADSClient returns a client that applies updates to a. Run starts it.
func NewADSClient(cfg ADSConfig, a Applier) *ADSClient {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 300 * time.Millisecond
	}
	eng := newEngine(a, cfg.Logger, cfg.OnResponse, cfg.Target != "")
	eng.state.staticSecrets = cfg.StaticSecrets
	return &ADSClient{cfg: cfg, log: cfg.Logger, eng: eng}
}

// Status returns a copy of the client's status.
func (c *ADSClient) Status() ADSStatus { return c.eng.Status() }

func (c *ADSClient) setConnected(up bool) {
	c.eng.setStatus(func(s *ADSStatus) { s.Connected = up })
	if c.cfg.OnConnected != nil {
		c.cfg.OnConnected(up)
	}
}

// adsTypes returns the wildcard types to ask the ADS server for: CDS and
// LDS, unless a file provides them.
func (c *ADSClient) adsTypes() []string {
	var out []string
	if c.cfg.CDS == nil {
		out = append(out, ClusterTypeURL)
	}
	if c.cfg.LDS == nil {
		out = append(out, ListenerTypeURL)
	}
	return out
}

// fromADS reports whether resources of typ may come over ADS.
func (c *ADSClient) fromADS(typ string) bool {
	return slices.Contains(byNameTypes[:], typ) || slices.Contains(c.adsTypes(), typ)
}

// Run watches the files of path sources and, with a Target, connects and
// keeps the ADS subscription alive, until ctx is done; then it returns
// nil once every goroutine it started has ended. It reconnects after
// stream failures with Backoff. It returns an error only when the
// connection cannot be set up at all (a malformed target). Run must not
// be called twice at once.
func (c *ADSClient) Run(ctx context.Context) error {
	var conn *grpc.ClientConn
	if c.cfg.Target != "" {
		dial := c.cfg.Dial
		if dial == nil {
			dial = func(_ context.Context, target string) (*grpc.ClientConn, error) {
				return grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
			}
		}
		var err error
		if conn, err = dial(ctx, c.cfg.Target); err != nil {
			return fmt.Errorf("dial control plane %s: %w", c.cfg.Target, err)
		}
		defer conn.Close()
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.startFiles(ctx, &wg)
	if conn == nil {
		<-ctx.Done()
		return nil
	}
	c.runADS(ctx, conn)
	return nil
}

// runADS runs streams until ctx is done, reconnecting with Backoff.
func (c *ADSClient) runADS(ctx context.Context, conn *grpc.ClientConn) {
	attempt := 0
	for {
		var got bool
		var err error
		if c.cfg.Delta {
			got, err = c.deltaStream(ctx, conn)
		} else {
			got, err = c.sotwStream(ctx, conn)
		}
		c.setConnected(false)
		if ctx.Err() != nil {
			return
		}
		if got {
			attempt = 0
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			c.log.Warn("ads stream failed; reconnecting", "target", c.cfg.Target, "error", err)
			c.eng.recordError(err)
		}
		t := time.NewTimer(c.cfg.Backoff.delay(attempt))
		attempt++
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
