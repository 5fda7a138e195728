package cluster

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

// fastOD ejects after n consecutive failures for 50ms, swept every 10ms.
func fastOD(n uint32) *config.OutlierDetection {
	return &config.OutlierDetection{
		Consecutive5xx:                         n,
		ConsecutiveLocalOriginFailure:          n,
		Interval:                               10 * time.Millisecond,
		BaseEjectionTime:                       50 * time.Millisecond,
		MaxEjectionTime:                        time.Second,
		MaxEjectionPercent:                     100,
		EnforcingConsecutive5xx:                100,
		EnforcingConsecutiveLocalOriginFailure: 100,
	}
}

func TestOutlierEjectsRefusingHostAndReturnsIt(t *testing.T) {
	e := newEnv(t, nil)
	live := startServer(t, holdOpen)
	dead := refusedAddr(t)
	cfg := staticCluster("od", config.RoundRobin, live.addr, dead)
	cfg.OutlierDetection = fastOD(3)
	// Long enough to observe the ejection on a loaded machine.
	cfg.OutlierDetection.BaseEjectionTime = 300 * time.Millisecond
	e.update(t, cfg)
	c := e.cluster(t, "od")
	deadHost := hostByAddr(c, dead)

	fails := 0
	for i := 0; fails < 3 && i < 20; i++ {
		up, err := c.Connect(context.Background(), LBContext{})
		if err != nil {
			var ce *ConnectError
			if !errors.As(err, &ce) || ce.Host != deadHost {
				t.Fatalf("Connect error %v, want a connect failure of %s", err, dead)
			}
			fails++
			continue
		}
		up.Close()
	}
	if fails != 3 {
		t.Fatalf("saw %d connect failures, want 3", fails)
	}
	if got := deadHost.HealthFlags(); got != "/failed_outlier_check" {
		t.Fatalf("health_flags = %q after 3 refused connects, want /failed_outlier_check", got)
	}
	s := e.scope("od").Sub("outlier_detection")
	if got := s.Counter("ejections_enforced_total").Value(); got != 1 {
		t.Errorf("ejections_enforced_total = %d, want 1", got)
	}
	if got := s.Counter("ejections_enforced_consecutive_5xx").Value(); got != 1 {
		t.Errorf("ejections_enforced_consecutive_5xx = %d, want 1", got)
	}
	if got := s.Counter("ejections_detected_consecutive_5xx").Value(); got != 1 {
		t.Errorf("ejections_detected_consecutive_5xx = %d, want 1", got)
	}
	if got := s.Gauge("ejections_active").Value(); got != 1 {
		t.Errorf("ejections_active = %d, want 1", got)
	}
	// Once the state is rebuilt, the ejected host is never picked.
	eventually(t, 2*time.Second, "ejected host out of the picker", func() error {
		for range 20 {
			if h, _ := c.Pick(LBContext{}); h == deadHost {
				return fmt.Errorf("ejected host picked")
			}
		}
		return nil
	})
	if got := e.gauge("od", "membership_healthy"); got != 1 {
		t.Errorf("membership_healthy = %d, want 1", got)
	}
	// After the ejection time a sweep returns it.
	eventually(t, 2*time.Second, "host to return", wantFlags(deadHost, "healthy"))
	eventually(t, time.Second, "ejections_active 0", func() error {
		if got := s.Gauge("ejections_active").Value(); got != 0 {
			return fmt.Errorf("ejections_active = %d", got)
		}
		return nil
	})
	eventually(t, time.Second, "host back in the picker", func() error {
		for range 20 {
			if h, _ := c.Pick(LBContext{}); h == deadHost {
				return nil
			}
		}
		return fmt.Errorf("returned host never picked")
	})
}

func TestOutlierSuccessResetsCount(t *testing.T) {
	e := newEnv(t, nil)
	cfg := staticCluster("reset", config.RoundRobin, refusedAddr(t))
	cfg.OutlierDetection = fastOD(3)
	e.update(t, cfg)
	h := e.cluster(t, "reset").Hosts()[0]
	for range 5 {
		h.ReportFailure(false)
		h.ReportFailure(false)
		h.ReportSuccess()
	}
	if got := h.HealthFlags(); got != "healthy" {
		t.Fatalf("health_flags = %q after failures interleaved with successes, want healthy", got)
	}
	if st := h.Stats(); st.RqSuccess != 5 || st.RqError != 10 {
		t.Fatalf("host stats %+v, want 5 successes 10 errors", st)
	}
	h.ReportFailure(false)
	h.ReportFailure(false)
	h.ReportFailure(false)
	if got := h.HealthFlags(); got != "/failed_outlier_check" {
		t.Fatalf("health_flags = %q after 3 consecutive failures", got)
	}
}

func TestOutlierSplitLocalOrigin(t *testing.T) {
	e := newEnv(t, nil)
	cfg := staticCluster("split", config.RoundRobin, refusedAddr(t), refusedAddr(t))
	od := fastOD(3)
	od.SplitExternalLocalOriginErrors = true
	od.ConsecutiveLocalOriginFailure = 2
	od.BaseEjectionTime = time.Hour
	cfg.OutlierDetection = od
	e.update(t, cfg)
	hs := e.cluster(t, "split").Hosts()
	a, b := hs[0], hs[1]

	// External failures do not count towards the local-origin threshold
	// and vice versa.
	a.ReportFailure(false)
	a.ReportFailure(false)
	a.ReportFailure(true)
	a.ReportSuccess() // external success: resets the external count only
	if a.HealthFlags() != "healthy" {
		t.Fatalf("host a %q, want healthy", a.HealthFlags())
	}
	a.ReportFailure(true)
	if a.HealthFlags() != "/failed_outlier_check" {
		t.Fatalf("host a %q after 2 local-origin failures, want ejected", a.HealthFlags())
	}
	s := e.scope("split").Sub("outlier_detection")
	if got := s.Counter("ejections_enforced_consecutive_local_origin_failure").Value(); got != 1 {
		t.Errorf("ejections_enforced_consecutive_local_origin_failure = %d, want 1", got)
	}
	for range 3 {
		b.ReportFailure(false)
	}
	if b.HealthFlags() != "/failed_outlier_check" {
		t.Fatalf("host b %q after 3 external failures, want ejected", b.HealthFlags())
	}
	if got := s.Counter("ejections_enforced_consecutive_5xx").Value(); got != 1 {
		t.Errorf("ejections_enforced_consecutive_5xx = %d, want 1", got)
	}
}

func TestOutlierMaxEjectionPercent(t *testing.T) {
	e := newEnv(t, nil)
	cfg := staticCluster("pct", config.RoundRobin, refusedAddr(t), refusedAddr(t), refusedAddr(t))
	od := fastOD(1)
	od.MaxEjectionPercent = 10
	od.BaseEjectionTime = time.Hour
	cfg.OutlierDetection = od
	e.update(t, cfg)
	for _, h := range e.cluster(t, "pct").Hosts() {
		h.ReportFailure(false)
	}
	ejected := 0
	for _, h := range e.cluster(t, "pct").Hosts() {
		if h.HealthFlags() == "/failed_outlier_check" {
			ejected++
		}
	}
	// 10% of 3 hosts rounds to none, but one host may always be ejected.
	if ejected != 1 {
		t.Fatalf("%d hosts ejected, want exactly 1", ejected)
	}
	s := e.scope("pct").Sub("outlier_detection")
	if got := s.Counter("ejections_overflow").Value(); got != 2 {
		t.Errorf("ejections_overflow = %d, want 2", got)
	}
	if got := s.Counter("ejections_detected_consecutive_5xx").Value(); got != 3 {
		t.Errorf("ejections_detected_consecutive_5xx = %d, want 3", got)
	}
}

func TestOutlierNotEnforced(t *testing.T) {
	e := newEnv(t, nil)
	cfg := staticCluster("noenf", config.RoundRobin, refusedAddr(t))
	od := fastOD(2)
	od.EnforcingConsecutive5xx = 0
	cfg.OutlierDetection = od
	e.update(t, cfg)
	h := e.cluster(t, "noenf").Hosts()[0]
	for range 4 {
		h.ReportFailure(false)
	}
	if h.HealthFlags() != "healthy" {
		t.Fatalf("host %q with enforcing 0, want healthy", h.HealthFlags())
	}
	s := e.scope("noenf").Sub("outlier_detection")
	if d, enf := s.Counter("ejections_detected_consecutive_5xx").Value(), s.Counter("ejections_enforced_total").Value(); d != 2 || enf != 0 {
		t.Fatalf("detected %d enforced %d, want 2 and 0", d, enf)
	}
}

func TestOutlierEjectionTimeGrows(t *testing.T) {
	e := newEnv(t, nil)
	cfg := staticCluster("grow", config.RoundRobin, refusedAddr(t))
	od := fastOD(1)
	od.BaseEjectionTime = 60 * time.Millisecond
	od.MaxEjectionTime = 100 * time.Millisecond
	cfg.OutlierDetection = od
	e.update(t, cfg)
	c := e.cluster(t, "grow")
	h := c.Hosts()[0]
	// eject ejects h and returns how long it stayed out and the ejection
	// multiplier it was ejected with.
	eject := func() (time.Duration, uint32) {
		start := time.Now()
		h.ReportFailure(false)
		if h.HealthFlags() != "/failed_outlier_check" {
			t.Fatalf("not ejected: %q", h.HealthFlags())
		}
		c.od.mu.Lock()
		n := h.outlier.numEjections
		c.od.mu.Unlock()
		eventually(t, 2*time.Second, "return", wantFlags(h, "healthy"))
		return time.Since(start), n
	}
	d1, n1 := eject()
	if n1 != 1 || d1 < 60*time.Millisecond {
		t.Fatalf("first ejection: multiplier %d for %v, want 1 and >= 60ms", n1, d1)
	}
	// Ejected again right away: the multiplier grows (unless the machine
	// was so slow that a base ejection time passed in between), and the
	// time is capped by max_ejection_time.
	d2, n2 := eject()
	want := min(time.Duration(n2)*60*time.Millisecond, 100*time.Millisecond)
	if d2 < want {
		t.Fatalf("second ejection with multiplier %d lasted %v, want >= %v", n2, d2, want)
	}
	if n2 != 2 {
		t.Logf("multiplier %d on the second ejection (decayed on a slow machine)", n2)
	}
}
