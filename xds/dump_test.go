package xds

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

// dumpSnapshot renders a snapshot as indented JSON for golden files:
// struct fields in declaration order, map keys sorted, durations as
// strings ("1h0m0s"), enums by name, byte slices as hex and network
// filters tagged with their Envoy name.
func dumpSnapshot(s *config.Snapshot) []byte {
	b, err := json.MarshalIndent(dumpValue(reflect.ValueOf(s)), "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// object is a JSON object that keeps its keys in order.
type object []struct {
	k string
	v any
}

func (o object) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.k)
		v, err := json.Marshal(kv.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func (o *object) add(k string, v any) {
	*o = append(*o, struct {
		k string
		v any
	}{k, v})
}

var healthNames = map[config.HealthStatus]string{
	config.HealthUnknown:   "UNKNOWN",
	config.HealthHealthy:   "HEALTHY",
	config.HealthUnhealthy: "UNHEALTHY",
	config.HealthDraining:  "DRAINING",
	config.HealthDegraded:  "DEGRADED",
}

func dumpValue(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	switch x := v.Interface().(type) {
	case time.Duration:
		return x.String()
	case config.HealthStatus:
		return healthNames[x]
	case []byte:
		if x == nil {
			return nil
		}
		return "hex:" + hex.EncodeToString(x)
	case config.NetworkFilter:
		if v.Kind() == reflect.Interface && v.IsNil() || v.Kind() == reflect.Pointer && v.IsNil() {
			return nil
		}
		var o object
		o.add("filter", x.FilterName())
		o.add("config", dumpValue(reflect.Indirect(reflect.ValueOf(x))))
		return o
	}
	// Enums (ClusterType, LBPolicy, RedisReadPolicy, ...) by name.
	if s, ok := v.Interface().(fmt.Stringer); ok && v.Kind() == reflect.Int {
		return s.String()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return dumpValue(v.Elem())
	case reflect.Struct:
		var o object
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				o.add(f.Name, dumpValue(v.Field(i)))
			}
		}
		return o
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range v.Len() {
			out[i] = dumpValue(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		var o object
		for _, k := range keys {
			o.add(fmt.Sprint(k), dumpValue(v.MapIndex(k)))
		}
		return o
	}
	return v.Interface()
}
