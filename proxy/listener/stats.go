package listener

import "github.com/sidewire/sidewire/telemetry"

// stats are Envoy's per-listener stats (listener.<address>.*).
type stats struct {
	cxTotal, cxDestroy, noChainMatch  *telemetry.Counter
	preCxTimeout, listenerFilterError *telemetry.Counter
	sslHandshake, sslConnError        *telemetry.Counter
	cxActive, preCxActive             *telemetry.Gauge
	cxLength                          *telemetry.Histogram
}

func newStats(root *telemetry.Scope, name string) *stats {
	s := root.Sub("listener").Tagged("envoy_listener_address", name)
	return &stats{
		cxTotal:             s.Counter("downstream_cx_total"),
		cxDestroy:           s.Counter("downstream_cx_destroy"),
		noChainMatch:        s.Counter("no_filter_chain_match"),
		preCxTimeout:        s.Counter("downstream_pre_cx_timeout"),
		listenerFilterError: s.Counter("downstream_listener_filter_error"),
		sslHandshake:        s.Counter("ssl.handshake"),
		sslConnError:        s.Counter("ssl.connection_error"),
		cxActive:            s.Gauge("downstream_cx_active"),
		preCxActive:         s.Gauge("downstream_pre_cx_active"),
		cxLength:            s.Histogram("downstream_cx_length_ms", telemetry.Milliseconds),
	}
}

// inspectorStats are Envoy's tls_inspector.* stats.
type inspectorStats struct {
	tlsFound, notFound, tooLarge *telemetry.Counter
	sniFound, sniNotFound        *telemetry.Counter
	alpnFound, alpnNotFound      *telemetry.Counter
	bytesProcessed               *telemetry.Histogram
}

func newInspectorStats(root *telemetry.Scope) *inspectorStats {
	s := root.Sub("tls_inspector")
	return &inspectorStats{
		tlsFound:       s.Counter("tls_found"),
		notFound:       s.Counter("tls_not_found"),
		tooLarge:       s.Counter("client_hello_too_large"),
		sniFound:       s.Counter("sni_found"),
		sniNotFound:    s.Counter("sni_not_found"),
		alpnFound:      s.Counter("alpn_found"),
		alpnNotFound:   s.Counter("alpn_not_found"),
		bytesProcessed: s.Histogram("bytes_processed", telemetry.Bytes),
	}
}

func (s *inspectorStats) found(h ClientHello) {
	s.tlsFound.Inc()
	if h.ServerName != "" {
		s.sniFound.Inc()
	} else {
		s.sniNotFound.Inc()
	}
	if len(h.ALPN) > 0 {
		s.alpnFound.Inc()
	} else {
		s.alpnNotFound.Inc()
	}
}
