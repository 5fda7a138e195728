package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
)

// controlPlane serves the benchmark's snapshots over ADS.
type controlPlane interface {
	// Addr is the gRPC address.
	Addr() string
	// WaitWatches waits until node has opened watches for n types (its
	// first requests arrived), so that a push is answered at once.
	WaitWatches(node string, n int, delta bool) error
	// Push publishes the snapshot of step to node.
	Push(node, step string) error
	Close() error
}

// localCP is a go-control-plane ADS server (snapshot cache, ADS
// ordering) on 127.0.0.1 in this process.
//
// With the linear EDS cache, assignments are served by a LinearCache
// instead (muxed by type URL): it marshals each assignment once, when it
// is set, and answers a state-of-the-world EDS subscription with the
// assignments that changed since the client's last response, as the
// xDS protocol allows for every type but listeners and clusters. The
// snapshot cache marshals every assignment of every response.
type localCP struct {
	cache  cachev3.SnapshotCache
	linear *cachev3.LinearCache // nil with the snapshot EDS cache
	snaps  map[string]*cachev3.Snapshot
	// lastEDS holds the assignments last set in linear, by name.
	lastEDS map[string]types.Resource
	srv     *grpc.Server
	lis     net.Listener
	cancel  context.CancelFunc
	done    chan struct{}
}

// EDS caches of the control plane (-eds-cache).
const (
	edsSnapshot = "snapshot"
	edsLinear   = "linear"
)

var _ controlPlane = (*localCP)(nil)

func startLocalCP(sc scale, trace bool) (*localCP, error) {
	snaps, err := buildSnapshots(sc)
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen control plane: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cp := &localCP{cache: cachev3.NewSnapshotCache(true, cachev3.IDHash{}, nil), snaps: snaps, lis: lis, cancel: cancel, done: make(chan struct{})}
	var served cachev3.Cache = cp.cache
	switch sc.EDSCache {
	case edsSnapshot, "":
	case edsLinear:
		cp.linear = cachev3.NewLinearCache(resourcev3.EndpointType)
		classify := func(typeURL string) string {
			if typeURL == resourcev3.EndpointType {
				return edsLinear
			}
			return edsSnapshot
		}
		served = &cachev3.MuxCache{
			Classify:      func(r *cachev3.Request) string { return classify(r.GetTypeUrl()) },
			ClassifyDelta: func(r *cachev3.DeltaRequest) string { return classify(r.GetTypeUrl()) },
			Caches:        map[string]cachev3.Cache{edsSnapshot: cp.cache, edsLinear: cp.linear},
		}
	default:
		cancel()
		lis.Close()
		return nil, fmt.Errorf("-eds-cache must be %s or %s, not %q", edsSnapshot, edsLinear, sc.EDSCache)
	}
	// Responses of 10,000 resources can exceed gRPC's default 4 MiB.
	cp.srv = grpc.NewServer(grpc.MaxSendMsgSize(maxMsgSize))
	var cb serverv3.Callbacks
	if trace {
		trace := func(what, typ string, n int) {
			fmt.Fprintf(os.Stderr, "%s cp %s %s (%d)\n", time.Now().Format("15:04:05.000"), what, typ[strings.LastIndex(typ, ".")+1:], n)
		}
		cb = serverv3.CallbackFuncs{
			StreamRequestFunc: func(_ int64, r *discoveryv3.DiscoveryRequest) error {
				trace("request", r.GetTypeUrl(), len(r.GetResourceNames()))
				return nil
			},
			StreamResponseFunc: func(_ context.Context, _ int64, _ *discoveryv3.DiscoveryRequest, r *discoveryv3.DiscoveryResponse) {
				trace("response", r.GetTypeUrl(), len(r.GetResources()))
			},
			StreamDeltaRequestFunc: func(_ int64, r *discoveryv3.DeltaDiscoveryRequest) error {
				trace("delta request", r.GetTypeUrl(), len(r.GetResourceNamesSubscribe()))
				return nil
			},
			StreamDeltaResponseFunc: func(_ int64, _ *discoveryv3.DeltaDiscoveryRequest, r *discoveryv3.DeltaDiscoveryResponse) {
				trace("delta response", r.GetTypeUrl(), len(r.GetResources()))
			},
		}
	}
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(cp.srv, serverv3.NewServer(ctx, served, cb))
	go func() {
		defer close(cp.done)
		_ = cp.srv.Serve(lis)
	}()
	return cp, nil
}

// maxMsgSize bounds one ADS message both ways.
const maxMsgSize = 256 << 20

func (cp *localCP) Addr() string { return cp.lis.Addr().String() }

func (cp *localCP) WaitWatches(node string, n int, delta bool) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if info := cp.cache.GetStatusInfo(node); info != nil {
			got := info.GetNumWatches()
			if delta {
				got = info.GetNumDeltaWatches()
			}
			if got >= n {
				return nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("wait for watches of node %q: none within 30s", node)
}

func (cp *localCP) Push(node, step string) error {
	s := cp.snaps[step]
	if s == nil {
		return fmt.Errorf("push %s: unknown step", step)
	}
	if err := cp.cache.SetSnapshot(context.Background(), node, s); err != nil {
		return fmt.Errorf("push %s to %s: %w", step, node, err)
	}
	if cp.linear != nil {
		cp.pushLinear(s)
	}
	return nil
}

// pushLinear sets the assignments of s that differ from those set last
// in the linear cache, which tells the watches of each one changed.
func (cp *localCP) pushLinear(s *cachev3.Snapshot) {
	items := s.Resources[types.Endpoint].Items
	if cp.lastEDS == nil {
		all := make(map[string]types.Resource, len(items))
		for n, r := range items {
			all[n] = r.Resource
		}
		cp.linear.SetResources(all)
		cp.lastEDS = all
		return
	}
	changed := map[string]types.Resource{}
	for n, r := range items {
		if cp.lastEDS[n] != r.Resource {
			changed[n] = r.Resource
			cp.lastEDS[n] = r.Resource
		}
	}
	var gone []string
	for n := range cp.lastEDS {
		if _, ok := items[n]; !ok {
			gone = append(gone, n)
			delete(cp.lastEDS, n)
		}
	}
	if len(changed) > 0 || len(gone) > 0 {
		// Only fails for resources of another type.
		_ = cp.linear.UpdateResources(changed, gone)
	}
}

func (cp *localCP) Close() error {
	cp.srv.Stop()
	cp.cancel()
	<-cp.done
	return nil
}

// The control plane child: the benchmark runs itself again with
// cpEnv set, and the child serves a localCP and obeys line commands on
// stdin ("wait NODE N sotw|delta", "push NODE STEP"), answering each with
// "ok" or "error: ..." on stdout. So the parent's RSS is Sidewire's own.
const cpEnv = "SIDEWIRE_XDSSCALE_CONTROL_PLANE"

// runChild is the child's main loop; it returns when stdin closes.
func runChild(sc scale, trace bool, in io.Reader, out io.Writer) error {
	cp, err := startLocalCP(sc, trace)
	if err != nil {
		return err
	}
	defer cp.Close()
	if _, err := fmt.Fprintf(out, "ready %s\n", cp.Addr()); err != nil {
		return fmt.Errorf("write ready: %w", err)
	}
	r := bufio.NewScanner(in)
	for r.Scan() {
		f := strings.Fields(r.Text())
		var err error
		switch {
		case len(f) == 4 && f[0] == "wait":
			var n int
			if _, err = fmt.Sscan(f[2], &n); err == nil {
				err = cp.WaitWatches(f[1], n, f[3] == "delta")
			}
		case len(f) == 3 && f[0] == "push":
			err = cp.Push(f[1], f[2])
		default:
			err = fmt.Errorf("unknown command %q", r.Text())
		}
		reply := "ok"
		if err != nil {
			reply = "error: " + err.Error()
		}
		if _, err := fmt.Fprintln(out, reply); err != nil {
			return fmt.Errorf("write reply: %w", err)
		}
	}
	return r.Err()
}

// childCP drives a control plane child process.
type childCP struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	addr string
}

var _ controlPlane = (*childCP)(nil)

func startChildCP(sc scale, trace bool) (*childCP, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start control plane: %w", err)
	}
	cmd := exec.Command(exe,
		"-clusters", fmt.Sprint(sc.Clusters), "-endpoints-per-cluster", fmt.Sprint(sc.EndpointsPerCluster),
		"-listeners", fmt.Sprint(sc.Listeners), "-changed", fmt.Sprint(sc.Changed), "-eds-cache", sc.EDSCache,
		fmt.Sprintf("-trace=%v", trace))
	cmd.Env = append(os.Environ(), cpEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start control plane: %w", err)
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start control plane: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start control plane: %w", err)
	}
	c := &childCP{cmd: cmd, in: in, out: bufio.NewReader(outp)}
	line, err := c.out.ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ready ")
	if err != nil || !ok {
		_ = c.Close()
		return nil, fmt.Errorf("start control plane: got %q, %v", line, err)
	}
	c.addr = addr
	return c, nil
}

func (c *childCP) Addr() string { return c.addr }

func (c *childCP) call(cmd string) error {
	if _, err := fmt.Fprintln(c.in, cmd); err != nil {
		return fmt.Errorf("control plane %q: %w", cmd, err)
	}
	line, err := c.out.ReadString('\n')
	if err != nil {
		return fmt.Errorf("control plane %q: %w", cmd, err)
	}
	if line = strings.TrimSpace(line); line != "ok" {
		return fmt.Errorf("control plane %q: %s", cmd, line)
	}
	return nil
}

func (c *childCP) WaitWatches(node string, n int, delta bool) error {
	mode := "sotw"
	if delta {
		mode = "delta"
	}
	return c.call(fmt.Sprintf("wait %s %d %s", node, n, mode))
}

func (c *childCP) Push(node, step string) error { return c.call("push " + node + " " + step) }

// Close ends the child (its stdin closes) and waits for it.
func (c *childCP) Close() error {
	_ = c.in.Close()
	err := c.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Errorf("control plane exited: %w", err)
	}
	return err
}
