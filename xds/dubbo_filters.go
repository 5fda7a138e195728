package xds

import (
	"math"
	"strings"
	"time"

	udpatypev1 "github.com/cncf/xds/go/udpa/type/v1"
	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	dubborouterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/dubbo_proxy/router/v3"
	dubbov3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/dubbo_proxy/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sidewire/sidewire/proxy/config"
)

// dubboFilterExts are the Dubbo filters a dubbo_proxy's dubbo_filters
// accept: Envoy's router (an empty config), or Sidewire's router
// options, fault and mirror filters as TypedStructs.
var dubboFilterExts = []extension{
	newExtension(config.DubboRouterFilter, &dubborouterv3.Router{}),
	sidewireExtension(config.DubboRouterFilter, config.DubboRouterType),
	sidewireExtension(config.DubboFaultFilter, config.DubboFaultType),
	sidewireExtension(config.DubboMirrorFilter, config.DubboMirrorType),
}

// dubboFilters translates dubbo_filters: Sidewire fault and mirror
// filters, then exactly one router, last. An empty list means the
// default router, as in Envoy.
//
// Sidewire's router options (type_url config.DubboRouterType):
//
//	default_timeout: 5s      # a request without a "timeout" attachment
//	max_timeout: 60s         # caps the "timeout" attachment
//	upstream_connections: 1  # per endpoint, shared by all clients
//	heartbeat_interval: 60s  # 0s disables upstream heartbeats
//	heartbeat_timeout: 180s  # default three intervals
//	max_metric_pairs: 256    # service x method label pairs, then "other"
//
// Fault (config.DubboFaultType):
//
//	services: [org.example.Greeter]   # optional, default any
//	methods: [sayHi]                  # optional, default any
//	delay: {duration: 1s, percent: 50}
//	abort: {status: 70, message: "injected", percent: 10}
//
// Mirror (config.DubboMirrorType):
//
//	cluster: shadow
//	percent: 100                      # default 100
//	services: [...]                   # optional
//	methods: [...]                    # optional
func (t *translator) dubboFilters(path string, fs []*dubbov3.DubboFilter, out *config.DubboProxy) {
	routerAt := -1
	for i, f := range fs {
		fp := index(path, i)
		ext, value, ok := t.dubboFilterConfig(fp, f)
		if !ok {
			continue
		}
		if routerAt >= 0 {
			t.errs.add(fp, "the router (dubbo_filters[%d]) must be the last Dubbo filter", routerAt)
			continue
		}
		vp := field(field(fp, "config"), "value")
		switch {
		case ext.name == config.DubboRouterFilter:
			routerAt = i
			if value != nil {
				t.dubboRouterOptions(vp, value, &out.Router)
			}
		case ext.name == config.DubboFaultFilter:
			out.Faults = append(out.Faults, t.dubboFault(vp, value))
		case ext.name == config.DubboMirrorFilter:
			out.Mirrors = append(out.Mirrors, t.dubboMirror(vp, value))
		}
	}
	if len(fs) > 0 && routerAt < 0 {
		t.errs.add(path, "the last Dubbo filter must be the router %s", config.DubboRouterFilter)
	}
}

// dubboFilterConfig resolves one Dubbo filter. value is the TypedStruct
// value of a Sidewire filter, nil for Envoy's router.
func (t *translator) dubboFilterConfig(path string, f *dubbov3.DubboFilter) (extension, *structpb.Struct, bool) {
	cp := field(path, "config")
	url := f.GetConfig().GetTypeUrl()
	if url == "" {
		if f.GetName() == config.DubboRouterFilter {
			return dubboFilterExts[0], nil, true
		}
		if f.GetName() == "" {
			t.errs.add(path, "Dubbo filter needs a name or a config")
		} else {
			t.errs.add(path, "unsupported Dubbo filter %q", f.GetName())
		}
		return extension{}, nil, false
	}
	tn := typeURLName(url)
	if tn == dubboFilterExts[0].msgType.Descriptor().FullName() {
		m := &dubborouterv3.Router{}
		if err := proto.Unmarshal(f.GetConfig().GetValue(), m); err != nil {
			t.errs.add(cp, "decode %s: %v", tn, err)
			return extension{}, nil, false
		}
		t.precheck(cp, m)
		return dubboFilterExts[0], nil, true
	}
	var ts interface {
		proto.Message
		GetTypeUrl() string
		GetValue() *structpb.Struct
	}
	switch tn {
	case "xds.type.v3.TypedStruct":
		ts = &xdstypev3.TypedStruct{}
	case "udpa.type.v1.TypedStruct":
		ts = &udpatypev1.TypedStruct{}
	default:
		t.errs.add(path, "unsupported Dubbo filter %q (config is %s)", f.GetName(), url)
		return extension{}, nil, false
	}
	if err := proto.Unmarshal(f.GetConfig().GetValue(), ts); err != nil {
		t.errs.add(cp, "decode %s: %v", tn, err)
		return extension{}, nil, false
	}
	t.precheck(cp, ts)
	up := field(cp, "type_url")
	var known []string
	for _, e := range dubboFilterExts {
		if e.typeURL == "" {
			continue
		}
		if e.typeURL == ts.GetTypeUrl() {
			v := ts.GetValue()
			if v == nil {
				v = &structpb.Struct{}
			}
			return e, v, true
		}
		known = append(known, e.typeURL)
	}
	if ts.GetTypeUrl() == "" {
		t.errs.add(up, "is required")
	} else {
		t.errs.add(up, "unknown Sidewire Dubbo filter type %s (known: %s)", ts.GetTypeUrl(), strings.Join(known, ", "))
	}
	return extension{}, nil, false
}

func (t *translator) dubboRouterOptions(path string, v *structpb.Struct, out *config.DubboRouter) {
	f := t.structFields(path, v, "default_timeout", "max_timeout", "upstream_connections",
		"heartbeat_interval", "heartbeat_timeout", "max_metric_pairs")
	dur := func(name string, dst *time.Duration, zeroOK bool) {
		if x, ok := f[name]; ok {
			if d, ok := t.structDuration(field(path, name), x, zeroOK); ok {
				*dst = d
			}
		}
	}
	dur("default_timeout", &out.DefaultTimeout, false)
	dur("max_timeout", &out.MaxTimeout, false)
	dur("heartbeat_interval", &out.HeartbeatInterval, true)
	_, hbTimeout := f["heartbeat_timeout"]
	out.HeartbeatTimeout = 3 * out.HeartbeatInterval
	dur("heartbeat_timeout", &out.HeartbeatTimeout, false)
	if hbTimeout && out.HeartbeatInterval == 0 {
		t.errs.add(field(path, "heartbeat_timeout"), "only applies when heartbeat_interval is not 0s")
	}
	if x, ok := f["upstream_connections"]; ok {
		if n, ok := t.structInt(field(path, "upstream_connections"), x, 1, 64); ok {
			out.UpstreamConnections = n
		}
	}
	if x, ok := f["max_metric_pairs"]; ok {
		if n, ok := t.structInt(field(path, "max_metric_pairs"), x, 1, 100_000); ok {
			out.MaxMetricPairs = n
		}
	}
	if out.DefaultTimeout > out.MaxTimeout {
		if _, set := f["default_timeout"]; set {
			t.errs.add(field(path, "default_timeout"), "%s exceeds max_timeout %s", out.DefaultTimeout, out.MaxTimeout)
		} else {
			out.DefaultTimeout = out.MaxTimeout
		}
	}
}

func (t *translator) dubboFault(path string, v *structpb.Struct) config.DubboFault {
	var out config.DubboFault
	f := t.structFields(path, v, "services", "methods", "delay", "abort")
	out.Services, out.Methods = t.dubboNames(path, f)
	if x, ok := f["delay"]; ok {
		dp := field(path, "delay")
		if obj, ok := t.structObject(dp, x); ok {
			d := t.structFields(dp, obj, "duration", "percent")
			if x, ok := d["duration"]; ok {
				out.Delay, _ = t.structDuration(field(dp, "duration"), x, false)
			} else {
				t.errs.add(field(dp, "duration"), "is required")
			}
			out.DelayFraction = t.structPercent(dp, d)
		}
	}
	if x, ok := f["abort"]; ok {
		ap := field(path, "abort")
		if obj, ok := t.structObject(ap, x); ok {
			a := t.structFields(ap, obj, "status", "message", "percent")
			if x, ok := a["status"]; ok {
				if n, ok := t.structInt(field(ap, "status"), x, 21, 255); ok {
					out.AbortStatus = uint8(n)
				}
			} else {
				t.errs.add(field(ap, "status"), "is required (a Dubbo response status such as 70)")
			}
			if x, ok := a["message"]; ok {
				out.AbortMessage, _ = t.structString(field(ap, "message"), x)
			}
			out.AbortFraction = t.structPercent(ap, a)
		}
	}
	if _, d := f["delay"]; !d {
		if _, a := f["abort"]; !a {
			t.errs.add(path, "a Dubbo fault needs a delay or an abort")
		}
	}
	return out
}

func (t *translator) dubboMirror(path string, v *structpb.Struct) config.DubboMirror {
	out := config.DubboMirror{Fraction: 1}
	f := t.structFields(path, v, "cluster", "percent", "services", "methods")
	if x, ok := f["cluster"]; ok {
		out.Cluster, _ = t.structString(field(path, "cluster"), x)
	} else {
		t.errs.add(field(path, "cluster"), "is required")
	}
	if _, ok := f["percent"]; ok {
		out.Fraction = t.structPercent(path, f)
	}
	out.Services, out.Methods = t.dubboNames(path, f)
	return out
}

// dubboNames reads the optional services and methods lists.
func (t *translator) dubboNames(path string, f map[string]*structpb.Value) (services, methods []string) {
	if x, ok := f["services"]; ok {
		services = t.structStrings(field(path, "services"), x)
	}
	if x, ok := f["methods"]; ok {
		methods = t.structStrings(field(path, "methods"), x)
	}
	return services, methods
}

// structPercent reads the "percent" member (0 to 100, default 100) as a
// fraction.
func (t *translator) structPercent(path string, f map[string]*structpb.Value) float64 {
	x, ok := f["percent"]
	if !ok {
		return 1
	}
	pp := field(path, "percent")
	n, ok := x.GetKind().(*structpb.Value_NumberValue)
	if !ok {
		t.errs.add(pp, "expected a number, got %s", describeValue(x))
		return 0
	}
	if n.NumberValue < 0 || n.NumberValue > 100 || math.IsNaN(n.NumberValue) {
		t.errs.add(pp, "must be between 0 and 100, got %v", n.NumberValue)
		return 0
	}
	return n.NumberValue / 100
}

// structInt reads an integer in [lo, hi].
func (t *translator) structInt(path string, v *structpb.Value, lo, hi int) (int, bool) {
	n, ok := v.GetKind().(*structpb.Value_NumberValue)
	if !ok {
		t.errs.add(path, "expected a number, got %s", describeValue(v))
		return 0, false
	}
	f := n.NumberValue
	if f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		t.errs.add(path, "must be an integer between %d and %d, got %v", lo, hi, f)
		return 0, false
	}
	return int(f), true
}

// structDuration reads a duration string such as "1.5s" or "200ms".
func (t *translator) structDuration(path string, v *structpb.Value, zeroOK bool) (time.Duration, bool) {
	s, ok := t.structString(path, v)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		t.errs.add(path, "expected a duration such as \"1.5s\" or \"200ms\", got %q", s)
		return 0, false
	case d < 0 || d == 0 && !zeroOK:
		t.errs.add(path, "must be positive, got %s", s)
		return 0, false
	}
	return d, true
}
