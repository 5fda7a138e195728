package redisproxy

import "crypto/subtle"

// downstreamAuth checks clients' AUTH against the filter's configured
// credentials, with Redis's semantics for the default user.
type downstreamAuth struct {
	passwords [][]byte
	username  []byte // nil: the default user
}

// required reports whether clients must authenticate.
func (a *downstreamAuth) required() bool { return len(a.passwords) > 0 }

// check verifies AUTH [username] password; username is nil for the
// one-argument form. Without configured passwords the proxy behaves like
// a Redis server whose default user has no password: a one-argument AUTH
// is an error, the two-argument form succeeds for the user "default"
// only. With passwords, a one-argument AUTH is checked against the
// passwords alone; the two-argument form also needs the configured
// username, or "default" when none is configured.
func (a *downstreamAuth) check(username, password []byte) verdict {
	if !a.required() {
		if username == nil {
			return vAuthNoPassword
		}
		if string(username) == "default" {
			return vAuthOK
		}
		return vAuthWrongPass
	}
	if username != nil {
		want := a.username
		if want == nil {
			want = []byte("default")
		}
		if subtle.ConstantTimeCompare(username, want) != 1 {
			return vAuthWrongPass
		}
	}
	ok := 0
	for _, p := range a.passwords {
		ok |= subtle.ConstantTimeCompare(password, p)
	}
	if ok == 1 {
		return vAuthOK
	}
	return vAuthWrongPass
}
