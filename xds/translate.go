package xds

import (
	"errors"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sidewire/sidewire/proxy/config"
)

// translator accumulates the problems found while translating one
// resource, so a user sees all of them at once.
type translator struct {
	errs errList
}

// precheck checks m against the allow-list and against its validation
// rules, reporting problems under path. Violations of validation rules
// inside a field that is not supported anyway are left out: they are
// noise. Translation goes on either way (it only reads supported fields,
// through nil-safe getters), so one run reports every problem.
func (t *translator) precheck(path string, m proto.Message) {
	unsupported := flatten(checkFields(path, m))
	t.errs.errs = append(t.errs.errs, unsupported...)
	for _, err := range flatten(validate(path, m)) {
		if !under(err, unsupported) {
			t.errs.errs = append(t.errs.errs, err)
		}
	}
}

// flatten splits joined errors into a list.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	var l errList
	l.addErr(err)
	return l.errs
}

// under reports whether err is at or below the path of one of parents.
func under(err error, parents []error) bool {
	var fe *config.FieldError
	if !errors.As(err, &fe) {
		return false
	}
	for _, p := range parents {
		var pe *config.FieldError
		if !errors.As(p, &pe) {
			continue
		}
		if rest, ok := strings.CutPrefix(fe.Path, pe.Path); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
			return true
		}
	}
	return false
}

// duration returns d, or def when d is unset. Negative durations are
// reported: no Envoy duration is meaningful below zero.
func (t *translator) duration(path string, d *durationpb.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	if err := d.CheckValid(); err != nil {
		t.errs.add(path, "%s", protojsonReason(err))
		return def
	}
	v := d.AsDuration()
	if v < 0 {
		t.errs.add(path, "must not be negative, got %s", v)
		return def
	}
	return v
}

// uint32Or returns the wrapped value, or def when w is unset.
func uint32Or(w *wrapperspb.UInt32Value, def uint32) uint32 {
	if w == nil {
		return def
	}
	return w.GetValue()
}

// uint64Or returns the wrapped value, or def when w is unset.
func uint64Or(w *wrapperspb.UInt64Value, def uint64) uint64 {
	if w == nil {
		return def
	}
	return w.GetValue()
}
