package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/server"
	"github.com/sidewire/sidewire/proxy/tlsctx"
	"github.com/sidewire/sidewire/telemetry"
	"github.com/sidewire/sidewire/xds"
)

// dynamicConfig runs the dynamic resources of a bootstrap (an ADS
// stream, state of the world or delta, and path config source files,
// all through one xds.ADSClient) and applies what they provide merged
// with the static resources.
//
// Merging: the applied snapshot holds every static listener and cluster
// plus the dynamic ones whose names no static resource uses. Static wins
// a name clash (a warning is logged), as in Envoy, where a static
// resource cannot be replaced over xDS. Any other conflict (two listeners
// on one address) fails validation and the update is NACKed (or, from a
// file, rejected and counted).
//
// Endpoint-only updates (Update.Changed == EndpointTypeURL) are applied
// the same way, whole: the server keeps clusters and listeners whose
// configuration did not change and updates the endpoints of the rest.
type dynamicConfig struct {
	srv    *server.Server
	log    *slog.Logger
	client *xds.ADSClient
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	static  *config.Snapshot
	sources xds.DynamicResources
	last    *xds.Update // nil until the first update is applied
	stats   *adsStats
}

var _ xds.Applier = (*dynamicConfig)(nil)

// startADS starts the dynamic resources of b (an ADS client, files),
// after b's snapshot was applied. Stop ends them. ready, when not nil,
// is called with them before anything can apply (so /config_dump shows
// the dynamic state from the first dynamic resource on).
func startADS(srv *server.Server, b *loaded, store *telemetry.Store, log *slog.Logger, ready func(*dynamicConfig)) (*dynamicConfig, error) {
	snap := b.snap
	cfg := xds.ADSConfig{
		Delta:         b.dyn.Delta,
		LDS:           b.dyn.LDS,
		CDS:           b.dyn.CDS,
		StaticSecrets: b.dyn.StaticSecrets,
		Node:          snap.Node,
		Logger:        log,
	}
	if b.dyn.ADSCluster != "" {
		target, err := snap.ADSTarget()
		if err != nil {
			return nil, fmt.Errorf("start ads: %w", err)
		}
		cfg.Target = target.String()
		if cfg.Dial, err = adsDial(snap); err != nil {
			return nil, fmt.Errorf("start ads: %w", err)
		}
	}
	st := newADSStats(store)
	d := &dynamicConfig{srv: srv, log: log, static: snap, sources: *b.dyn, done: make(chan struct{}), stats: st}
	cfg.OnResponse, cfg.OnConnected = st.response, st.connected
	d.client = xds.NewADSClient(cfg, d)
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	if ready != nil {
		ready(d)
	}
	go func() {
		defer close(d.done)
		if err := d.client.Run(ctx); err != nil {
			log.Error("ads client stopped", "error", err)
		}
	}()
	log.Info("dynamic resources started", "ads_cluster", b.dyn.ADSCluster, "target", cfg.Target, "delta", cfg.Delta,
		"lds", sourceName(cfg.LDS), "cds", sourceName(cfg.CDS))
	return d, nil
}

// sourceName describes an LDS or CDS source for logs.
func sourceName(f *xds.FileSource) string {
	if f == nil {
		return "ads"
	}
	return f.Path
}

// Stop ends the ADS client and waits for it. It may be called on nil.
func (d *dynamicConfig) Stop() {
	if d == nil {
		return
	}
	d.cancel()
	<-d.done
}

// ApplyXDS implements xds.Applier.
func (d *dynamicConfig) ApplyXDS(u *xds.Update) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	snap := d.merge(d.static, u)
	if err := d.srv.Apply(context.Background(), snap); err != nil {
		return err
	}
	d.last = u
	d.stats.setListeners(u.Listeners)
	d.log.Info("applied ads update", "version", snap.Version, "changed", u.Changed,
		"dynamic_listeners", len(u.Listeners), "dynamic_clusters", len(u.Clusters))
	return nil
}

// reload replaces the static part with b's snapshot and re-applies it
// merged with the last update. The dynamic sources themselves cannot
// change on reload.
func (d *dynamicConfig) reload(b *loaded) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if b.dyn == nil || !sameSources(*b.dyn, d.sources) {
		return errors.New("reload: dynamic_resources changed; restart sidewire to change them")
	}
	if d.sources.ADSCluster != "" {
		oldT, _ := d.static.ADSTarget()
		newT, _ := b.snap.ADSTarget()
		if oldT != newT {
			return errors.New("reload: the ADS cluster's endpoint changed; restart sidewire to change it")
		}
	}
	merged := d.merge(b.snap, d.last)
	if err := d.srv.Apply(context.Background(), merged); err != nil {
		return err
	}
	d.static = b.snap
	return nil
}

func sameSources(a, b xds.DynamicResources) bool {
	eq := func(x, y *xds.FileSource) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.ADSCluster == b.ADSCluster && a.Delta == b.Delta && eq(a.LDS, b.LDS) && eq(a.CDS, b.CDS) &&
		slices.Equal(a.StaticSecrets, b.StaticSecrets)
}

// merge returns static plus u's resources (see dynamicConfig). u may be
// nil.
func (d *dynamicConfig) merge(static *config.Snapshot, u *xds.Update) *config.Snapshot {
	if u == nil {
		return static
	}
	dyn := u.Snapshot(static.Node)
	out := *static
	out.Version = static.Version + "+" + dyn.Version
	out.Listeners = slices.Clone(static.Listeners)
	for _, l := range dyn.Listeners {
		if static.Listener(l.Name) != nil {
			d.log.Warn("ads listener ignored: a static listener has its name", "listener", l.Name)
			continue
		}
		out.Listeners = append(out.Listeners, l)
	}
	out.Clusters = slices.Clone(static.Clusters)
	for _, c := range dyn.Clusters {
		if static.Cluster(c.Name) != nil {
			d.log.Warn("ads cluster ignored: a static cluster has its name", "cluster", c.Name)
			continue
		}
		out.Clusters = append(out.Clusters, c)
	}
	out.Secrets = dyn.Secrets
	if len(static.Secrets) > 0 {
		// static_resources.secrets serve the static listeners.
		out.Secrets = make(map[string]*config.Secret, len(static.Secrets)+len(dyn.Secrets))
		maps.Copy(out.Secrets, dyn.Secrets)
		for n, s := range static.Secrets {
			if dyn.Secrets[n] != nil {
				d.log.Warn("ads secret ignored: a static secret has its name", "secret", n)
			}
			out.Secrets[n] = s
		}
	}
	out.DubboRoutes = dyn.DubboRoutes
	out.HTTPRoutes = dyn.HTTPRoutes
	return &out
}

// adsDial dials the control plane over TLS when the ADS cluster has an
// upstream TLS context (inline or static_resources.secrets material);
// nil leaves the client's plaintext default.
func adsDial(snap *config.Snapshot) (func(context.Context, string) (*grpc.ClientConn, error), error) {
	c := snap.Cluster(snap.ADS.Cluster)
	if c == nil || c.TLS == nil {
		return nil, nil
	}
	store := tlsctx.NewStore()
	if err := store.Replace(snap.Secrets); err != nil {
		return nil, err
	}
	tc, err := cluster.TLSConfig(c.TLS, store)
	if err != nil {
		return nil, fmt.Errorf("ads cluster %q: %w", c.Name, err)
	}
	return func(_ context.Context, target string) (*grpc.ClientConn, error) {
		return grpc.NewClient(target, grpc.WithTransportCredentials(credentials.NewTLS(tc)))
	}, nil
}
