package dubboproxy

import (
	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/telemetry"
)

// stats are Envoy's dubbo.<stat_prefix>.* stats. The stat prefix is
// tagged envoy_dubbo_prefix, so Prometheus sees one family per stat.
type stats struct {
	request, requestTwoWay, requestOneWay, requestEvent *telemetry.Counter
	requestDecodingError                                *telemetry.Counter
	response, responseSuccess, responseError            *telemetry.Counter
	responseBusinessException                           *telemetry.Counter
	localSuccess, localError, localBusinessException    *telemetry.Counter
	cxTotal, cxDrainClose                               *telemetry.Counter
	cxActive, requestActive                             *telemetry.Gauge
	requestTime                                         *telemetry.Histogram
	faultDelay, faultAbort, mirrored                    *telemetry.Counter
}

func newStats(root *telemetry.Scope, prefix string) *stats {
	s := root.Sub("dubbo").Tagged("envoy_dubbo_prefix", prefix)
	return &stats{
		request:                   s.Counter("request"),
		requestTwoWay:             s.Counter("request_twoway"),
		requestOneWay:             s.Counter("request_oneway"),
		requestEvent:              s.Counter("request_event"),
		requestDecodingError:      s.Counter("request_decoding_error"),
		response:                  s.Counter("response"),
		responseSuccess:           s.Counter("response_success"),
		responseError:             s.Counter("response_error"),
		responseBusinessException: s.Counter("response_business_exception"),
		localSuccess:              s.Counter("local_response_success"),
		localError:                s.Counter("local_response_error"),
		localBusinessException:    s.Counter("local_response_business_exception"),
		cxTotal:                   s.Counter("downstream_cx_total"),
		cxDrainClose:              s.Counter("downstream_cx_drain_close"),
		cxActive:                  s.Gauge("downstream_cx_active"),
		requestActive:             s.Gauge("request_active"),
		requestTime:               s.Histogram("request_time_ms", telemetry.Milliseconds),
		faultDelay:                s.Counter("fault.delays_injected"),
		faultAbort:                s.Counter("fault.aborts_injected"),
		mirrored:                  s.Counter("mirror.requests"),
	}
}

// outcome is how a request was answered.
type outcome struct {
	// local is true for replies the proxy wrote itself.
	local bool
	// answered is false for one-way requests (and two-way requests
	// whose client went away before an answer).
	answered bool
	// status is the Dubbo status byte of the answer.
	status dubbo.ResponseStatus
	// exception is an OK response carrying an exception.
	exception bool
}

// upstreamOutcome classifies a response from a provider.
func upstreamOutcome(a *codecs.Attributes) outcome {
	st := dubbo.ResponseStatus(a.Code)
	return outcome{answered: true, status: st, exception: st == dubbo.StatusOK && a.Status == codecs.StatusError}
}

// count records the response stats of an outcome.
func (s *stats) count(o outcome) {
	if !o.answered {
		return
	}
	if o.local {
		switch {
		case o.status != dubbo.StatusOK:
			s.localError.Inc()
		case o.exception:
			s.localBusinessException.Inc()
		default:
			s.localSuccess.Inc()
		}
		return
	}
	s.response.Inc()
	switch {
	case o.status != dubbo.StatusOK:
		s.responseError.Inc()
	case o.exception:
		s.responseBusinessException.Inc()
	default:
		s.responseSuccess.Inc()
	}
}
