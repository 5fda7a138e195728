package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
)

// Options configure a Server.
type Options struct {
	// Dir is the resource directory (see the package documentation).
	Dir string
	// Checks selects the validation: CheckSidewire (default) or CheckEnvoy.
	Checks Checks
	// Nodes, when not empty, are the only node ids served; streams of
	// other nodes are refused with PermissionDenied.
	Nodes []string
	// PollInterval is how often the directory is scanned for changes
	// (default 250ms). A change is loaded once the files stayed the same
	// for one interval, so a file caught half written is not reported.
	PollInterval time.Duration
	// TLS, when not nil, serves gRPC over TLS instead of plain text.
	TLS credentials.TransportCredentials
	// StopTimeout bounds the graceful stop of the gRPC server (default 5s).
	StopTimeout time.Duration
	// Logger receives load results and go-control-plane's messages
	// (default slog.Default()).
	Logger *slog.Logger
}

// Server is the embedded control plane: it serves the resources of a
// directory over ADS (state of the world and delta) and reloads them when
// the directory changes. Create it with New, run it with Serve.
type Server struct {
	opts  Options
	log   *slog.Logger
	cache cachev3.SnapshotCache

	reloadMu sync.Mutex // serializes Reload: a slower load never overwrites a newer one

	mu      sync.Mutex
	cfg     *Config
	streams map[streamKey]string // open stream -> node id
	refs    map[string]int       // node id -> open streams
	loaded  time.Time
	lastErr string

	scan   scanner // owned by the watcher once Serve runs
	digest string  // of the files last loaded, good or bad

	serving    atomic.Bool
	generation atomic.Int64 // published configurations
	rejected   atomic.Int64 // loads refused
	nacks      atomic.Int64 // requests with error_detail
}

// New loads opts.Dir once: a directory that does not load is an error
// (Load's, one *FileError per problem), as nothing could be served from
// it.
func New(opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("new control plane: no resource directory")
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 250 * time.Millisecond
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	var sc scanner
	digest, _ := sc.digest(opts.Dir) // before loading: a change in between reloads once more
	cfg, err := Load(opts.Dir, opts.Checks)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:    opts,
		log:     opts.Logger,
		cache:   cachev3.NewSnapshotCache(true, cachev3.IDHash{}, logAdapter{opts.Logger}),
		streams: map[streamKey]string{},
		refs:    map[string]int{},
		scan:    sc,
		digest:  digest,
	}
	s.publish(cfg)
	return s, nil
}

// Serve serves ADS on lis and watches the directory until ctx is done,
// then stops: open streams are ended (clients reconnect elsewhere or
// later), and the gRPC server stops gracefully within StopTimeout. It
// closes lis. Serve may be called once.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	if !s.serving.CompareAndSwap(false, true) {
		lis.Close()
		return errors.New("serve ads: already serving")
	}
	var gopts []grpc.ServerOption
	if s.opts.TLS != nil {
		gopts = append(gopts, grpc.Creds(s.opts.TLS))
	}
	gopts = append(gopts,
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
	)
	gs := grpc.NewServer(gopts...)
	xctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(gs, serverv3.NewServer(xctx, s.cache, s.callbacks()))

	wctx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.watch(wctx)
	}()
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()

	var err error
	select {
	case err = <-served:
		err = fmt.Errorf("serve ads: %w", err)
		gs.Stop()
	case <-ctx.Done():
		cancel() // ends every stream's loop
		stopped := make(chan struct{})
		go func() { gs.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(s.opts.StopTimeout):
			gs.Stop()
			<-stopped
		}
		<-served
	}
	stopWatch()
	<-watched
	return err
}

// Reload loads the directory now and publishes it when it is valid; the
// error says why not (the previous configuration stays). The watcher
// calls it on every change.
func (s *Server) Reload() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	cfg, err := Load(s.opts.Dir, s.opts.Checks)
	if err != nil {
		s.rejected.Add(1)
		s.mu.Lock()
		s.lastErr = err.Error()
		s.mu.Unlock()
		s.log.Error("resource directory rejected; still serving the last good configuration",
			"dir", s.opts.Dir, "generation", s.generation.Load(), "error", err)
		return err
	}
	s.publish(cfg)
	return nil
}

// publish makes cfg current and sets the snapshot of every connected
// node; go-control-plane sends each stream the types whose version
// changed.
func (s *Server) publish(cfg *Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg = cfg
	s.loaded = time.Now()
	s.lastErr = ""
	gen := s.generation.Add(1)
	for _, node := range slices.Sorted(maps.Keys(s.refs)) {
		s.setSnapshot(node)
	}
	s.log.Info("resources published", "dir", s.opts.Dir, "generation", gen, "files", cfg.files,
		"versions", cfg.Versions(""), "counts", cfg.Counts(""), "node_overrides", cfg.Nodes(),
		"connected_nodes", len(s.refs))
}

// setSnapshot gives node its snapshot of the current configuration.
// s.mu is held. SetSnapshot does not block: go-control-plane's watch
// channels have room for one response per type.
func (s *Server) setSnapshot(node string) {
	if err := s.cache.SetSnapshot(context.Background(), node, s.cfg.Snapshot(node)); err != nil {
		s.log.Error("set snapshot", "node", node, "error", err)
	}
}

// Config returns the configuration being served.
func (s *Server) Config() *Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}
