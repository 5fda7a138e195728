package xds

import (
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sidewire/sidewire/proxy/config"
)

// Envoy's outlier detection defaults.
const (
	defaultConsecutiveFailures = 5
	defaultEjectionInterval    = 10 * time.Second
	defaultBaseEjectionTime    = 30 * time.Second
	defaultMaxEjectionTime     = 300 * time.Second
	defaultMaxEjectionPercent  = 10
	defaultEnforcing           = 100
)

// outlierDetection translates the consecutive-failure detectors. The
// success-rate, failure-percentage and gateway-failure detectors are not
// implemented: their enforcing_* fields may only be 0 (disabled).
func (t *translator) outlierDetection(path string, od *clusterv3.OutlierDetection) *config.OutlierDetection {
	if od == nil {
		return nil
	}
	out := &config.OutlierDetection{
		Consecutive5xx:                         uint32Or(od.GetConsecutive_5Xx(), defaultConsecutiveFailures),
		SplitExternalLocalOriginErrors:         od.GetSplitExternalLocalOriginErrors(),
		ConsecutiveLocalOriginFailure:          uint32Or(od.GetConsecutiveLocalOriginFailure(), defaultConsecutiveFailures),
		Interval:                               t.duration(field(path, "interval"), od.GetInterval(), defaultEjectionInterval),
		BaseEjectionTime:                       t.duration(field(path, "base_ejection_time"), od.GetBaseEjectionTime(), defaultBaseEjectionTime),
		MaxEjectionTime:                        t.duration(field(path, "max_ejection_time"), od.GetMaxEjectionTime(), defaultMaxEjectionTime),
		MaxEjectionPercent:                     uint32Or(od.GetMaxEjectionPercent(), defaultMaxEjectionPercent),
		EnforcingConsecutive5xx:                uint32Or(od.GetEnforcingConsecutive_5Xx(), defaultEnforcing),
		EnforcingConsecutiveLocalOriginFailure: uint32Or(od.GetEnforcingConsecutiveLocalOriginFailure(), defaultEnforcing),
	}
	if out.MaxEjectionTime < out.BaseEjectionTime {
		t.errs.add(field(path, "max_ejection_time"), "%s is less than base_ejection_time %s", out.MaxEjectionTime, out.BaseEjectionTime)
	}
	for _, f := range []struct {
		name string
		v    *wrapperspb.UInt32Value
	}{
		{"enforcing_success_rate", od.GetEnforcingSuccessRate()},
		{"enforcing_consecutive_gateway_failure", od.GetEnforcingConsecutiveGatewayFailure()},
		{"enforcing_local_origin_success_rate", od.GetEnforcingLocalOriginSuccessRate()},
		{"enforcing_failure_percentage", od.GetEnforcingFailurePercentage()},
		{"enforcing_failure_percentage_local_origin", od.GetEnforcingFailurePercentageLocalOrigin()},
	} {
		if f.v.GetValue() != 0 {
			t.errs.add(field(path, f.name), "only 0 is supported: this detector is not implemented")
		}
	}
	if u := od.GetSuccessfulActiveHealthCheckUnejectHost(); u != nil && !u.GetValue() {
		t.errs.add(field(path, "successful_active_health_check_uneject_host"), "only true (the default) is supported")
	}
	return out
}
