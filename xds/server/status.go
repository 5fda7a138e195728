package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// Status describes what the control plane serves.
type Status struct {
	Dir string `json:"dir"`
	// Generation counts the configurations published, the first included.
	Generation int64 `json:"generation"`
	// Rejected counts loads refused because of a bad file.
	Rejected int64 `json:"rejected"`
	// NACKs counts requests in which a client rejected what it was sent
	// (logged as "client rejected resources").
	NACKs  int64     `json:"nacks"`
	Loaded time.Time `json:"loaded"`
	// LastError is the error of the last load when it was refused after
	// the last publish; empty otherwise.
	LastError string `json:"last_error,omitempty"`
	// Versions and Counts of the shared resources, by "lds", "cds", "eds",
	// "rds" and "sds".
	Versions map[string]string `json:"versions"`
	Counts   map[string]int    `json:"counts"`
	// Overrides are the node ids with a nodes/<id>/ directory.
	Overrides []string `json:"node_overrides"`
	// Connected are the node ids with open streams, sorted.
	Connected []string `json:"connected_nodes"`
}

// Status returns a copy of the current status.
func (s *Server) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{
		Dir:        s.opts.Dir,
		Generation: s.generation.Load(),
		Rejected:   s.rejected.Load(),
		NACKs:      s.nacks.Load(),
		Loaded:     s.loaded,
		LastError:  s.lastErr,
		Versions:   s.cfg.Versions(""),
		Counts:     s.cfg.Counts(""),
		Overrides:  s.cfg.Nodes(),
		Connected:  []string{},
	}
	for id := range s.refs {
		st.Connected = append(st.Connected, id)
	}
	slices.Sort(st.Connected)
	return st
}

// AdminHandler serves GET /ready (200 "ready": a valid configuration is
// being served) and GET /status (Status as JSON).
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(s.Status())
	})
	return mux
}
