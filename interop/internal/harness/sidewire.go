package harness

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Sidewire is a running `sidewire run -c bootstrap` process.
type Sidewire struct {
	*Process
	// Admin is the admin listener's address.
	Admin string
	// Config is the bootstrap file.
	Config string
}

var adminRE = regexp.MustCompile(`"msg":"admin listening".*"address":"([^"]+)"`)

// StartSidewire writes bootstrap (Envoy v3 YAML, admin on an ephemeral
// port) into dir and runs bin on it, waiting until /ready answers 200.
// Extra args follow `run -c FILE`.
func StartSidewire(bin, dir, bootstrap string, args ...string) (*Sidewire, error) {
	cfg := filepath.Join(dir, fmt.Sprintf("bootstrap-%d.yaml", time.Now().UnixNano()))
	if err := os.WriteFile(cfg, []byte(bootstrap), 0o600); err != nil {
		return nil, fmt.Errorf("write bootstrap: %w", err)
	}
	p, err := Start("sidewire", bin, append([]string{"run", "-c", cfg, "--log-level", "info"}, args...)...)
	if err != nil {
		return nil, err
	}
	line, err := p.WaitLine(adminRE.MatchString, 60*time.Second)
	if err != nil {
		p.Kill()
		return nil, fmt.Errorf("start sidewire: %w", err)
	}
	s := &Sidewire{Process: p, Admin: adminRE.FindStringSubmatch(line)[1], Config: cfg}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body, err := s.Get("/ready")
		if err == nil && code == http.StatusOK {
			return s, nil
		}
		if time.Now().After(deadline) {
			p.Kill()
			return nil, fmt.Errorf("start sidewire: /ready not 200 within 30s: %d %s %v\n%s", code, body, err, p.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Get fetches an admin path.
func (s *Sidewire) Get(path string) (int, string, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + s.Admin + path)
	if err != nil {
		return 0, "", fmt.Errorf("get %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, "", fmt.Errorf("get %s: %w", path, err)
	}
	return resp.StatusCode, string(b), nil
}

// Listener returns the bound address of the named listener.
func (s *Sidewire) Listener(name string) (string, error) {
	code, body, err := s.Get("/listeners?format=json")
	if err != nil {
		return "", err
	}
	if code != http.StatusOK {
		return "", fmt.Errorf("listeners: status %d: %s", code, body)
	}
	var out struct {
		Statuses []struct {
			Name    string `json:"name"`
			Address string `json:"local_address"`
		} `json:"listener_statuses"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		return "", fmt.Errorf("decode listeners: %w: %s", err, body)
	}
	for _, l := range out.Statuses {
		if l.Name == name {
			return l.Address, nil
		}
	}
	return "", fmt.Errorf("listener %q not in /listeners: %s", name, body)
}

// Stat reads one counter or gauge from /stats (0 when absent).
func (s *Sidewire) Stat(name string) (int64, error) {
	code, body, err := s.Get("/stats?filter=" + url.QueryEscape("^"+regexp.QuoteMeta(name)+"$"))
	if err != nil {
		return 0, err
	}
	if code != http.StatusOK {
		return 0, fmt.Errorf("stats: status %d: %s", code, body)
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("stat %s: parse %q: %w", name, v, err)
			}
			return n, nil
		}
	}
	return 0, nil
}

// DataRace reports whether the race detector wrote a report.
func (s *Sidewire) DataRace() bool { return s.Contains("WARNING: DATA RACE") }
