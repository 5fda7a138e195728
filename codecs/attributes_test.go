package codecs

import (
	"strings"
	"testing"
)

func TestAttributesKeys(t *testing.T) {
	var a Attributes
	for i := 0; i < MaxKeys+3; i++ {
		a.AddKey([]byte{byte('a' + i)})
	}
	if a.KeyCount() != MaxKeys+3 {
		t.Fatalf("KeyCount = %d, want %d", a.KeyCount(), MaxKeys+3)
	}
	if got := len(a.Keys()); got != MaxKeys {
		t.Fatalf("len(Keys()) = %d, want %d", got, MaxKeys)
	}
	for i, want := range []string{"a", "b", "c", "d", ""} {
		if got := string(a.Key(i)); got != want {
			t.Errorf("Key(%d) = %q, want %q", i, got, want)
		}
	}
	if a.Key(-1) != nil {
		t.Errorf("Key(-1) is not nil")
	}
}

func TestAttributesExtras(t *testing.T) {
	var a Attributes
	for i := 0; i < MaxExtras; i++ {
		if !a.SetExtra(string(rune('a'+i)), []byte{byte(i)}) {
			t.Fatalf("SetExtra %d refused below capacity", i)
		}
	}
	if a.SetExtra("overflow", nil) {
		t.Fatalf("SetExtra beyond MaxExtras reported success")
	}
	if !a.SetExtra("b", []byte("new")) {
		t.Fatalf("replacing an existing extra failed when full")
	}
	if v, ok := a.Extra("b"); !ok || string(v) != "new" {
		t.Fatalf("Extra(b) = %q, %v; want new, true", v, ok)
	}
	if _, ok := a.Extra("zz"); ok {
		t.Fatalf("Extra of a missing key reported ok")
	}
	if len(a.Extras()) != MaxExtras {
		t.Fatalf("len(Extras()) = %d", len(a.Extras()))
	}
}

func TestAttributesEqual(t *testing.T) {
	base := func() Attributes {
		a := Attributes{Protocol: "p", Method: []byte("GET"), Status: StatusOK, Code: 7}
		a.AddKey([]byte("k"))
		a.SetExtra("v", []byte("1"))
		return a
	}
	a := base()
	for name, mut := range map[string]func(*Attributes){
		"protocol": func(b *Attributes) { b.Protocol = "q" },
		"method":   func(b *Attributes) { b.Method = []byte("SET") },
		"service":  func(b *Attributes) { b.Service = []byte("s") },
		"topic":    func(b *Attributes) { b.Topic = []byte("t") },
		"sqlkind":  func(b *Attributes) { b.SQLKind = []byte("SELECT") },
		"table":    func(b *Attributes) { b.Table = []byte("t") },
		"status":   func(b *Attributes) { b.Status = StatusError },
		"code":     func(b *Attributes) { b.Code = 8 },
		"key":      func(b *Attributes) { b.keys[0] = []byte("x") },
		"keycount": func(b *Attributes) { b.AddKey([]byte("x")) },
		"extra":    func(b *Attributes) { b.SetExtra("v", []byte("2")) },
		"extrakey": func(b *Attributes) { b.SetExtra("w", nil) },
	} {
		b := base()
		mut(&b)
		if a.Equal(&b) || b.Equal(&a) {
			t.Errorf("%s: attributes differing in %s compare equal", name, name)
		}
	}
	b := base()
	if !a.Equal(&b) {
		t.Fatalf("identical attributes compare unequal")
	}
	a.Service, b.Service = nil, []byte{}
	if !a.Equal(&b) {
		t.Fatalf("nil and empty slices compare unequal")
	}
	a.Reset()
	if !a.Equal(&Attributes{}) {
		t.Fatalf("Reset left values behind")
	}
}

func TestAttributesFillDoesNotAllocate(t *testing.T) {
	frame := []byte("GET user:1 user:2 group=a")
	var a Attributes
	allocs := testing.AllocsPerRun(100, func() {
		a.Reset()
		a.Protocol = "redis"
		a.Method = frame[:3]
		a.AddKey(frame[4:10])
		a.AddKey(frame[11:17])
		a.SetExtra("group", frame[24:])
	})
	if allocs != 0 {
		t.Fatalf("filling attributes allocated %.1f times, want 0", allocs)
	}
}

func TestAttributesString(t *testing.T) {
	a := Attributes{Protocol: "redis", Method: []byte("GET"), Status: StatusError, Code: -1}
	a.AddKey([]byte("k1"))
	a.SetExtra("db", []byte("2"))
	got := a.String()
	for _, want := range []string{"protocol=redis", "method=GET", "key=k1", "db=2", "status=error", "code=-1"} {
		if !strings.Contains(got, want) {
			t.Errorf("String() = %q, missing %q", got, want)
		}
	}
}
