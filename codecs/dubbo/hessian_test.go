package dubbo

import (
	"bytes"
	"strings"
	"testing"
)

func TestReadString(t *testing.T) {
	medium := strings.Repeat("é", 300) // 300 units, 600 bytes
	for _, tc := range []struct {
		name string
		in   []byte
		want string
		res  strResult
		next int
	}{
		{"empty", []byte{0x00}, "", strPlain, 1},
		{"short", append([]byte{0x05}, "hello"...), "hello", strPlain, 6},
		{"units not bytes", append([]byte{0x02}, "é中"...), "é中", strPlain, 6},
		{"surrogate pair counts two", append([]byte{0x02}, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80), "\xed\xa0\xbd\xed\xb8\x80", strPlain, 7},
		{"medium", append([]byte{0x31, 0x2c}, medium...), medium, strPlain, 602},
		{"final S", append([]byte{'S', 0, 3}, "abc"...), "abc", strPlain, 6},
		{"null", []byte{'N'}, "", strNull, 1},
		{"chunked", append(append([]byte{'R', 0, 2}, "ab"...), append([]byte{0x01}, 'c')...), "", strChunked, 7},
		{"chunk then null", append([]byte{'R', 0, 1}, 'a', 'N'), "", strBad, 0},
		{"truncated data", append([]byte{0x05}, "hel"...), "", strBad, 0},
		{"truncated multibyte", []byte{0x01, 0xe4, 0xb8}, "", strBad, 0},
		{"truncated length", []byte{0x30}, "", strBad, 0},
		{"truncated S length", []byte{'S', 0}, "", strBad, 0},
		{"bad continuation", []byte{0x01, 0xc3, 0x41}, "", strBad, 0},
		{"stray continuation", []byte{0x01, 0x80}, "", strBad, 0},
		{"four-byte utf8 rejected like Java", append([]byte{0x02}, "😀"...), "", strBad, 0},
		{"int is not a string", []byte{0x91}, "", strBad, 0},
		{"no input", nil, "", strBad, 0},
	} {
		s, next, res := readString(tc.in, 0)
		if res != tc.res || next != tc.next || string(s) != tc.want {
			t.Errorf("%s: readString = %q, %d, %d; want %q, %d, %d", tc.name, s, next, res, tc.want, tc.next, tc.res)
		}
		if res == strPlain && s == nil {
			t.Errorf("%s: plain string returned nil", tc.name)
		}
	}
}

// The reader agrees with dubbo-go-hessian2's encoder on every length
// class and on non-ASCII text.
func TestReadStringMatchesEncoder(t *testing.T) {
	for _, s := range []string{"", "a", strings.Repeat("x", 31), strings.Repeat("x", 32), strings.Repeat("ü", 1023),
		strings.Repeat("中", 1024), strings.Repeat("y", 4096), "org.例子.Service", "emoji😀 and 𝄞"} {
		enc := encodeValues(t, s)
		got, next, res := readString(enc, 0)
		if res != strPlain || next != len(enc) || !bytes.Equal(got, cesu8Slow(s)) {
			t.Errorf("len %d: readString = %d bytes, next %d of %d, result %d", len(s), len(got), next, len(enc), res)
		}
	}
	long := strings.Repeat("z", 4097) // chunked by the encoder
	enc := encodeValues(t, long)
	if _, next, res := readString(enc, 0); res != strChunked || next != len(enc) {
		t.Errorf("chunked string: next %d of %d, result %d; want chunked", next, len(enc), res)
	}
}

// cesu8Slow writes supplementary characters as surrogate pairs.
func cesu8Slow(s string) []byte {
	var b []byte
	for _, r := range s {
		if r > 0xffff {
			r -= 0x10000
			b = appendSurrogate(b, 0xd800+(r>>10))
			b = appendSurrogate(b, 0xdc00+(r&0x3ff))
			continue
		}
		b = append(b, string(r)...)
	}
	if b == nil {
		b = []byte{}
	}
	return b
}

func TestAppendStringRoundTrip(t *testing.T) {
	for _, s := range []string{"", "short", strings.Repeat("m", 500), strings.Repeat("é", 2000), "x😀y"} {
		enc := appendString(nil, s)
		v, err := decodeHessianString(enc)
		if err != nil || v != s {
			t.Errorf("appendString(%d bytes) decodes to %d bytes, %v", len(s), len(v), err)
		}
	}
	if got, _ := decodeHessianString(appendString(nil, strings.Repeat("a", 5000))); len(got) != maxMessageUnits {
		t.Errorf("long message kept %d characters, want %d", len(got), maxMessageUnits)
	}
	if got, _ := decodeHessianString(appendString(nil, "a\xffb")); got != "a\uFFFDb" {
		t.Errorf("invalid UTF-8 became %q", got)
	}
}

func TestCountParamTypes(t *testing.T) {
	for _, tc := range []struct {
		desc string
		n    int
		ok   bool
	}{
		{"", 0, true}, {"Ljava/lang/String;", 1, true}, {"Ljava/lang/String;[IJ", 3, true},
		{"[[Ljava/lang/Object;Z", 2, true}, {"ZBCDFIJS", 8, true},
		{"[", 0, false}, {"Ljava/lang/String", 0, false}, {"L;", 0, false}, {"V", 0, false}, {"Q", 0, false},
	} {
		n, err := CountParamTypes(tc.desc)
		if n != tc.n || (err == nil) != tc.ok {
			t.Errorf("CountParamTypes(%q) = %d, %v; want %d, ok=%v", tc.desc, n, err, tc.n, tc.ok)
		}
	}
}
