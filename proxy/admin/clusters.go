package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"github.com/sidewire/sidewire/proxy/version"
)

// clusters renders /clusters in Envoy's text form
// (cluster::host:port::stat::value) or as JSON with ?format=json.
func (a *Admin) clusters(w http.ResponseWriter, r *http.Request) {
	type hostJSON struct {
		Address     string `json:"address"`
		Hostname    string `json:"hostname,omitempty"`
		Weight      uint32 `json:"weight"`
		Priority    uint32 `json:"priority"`
		HealthFlags string `json:"health_flags"`
		CxActive    uint64 `json:"cx_active"`
		CxTotal     uint64 `json:"cx_total"`
		CxFail      uint64 `json:"cx_connect_fail"`
		RqActive    uint64 `json:"rq_active"`
		RqTotal     uint64 `json:"rq_total"`
	}
	type clusterJSON struct {
		Name  string     `json:"name"`
		Hosts []hostJSON `json:"host_statuses"`
	}
	var out []clusterJSON
	for _, c := range a.opts.Server.Clusters().All() {
		cj := clusterJSON{Name: c.Name(), Hosts: []hostJSON{}}
		for _, h := range c.Hosts() {
			s := h.Stats()
			cj.Hosts = append(cj.Hosts, hostJSON{
				Address: h.Address().String(), Hostname: h.Hostname(), Weight: h.Weight(), Priority: h.Priority(),
				HealthFlags: h.HealthFlags(), CxActive: s.CxActive, CxTotal: s.CxTotal, CxFail: s.CxConnectFail,
				RqActive: s.RqActive, RqTotal: s.RqTotal,
			})
		}
		out = append(out, cj)
	}
	if r.URL.Query().Get("format") == "json" {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"cluster_statuses": out})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, c := range out {
		for _, h := range c.Hosts {
			p := c.Name + "::" + h.Address + "::"
			fmt.Fprintf(w, "%scx_active::%d\n%scx_connect_fail::%d\n%scx_total::%d\n", p, h.CxActive, p, h.CxFail, p, h.CxTotal)
			fmt.Fprintf(w, "%srq_active::%d\n%srq_total::%d\n", p, h.RqActive, p, h.RqTotal)
			fmt.Fprintf(w, "%shostname::%s\n%shealth_flags::%s\n", p, h.Hostname, p, h.HealthFlags)
			fmt.Fprintf(w, "%sweight::%d\n%spriority::%d\n", p, h.Weight, p, h.Priority)
		}
	}
}

// listeners renders /listeners: name::address, or JSON.
func (a *Admin) listeners(w http.ResponseWriter, r *http.Request) {
	ls := a.opts.Server.Listeners()
	names := make([]string, 0, len(ls))
	for n := range ls {
		names = append(names, n)
	}
	sort.Strings(names)
	if r.URL.Query().Get("format") == "json" {
		type lj struct {
			Name    string `json:"name"`
			Address string `json:"local_address"`
		}
		var out []lj
		for _, n := range names {
			out = append(out, lj{n, ls[n].Addr().String()})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"listener_statuses": out})
		return
	}
	for _, n := range names {
		fmt.Fprintf(w, "%s::%s\n", n, ls[n].Addr())
	}
}

func (a *Admin) serverInfo(w http.ResponseWriter, _ *http.Request) {
	s := a.opts.Server
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"version":        version.String(),
		"state":          s.State().String(),
		"uptime_seconds": int64(s.Uptime().Seconds()),
		"hot_restart":    "disabled",
	})
}
