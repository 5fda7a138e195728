package xds

import (
	"bytes"
	"encoding/hex"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// healthChecks translates active health checks; only tcp_health_check is
// supported. Envoy's validation rules already require timeout, interval
// and both thresholds.
func (t *translator) healthChecks(path string, hcs []*corev3.HealthCheck) []config.HealthCheck {
	var out []config.HealthCheck
	for i, hc := range hcs {
		p := index(path, i)
		if rc := hc.GetReuseConnection(); rc != nil && !rc.GetValue() {
			t.errs.add(field(p, "reuse_connection"), "only true (the default) is supported")
		}
		tcp := hc.GetTcpHealthCheck()
		if tcp == nil {
			// Another checker (rejected by the allow-list) or none (a
			// validation rule violation): already reported.
			continue
		}
		tp := field(p, "tcp_health_check")
		check := config.HealthCheck{
			Timeout:            t.duration(field(p, "timeout"), hc.GetTimeout(), 0),
			Interval:           t.duration(field(p, "interval"), hc.GetInterval(), 0),
			IntervalJitter:     t.duration(field(p, "interval_jitter"), hc.GetIntervalJitter(), 0),
			UnhealthyThreshold: hc.GetUnhealthyThreshold().GetValue(),
			HealthyThreshold:   hc.GetHealthyThreshold().GetValue(),
			NoTrafficInterval:  t.duration(field(p, "no_traffic_interval"), hc.GetNoTrafficInterval(), 0),
			TCP:                &config.TCPHealthCheck{},
		}
		if s := tcp.GetSend(); s != nil {
			check.TCP.Send = t.payload(field(tp, "send"), s)
		}
		for j, r := range tcp.GetReceive() {
			check.TCP.Receive = append(check.TCP.Receive, t.payload(index(field(tp, "receive"), j), r))
		}
		out = append(out, check)
	}
	return out
}

// payload decodes a health check payload: text is hex, binary is raw.
func (t *translator) payload(path string, p *corev3.HealthCheck_Payload) []byte {
	switch v := p.GetPayload().(type) {
	case *corev3.HealthCheck_Payload_Text:
		b, err := hex.DecodeString(v.Text)
		if err != nil {
			t.errs.add(field(path, "text"), "invalid hex: %v", err)
			return nil
		}
		return b
	case *corev3.HealthCheck_Payload_Binary:
		return bytes.Clone(v.Binary)
	}
	t.errs.add(path, "one of text, binary must be set")
	return nil
}
