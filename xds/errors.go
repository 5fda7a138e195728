package xds

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/sidewire/sidewire/proxy/config"
)

// errList collects *config.FieldError values. Its err method joins them,
// so callers get every problem at once and errors.As still finds a
// *config.FieldError.
type errList struct {
	errs []error
}

// add records the problem at path, unless a problem is already recorded
// there: translation goes on after a field fails Envoy's validation rules,
// and one complaint per field is enough.
func (l *errList) add(path, format string, args ...any) {
	l.wrap(path, fmt.Errorf(format, args...))
}

// wrap is add for an error value, kept in the chain so errors.As finds it.
func (l *errList) wrap(path string, err error) {
	for _, e := range l.errs {
		if fe, ok := e.(*config.FieldError); ok && fe.Path == path {
			return
		}
	}
	l.errs = append(l.errs, &config.FieldError{Path: path, Err: err})
}

// addErr records err, flattening joined errors so the result stays one
// flat list.
func (l *errList) addErr(err error) {
	if err == nil {
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			l.addErr(e)
		}
		return
	}
	l.errs = append(l.errs, err)
}

func (l *errList) len() int { return len(l.errs) }

func (l *errList) err() error { return errors.Join(l.errs...) }

// field appends a field name to a path ("a.b" + "c" = "a.b.c").
func field(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// index appends a list index to a path ("a" + 2 = "a[2]").
func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// key appends a map key to a path (`a` + "k" = `a["k"]`).
func key(path, k string) string {
	return path + "[" + strconv.Quote(k) + "]"
}
