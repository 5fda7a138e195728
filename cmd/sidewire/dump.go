package main

import (
	"errors"
	"net/url"
	"sync"
	"time"

	"github.com/sidewire/sidewire/proxy/admin"
	"github.com/sidewire/sidewire/xds"
)

// dumper renders /config_dump from the bootstrap that is in force and,
// when the bootstrap has dynamic resources, what the ADS client accepted.
type dumper struct {
	mu         sync.Mutex
	raw        []byte
	updated    time.Time
	ads        *xds.ADSClient
	adsCluster string
}

func newDumper(raw []byte) *dumper { return &dumper{raw: raw, updated: time.Now()} }

func (d *dumper) set(raw []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.raw, d.updated = raw, time.Now()
}

func (d *dumper) setADS(a *dynamicConfig) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ads, d.adsCluster = a.client, a.sources.ADSCluster
}

// render returns Envoy's ConfigDump for the query parameters of
// /config_dump (see xds.ConfigDump.Render and xds.ParseDumpQuery); a bad
// parameter is an *admin.BadRequestError.
func (d *dumper) render(query url.Values) ([]byte, error) {
	q, err := xds.ParseDumpQuery(query)
	if err != nil {
		var qe *xds.QueryError
		if errors.As(err, &qe) {
			return nil, &admin.BadRequestError{Err: err}
		}
		return nil, err
	}
	d.mu.Lock()
	cd := xds.ConfigDump{Bootstrap: d.raw, Updated: d.updated, ADS: d.ads, ADSCluster: d.adsCluster}
	d.mu.Unlock()
	return cd.Render(q)
}
