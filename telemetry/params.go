package telemetry

import (
	"fmt"
	"net/url"
	"regexp"
)

// statType selects which kinds of stat an admin request wants (Envoy's
// ?type= parameter).
type statType int

const (
	typeAll statType = iota
	typeCounters
	typeGauges
	typeHistograms
)

// statsParams are the query parameters shared by /stats and
// /stats/prometheus.
type statsParams struct {
	usedOnly bool
	filter   *regexp.Regexp // nil: no filter
	typ      statType
	format   string // "", "text", "json" or "prometheus"
	// name is scratch space for the full names filter matches.
	name []byte
}

// ParamError is a bad admin query parameter; handlers answer 400 with it.
type ParamError struct {
	Param string
	Err   error
}

func (e *ParamError) Error() string { return "invalid " + e.Param + " param: " + e.Err.Error() }

func (e *ParamError) Unwrap() error { return e.Err }

func parseStatsParams(q url.Values) (statsParams, error) {
	var p statsParams
	_, p.usedOnly = q["usedonly"]
	if f := q.Get("filter"); f != "" {
		re, err := regexp.Compile(f)
		if err != nil {
			return p, &ParamError{Param: "filter", Err: err}
		}
		p.filter = re
	}
	switch t := q.Get("type"); t {
	case "", "All":
		p.typ = typeAll
	case "Counters":
		p.typ = typeCounters
	case "Gauges":
		p.typ = typeGauges
	case "Histograms":
		p.typ = typeHistograms
	default:
		return p, &ParamError{Param: "type", Err: fmt.Errorf("%q is not one of All, Counters, Gauges, Histograms", t)}
	}
	switch f := q.Get("format"); f {
	case "", "text", "json", "prometheus":
		p.format = f
	default:
		return p, &ParamError{Param: "format", Err: fmt.Errorf("%q is not one of text, json, prometheus", f)}
	}
	return p, nil
}

// show reports whether a stat passes the usedonly and filter parameters.
func (p *statsParams) show(id *statID, used bool) bool {
	if p.usedOnly && !used {
		return false
	}
	if p.filter == nil {
		return true
	}
	p.name = id.appendName(p.name[:0])
	return p.filter.Match(p.name)
}

func (p *statsParams) wants(t statType) bool { return p.typ == typeAll || p.typ == t }
