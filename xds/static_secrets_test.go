package xds

import (
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// TestStaticSecretRefs: a secret reference without sds_config names a
// static secret; a listener from LDS may not use one (static secrets
// serve static listeners only), one with sds_config ads may.
func TestStaticSecretRefs(t *testing.T) {
	static := sdsListener(t, "l1", "server-cert")
	ctx := &tlsv3.DownstreamTlsContext{}
	if err := static.FilterChains[0].TransportSocket.GetTypedConfig().UnmarshalTo(ctx); err != nil {
		t.Fatal(err)
	}
	ctx.CommonTlsContext.TlsCertificateSdsSecretConfigs[0].SdsConfig = nil
	static.FilterChains[0].TransportSocket.ConfigType = &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(t, ctx)}

	l, err := TranslateListener(`listener "l1"`, static)
	if err != nil {
		t.Fatalf("TranslateListener: %v", err)
	}
	if refs := secretRefs(l); len(refs) != 1 || !refs[0].Static || refs[0].Name != "server-cert" {
		t.Fatalf("secret refs = %+v, want one static server-cert", refs)
	}
	_, err = dynamicListener(true)(`listener "l1"`, static)
	if err == nil || !strings.Contains(err.Error(), `listener "l1": secret "server-cert": a listener from lds takes secrets with sds_config ads or path`) {
		t.Fatalf("dynamicListener: err = %v, want the static secret rejected", err)
	}
	if _, err := dynamicListener(true)(`listener "l1"`, sdsListener(t, "l1", "server-cert")); err != nil {
		t.Fatalf("dynamicListener with sds_config ads: %v", err)
	}
}

// Without an ads_config nothing arrives over ADS: a listener (from an
// LDS file) naming an ADS secret or a drds route configuration is
// refused instead of warming forever.
func TestDynamicListenerWithoutADS(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    *listenerv3.Listener
		want string
	}{
		{"sds", sdsListener(t, "l1", "server-cert"), `secret "server-cert": sds_config ads needs dynamic_resources.ads_config`},
		{"drds", drdsListener(t, "l1", "routes"), `dubbo route configuration "routes": drds needs dynamic_resources.ads_config`},
	} {
		if _, err := dynamicListener(true)(`listener "l1"`, tc.l); err != nil {
			t.Errorf("%s with ADS: %v", tc.name, err)
		}
		_, err := dynamicListener(false)(`listener "l1"`, tc.l)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s without ADS: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}
