package xds

import (
	"slices"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/listener"
)

// tlsEDSCluster is edsCluster with an UpstreamTlsContext whose client
// certificate is the ADS secret secret.
func tlsEDSCluster(t *testing.T, name, secret string) *clusterv3.Cluster {
	c := edsCluster(name)
	ctx, err := anypb.New(&tlsv3.UpstreamTlsContext{
		Sni: "upstream.test",
		CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{
				Name:      secret,
				SdsConfig: &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}},
			}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	c.TransportSocket = &corev3.TransportSocket{Name: "envoy.transport_sockets.tls", ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: ctx}}
	return c
}

// TestSDSForClusters: a cluster from CDS whose upstream TLS context
// names an ADS secret makes the client subscribe to it and warms until
// it arrives; the update then carries the cluster's TLS context and the
// secret.
func TestSDSForClusters(t *testing.T) {
	cp := startTest(t)
	pki := testpeer.NewPKI(t, "ca")
	cs := []*clusterv3.Cluster{tlsEDSCluster(t, "c1", "client-cert")}
	las := []*endpointv3.ClusterLoadAssignment{assignment("c1", 20001)}
	cp.setWithSecrets("1", nil, cs, las)
	app := &tlsApplier{t: t, secrets: listener.NewSecretStore()}
	c, _ := runClient(t, cp, app)
	cp.waitRequest("SDS subscription", func(r streamRequest) bool {
		return r.req.GetTypeUrl() == SecretTypeURL && slices.Equal(r.req.GetResourceNames(), []string{"client-cert"})
	})
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.Status().Warming, `secret "client-cert" (cluster "c1")`) {
		if time.Now().After(deadline) {
			t.Fatalf("Warming = %q, want it waiting for the secret", c.Status().Warming)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := app.count(); n != 0 {
		t.Fatalf("%d updates applied before the secret arrived", n)
	}
	chain, key := pki.Issue(t, "client", true)
	cp.setWithSecrets("2", nil, cs, las, certSecret("client-cert", chain, key))
	app.wait("with the secret and c1's upstream TLS context", func(u *Update) bool {
		if u.Secrets["client-cert"] == nil {
			return false
		}
		for _, cl := range u.Clusters {
			if cl.Name == "c1" && cl.TLS != nil && cl.TLS.SNI == "upstream.test" && len(cl.TLS.CertificateSecrets) == 1 {
				return true
			}
		}
		return false
	})
}
