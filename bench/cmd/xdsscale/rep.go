package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/server"
	"github.com/sidewire/sidewire/xds"
)

// repResult holds one repetition's figures.
type repResult struct {
	// wall times from push to applied, and the CPU time this process
	// used meanwhile, by step.
	wall, cpu       map[string]time.Duration
	rss, hwm, rssGC uint64 // bytes
	heapGC          uint64 // bytes of live heap objects after GC
}

// runRep starts a fresh Sidewire on its own node, pushes the full
// snapshot and then each update, timing and checking each.
func runRep(cp controlPlane, o options, rep int) (repResult, error) {
	r := repResult{wall: map[string]time.Duration{}, cpu: map[string]time.Duration{}}
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	node := fmt.Sprintf("xdsscale-%d-%d", os.Getpid(), rep)
	p := startProxy(cp.Addr(), node, o.delta, o.deferStats, o.trace)
	defer p.Close()
	// Listeners and clusters are subscribed to first; EDS follows CDS.
	if err := cp.WaitWatches(node, 2, o.delta); err != nil {
		return r, err
	}
	var err error
	if err = push(cp, p, o, rep, node, stepFull, &r, fullyApplied(o.scale)); err != nil {
		return r, err
	}
	if err := checkFull(p.srv, o.scale); err != nil {
		return r, err
	}
	if r.rss, r.hwm, err = readRSS(); err != nil {
		return r, err
	}
	debug.FreeOSMemory() // a GC, and the freed memory back to the OS
	if r.rssGC, _, err = readRSS(); err != nil {
		return r, err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.heapGC = ms.HeapAlloc
	if rep == 0 && o.heapProfile != "" {
		if err := writeHeapProfile(o.heapProfile); err != nil {
			return r, err
		}
	}

	changed := changedClusters(o.scale)
	if err = push(cp, p, o, rep, node, stepEDSN, &r, endpointsAt(changed, basePort+1)); err != nil {
		return r, err
	}
	if err := checkPorts(p.srv, o.scale, changed, basePort+1); err != nil {
		return r, err
	}
	one := []int{eds1Cluster(o.scale)}
	if err = push(cp, p, o, rep, node, stepEDS1, &r, endpointsAt(one, basePort+2)); err != nil {
		return r, err
	}
	if err := checkPorts(p.srv, o.scale, one, basePort+2); err != nil {
		return r, err
	}
	if err = push(cp, p, o, rep, node, stepCDS1, &r, timeoutIs(clusterName(cds1Cluster(o.scale)), cds1Timeout)); err != nil {
		return r, err
	}
	if err := checkTimeout(p.srv, o.scale, cds1Cluster(o.scale), cds1Timeout); err != nil {
		return r, err
	}
	return r, nil
}

// push publishes step and records in r the time until Sidewire applied
// an update satisfying ok, and the CPU time it used meanwhile.
func push(cp controlPlane, p *proxy, o options, rep int, node, step string, r *repResult, ok func(*xds.Update) bool) error {
	p.expect(ok)
	if rep == 0 && o.cpuProfile != "" && o.cpuStep == step {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	cpu0, start := cpuTime(), time.Now()
	if o.trace {
		fmt.Fprintf(os.Stderr, "%s push %s\n", start.Format("15:04:05.000"), step)
	}
	if err := cp.Push(node, step); err != nil {
		return err
	}
	at, err := p.wait(o.timeout)
	if err != nil {
		return fmt.Errorf("step %s: %w", step, err)
	}
	r.cpu[step] = cpuTime() - cpu0
	r.wall[step] = at.Sub(start)
	return nil
}

// fullyApplied matches the update holding every listener, every cluster
// and every assignment.
func fullyApplied(sc scale) func(*xds.Update) bool {
	return func(u *xds.Update) bool {
		if len(u.Listeners) != sc.Listeners || len(u.Clusters) != sc.Clusters || len(u.Endpoints) != sc.Clusters {
			return false
		}
		for _, c := range u.Clusters {
			if endpointCount(c.LoadAssignment) != sc.EndpointsPerCluster {
				return false
			}
		}
		return true
	}
}

func endpointCount(la *config.LoadAssignment) int {
	if la == nil {
		return 0
	}
	n := 0
	for _, l := range la.Localities {
		n += len(l.Endpoints)
	}
	return n
}

// endpointsAt matches an update in which the assignments of clusters
// have their endpoints on port.
func endpointsAt(clusters []int, port uint32) func(*xds.Update) bool {
	return func(u *xds.Update) bool {
		for _, i := range clusters {
			la := u.Endpoints[clusterName(i)]
			if la == nil || len(la.Localities) == 0 || len(la.Localities[0].Endpoints) == 0 || la.Localities[0].Endpoints[0].Address.Port != port {
				return false
			}
		}
		return true
	}
}

func timeoutIs(name string, d time.Duration) func(*xds.Update) bool {
	return func(u *xds.Update) bool {
		for _, c := range u.Clusters {
			if c.Name == name {
				return c.ConnectTimeout == d
			}
		}
		return false
	}
}

// checkFull checks the server's state after the full push: every
// listener bound to a port of its own, every cluster with its endpoints.
func checkFull(srv *server.Server, sc scale) error {
	ls := srv.Listeners()
	if len(ls) != sc.Listeners {
		return fmt.Errorf("check: %d listeners running, want %d", len(ls), sc.Listeners)
	}
	ports := map[int]string{}
	for name, l := range ls {
		a := l.Addr()
		if a == nil || a.Port == 0 || !a.IP.IsLoopback() {
			return fmt.Errorf("check: listener %s bound to %v", name, a)
		}
		if other, dup := ports[a.Port]; dup {
			return fmt.Errorf("check: listeners %s and %s share port %d", name, other, a.Port)
		}
		ports[a.Port] = name
	}
	return checkPorts(srv, sc, nil, 0)
}

// checkPorts checks every cluster has its endpoints, on port for the
// clusters listed.
func checkPorts(srv *server.Server, sc scale, clusters []int, port uint32) error {
	all := srv.Clusters().All()
	if len(all) != sc.Clusters {
		return fmt.Errorf("check: %d clusters running, want %d", len(all), sc.Clusters)
	}
	for _, c := range all {
		if h := c.Hosts(); len(h) != sc.EndpointsPerCluster || !c.Warm() {
			return fmt.Errorf("check: cluster %s has %d hosts (warm %v), want %d", c.Name(), len(h), c.Warm(), sc.EndpointsPerCluster)
		}
	}
	for _, i := range clusters {
		c := srv.Clusters().Get(clusterName(i))
		for _, h := range c.Hosts() {
			if h.Address().Port != port {
				return fmt.Errorf("check: cluster %s host %s, want port %d", c.Name(), h, port)
			}
		}
	}
	return nil
}

func checkTimeout(srv *server.Server, sc scale, i int, d time.Duration) error {
	c := srv.Clusters().Get(clusterName(i))
	if c == nil || c.Config().ConnectTimeout != d {
		return fmt.Errorf("check: cluster %s connect timeout not %v", clusterName(i), d)
	}
	return checkPorts(srv, sc, nil, 0)
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	return nil
}

// cpuTime is the user and system CPU time of this process so far: with
// the control plane in a child process, Sidewire's own (GC included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
