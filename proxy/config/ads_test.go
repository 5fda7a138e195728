package config

import (
	"strings"
	"testing"
)

func TestADSTarget(t *testing.T) {
	ep := func(port uint32) Endpoint { return Endpoint{Address: Address{Host: "127.0.0.1", Port: port}} }
	la := func(eps ...Endpoint) *LoadAssignment {
		return &LoadAssignment{Localities: []LocalityEndpoints{{Endpoints: eps}}}
	}
	for _, tc := range []struct {
		name    string
		cluster *Cluster
		want    string // address, or a substring of the error
		wantErr bool
	}{
		{"static one endpoint", &Cluster{Name: "xds", Type: Static, LoadAssignment: la(ep(18000))}, "127.0.0.1:18000", false},
		{"missing", &Cluster{Name: "other", Type: Static, LoadAssignment: la(ep(1))}, `cluster "xds" does not exist`, true},
		{"not static", &Cluster{Name: "xds", Type: StrictDNS, LoadAssignment: la(ep(1))}, "must be STATIC, is STRICT_DNS", true},
		{"two endpoints", &Cluster{Name: "xds", Type: Static, LoadAssignment: la(ep(1), ep(2))}, "exactly one endpoint, has 2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Snapshot{Clusters: []*Cluster{tc.cluster}, ADS: &ADSSource{Cluster: "xds"}}
			got, err := s.ADSTarget()
			verr := s.Validate()
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), adsClusterPath) {
					t.Errorf("ADSTarget error = %v, want %q at %s", err, tc.want, adsClusterPath)
				}
				if verr == nil || !strings.Contains(verr.Error(), tc.want) {
					t.Errorf("Validate = %v, want %q", verr, tc.want)
				}
				return
			}
			if err != nil || got.String() != tc.want || verr != nil {
				t.Errorf("ADSTarget = %v, %v; Validate = %v; want %s", got, err, verr, tc.want)
			}
		})
	}
}
