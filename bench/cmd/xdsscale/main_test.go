package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
)

// TestMain lets the test binary serve as the control plane child, as
// the benchmark's own binary does.
func TestMain(m *testing.M) {
	if os.Getenv(cpEnv) != "" {
		o, err := parseFlags(os.Args[1:])
		if err != nil {
			os.Exit(2)
		}
		os.Exit(childMain(o))
	}
	os.Exit(m.Run())
}

// TestRunSmall runs the whole benchmark at a small scale, both
// protocols, the control plane in a child process and in process: every
// step must be applied and checked, and the table must hold every
// measure.
func TestRunSmall(t *testing.T) {
	for _, tc := range []struct {
		delta   bool
		cp, eds string
	}{
		{false, "process", edsSnapshot}, {true, "process", edsSnapshot}, {false, "inproc", edsSnapshot}, {true, "inproc", edsSnapshot},
		{false, "process", edsLinear}, {true, "inproc", edsLinear},
	} {
		delta := tc.delta
		var out bytes.Buffer
		o := options{
			scale: scale{Clusters: 40, EndpointsPerCluster: 3, Listeners: 8, Changed: 4, EDSCache: tc.eds},
			delta: delta, reps: 2, cp: tc.cp, timeout: 20 * time.Second,
		}
		if err := run(o, &out); err != nil {
			t.Fatalf("run (delta %v): %v", delta, err)
		}
		rows := 0
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| measure") {
				rows++
			}
		}
		if rows != 12 {
			t.Errorf("delta %v: %d table rows, want 12:\n%s", delta, rows, out.String())
		}
		for _, want := range []string{"full apply", "VmRSS after GC", "4 assignments (12 endpoints)", "CDS update, 1 cluster"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("delta %v: output lacks %q:\n%s", delta, want, out.String())
			}
		}
	}
}

func TestBuildSnapshotsChangesOnlyTheirType(t *testing.T) {
	sc := scale{Clusters: 20, EndpointsPerCluster: 2, Listeners: 5, Changed: 3}
	snaps, err := buildSnapshots(sc)
	if err != nil {
		t.Fatal(err)
	}
	full := snaps[stepFull]
	for _, tc := range []struct {
		step          string
		lds, cds, eds string
	}{
		{stepFull, "1", "1", "1"},
		{stepEDSN, "1", "1", "2"},
		{stepEDS1, "1", "1", "3"},
		{stepCDS1, "1", "2", "3"},
	} {
		s := snaps[tc.step]
		for _, v := range []struct {
			typ  types.ResponseType
			want string
		}{{types.Listener, tc.lds}, {types.Cluster, tc.cds}, {types.Endpoint, tc.eds}} {
			if got := s.Resources[v.typ].Version; got != v.want {
				t.Errorf("%s: type %d version %q, want %q", tc.step, v.typ, got, v.want)
			}
			if len(s.Resources[v.typ].Items) != len(full.Resources[v.typ].Items) {
				t.Errorf("%s: type %d has %d resources, the full snapshot %d", tc.step, v.typ, len(s.Resources[v.typ].Items), len(full.Resources[v.typ].Items))
			}
		}
	}
	if _, err := buildSnapshots(scale{Clusters: 2, EndpointsPerCluster: 1, Listeners: 3, Changed: 1}); err == nil {
		t.Error("more listeners than clusters: no error")
	}
}

func TestParseStatus(t *testing.T) {
	rss, hwm, err := parseStatus([]byte("Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n"))
	if err != nil || rss != 1<<20 || hwm != 2<<20 {
		t.Errorf("parseStatus = %d, %d, %v; want 1 MiB, 2 MiB", rss, hwm, err)
	}
	if _, _, err := parseStatus([]byte("VmRSS: 1 kB\n")); err == nil {
		t.Error("parseStatus without VmHWM: no error")
	}
	if _, _, err := parseStatus([]byte("VmRSS: x kB\nVmHWM: 1 kB\n")); err == nil {
		t.Error("parseStatus with a bad number: no error")
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{1, 2, 9}, 2},
		{[]float64{1, 2, 4, 9}, 3},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-clusters", "7", "-delta", "-reps", "3"})
	if err != nil || o.Clusters != 7 || !o.delta || o.reps != 3 || o.Listeners != 1000 || o.cp != "process" {
		t.Errorf("parseFlags = %+v, %v", o, err)
	}
	if _, err := parseFlags([]string{"extra"}); err == nil {
		t.Error("parseFlags with a stray argument: no error")
	}
}
