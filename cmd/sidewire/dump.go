package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/sidewire/sidewire/xds"
)

// dumper renders /config_dump from the bootstrap that is in force and,
// when ADS runs, the dynamic state.
type dumper struct {
	mu      sync.Mutex
	raw     []byte
	updated time.Time
	ads     *dynamicConfig
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
	d.ads = a
}

// render returns Envoy's ConfigDump of the bootstrap. With ADS, a
// top-level "dynamic_resources" object beside "configs" holds the ADS
// client's state: versions by type URL, last_updated, the dynamic
// listener and cluster names and the last error.
func (d *dumper) render() ([]byte, error) {
	d.mu.Lock()
	raw, updated, ads := d.raw, d.updated, d.ads
	d.mu.Unlock()
	out, err := xds.BootstrapConfigDump(raw, updated)
	if err != nil || ads == nil {
		return out, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(out, &top); err != nil {
		return nil, fmt.Errorf("render config dump: %w", err)
	}
	dyn, err := json.Marshal(struct {
		ADS adsDump `json:"ads"`
	}{ads.dump()})
	if err != nil {
		return nil, fmt.Errorf("render config dump: %w", err)
	}
	top["dynamic_resources"] = dyn
	b, err := json.MarshalIndent(top, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render config dump: %w", err)
	}
	return append(b, '\n'), nil
}
