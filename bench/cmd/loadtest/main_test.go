package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/bench"
)

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-n", "500", "-reps", "5", "-targets", "haproxy-tcp", "-markdown", "-sidewire", "/x/sidewire"})
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	if c.opts.Requests != 500 || c.opts.Reps != 5 || !c.markdown || c.opts.Sidewire != "/x/sidewire" {
		t.Errorf("parseFlags = %+v", c)
	}
	if !c.targets[bench.Direct] || !c.targets["haproxy-tcp"] || c.targets["twemproxy"] {
		t.Errorf("targets = %v, want direct (always) and haproxy-tcp only", c.targets)
	}
	if !slices.Equal(c.scenarios, []string{"redis-tcp"}) {
		t.Errorf("scenarios = %v, want the default redis-tcp", c.scenarios)
	}
}

func TestParseFlagsAll(t *testing.T) {
	c, err := parseFlags([]string{"-scenarios", "all"})
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	if !slices.Equal(c.scenarios, bench.ScenarioNames()) || c.targets != nil {
		t.Errorf("parseFlags(all) = scenarios %v, targets %v; want every scenario, no target filter", c.scenarios, c.targets)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-scenarios", "nope"}, `unknown`},
		{[]string{"-targets", "envoy"}, `unknown`},
		{[]string{"-scenarios", ","}, "empty list"},
		{[]string{"-n", "0"}, "must be positive"},
		{[]string{"-reps", "-1"}, "must be positive"},
		{[]string{"extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		_, err := parseFlags(tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseFlags(%q) error = %v, want one containing %q", tt.args, err, tt.want)
		}
	}
}
