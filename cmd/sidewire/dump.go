package main

import (
	"sync"
	"time"

	"github.com/sidewire/sidewire/xds"
)

// dumper renders /config_dump from the bootstrap that is in force.
type dumper struct {
	mu      sync.Mutex
	raw     []byte
	updated time.Time
}

func newDumper(raw []byte) *dumper { return &dumper{raw: raw, updated: time.Now()} }

func (d *dumper) set(raw []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.raw, d.updated = raw, time.Now()
}

func (d *dumper) render() ([]byte, error) {
	d.mu.Lock()
	raw, updated := d.raw, d.updated
	d.mu.Unlock()
	return xds.BootstrapConfigDump(raw, updated)
}
