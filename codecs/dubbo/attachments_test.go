package dubbo

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	hessian "github.com/apache/dubbo-go-hessian2"
)

// pojo is a Java object argument: a class definition, then instances.
type pojo struct {
	Name  string
	Age   int32
	Tags  []string
	Child *pojo
}

func (*pojo) JavaClassName() string { return "org.example.Pojo" }

var registerPojo sync.Once

// scanKeys are the keys the tests look up.
var scanKeys = []string{"timeout", "group", "version", "interface", "path", "trace-id", "absent", "n"}

// argumentSamples are invocations whose arguments cover what
// dubbo-go-hessian2 writes: every scalar, binary, lists, maps, objects
// with class definitions and back-references, chunked strings.
func argumentSamples() map[string]invocation {
	registerPojo.Do(func() { hessian.RegisterPOJO(&pojo{}) })
	shared := &pojo{Name: "shared", Tags: []string{"a"}}
	child := &pojo{Name: "kid", Age: 3}
	withArgs := func(types any, args ...any) invocation {
		inv := sayHi()
		inv.types, inv.args = types, args
		return inv
	}
	samples := map[string]invocation{
		"sayHi": sayHi(),
		"scalars": withArgs("ZIJDLjava/lang/Object;Ljava/lang/Object;Ljava/lang/Object;Ljava/lang/Object;",
			true, int32(-70000), int64(1)<<40, 3.25, nil, int64(-9), 0.0, float64(1)),
		"numbers": withArgs("IIIJJJDDD", int32(5), int32(-2000), int32(200000), int64(7), int64(-1500), int64(250000),
			float64(100), float64(-20000), 1.5e300),
		"binary":     withArgs("[B[B[B", []byte{}, bytes.Repeat([]byte{7}, 600), bytes.Repeat([]byte{9}, 70000)),
		"date":       withArgs("Ljava/util/Date;", time.UnixMilli(1700000000123)),
		"lists":      withArgs("[Ljava/lang/String;Ljava/util/List;[I", []string{"x", "y"}, []any{int32(1), "two", nil, []any{}}, []int32{1, 2, 3}),
		"maps":       withArgs("Ljava/util/Map;Ljava/util/Map;", map[string]any{"k": "v", "n": int32(1)}, map[any]any{int32(1): []byte{1}}),
		"objects":    withArgs("Lorg/example/Pojo;Lorg/example/Pojo;Lorg/example/Pojo;", &pojo{Name: "a", Child: child}, shared, shared),
		"long utf8":  withArgs("Ljava/lang/String;Ljava/lang/String;", strings.Repeat("中", 5000), "x😀y"),
		"no args":    withArgs(""),
		"null types": withArgs(nil),
	}
	none := sayHi()
	none.att = nil
	samples["null attachments"] = none
	odd := sayHi()
	odd.att = map[string]any{"timeout": int32(250), "Group": "upper", "n": int64(1) << 33, "path": []any{"x"}, "version": nil}
	samples["odd attachments"] = odd
	long := sayHi()
	long.att = map[string]any{"group": strings.Repeat("g", 5000), "timeout": "9"}
	samples["chunked value"] = long
	return samples
}

// The scanner agrees with dubbo-go-hessian2 on every sample.
func TestScanAttachmentsMatchesDecode(t *testing.T) {
	for name, inv := range argumentSamples() {
		raw := inv.frame(t, twoWay, 1)
		rb, err := DecodeRequestBody(raw)
		if err != nil {
			t.Fatalf("%s: DecodeRequestBody: %v", name, err)
		}
		out := make([]Attachment, len(scanKeys))
		if err := ScanAttachments(raw, scanKeys, out); err != nil {
			t.Fatalf("%s: ScanAttachments: %v", name, err)
		}
		checkAgainstDecoded(t, name, scanKeys, out, rb.Attachments)
	}
}

// checkAgainstDecoded compares exact matches with the decoded map.
func checkAgainstDecoded(t *testing.T, name string, keys []string, out []Attachment, att map[string]any) {
	t.Helper()
	for i, k := range keys {
		a := out[i]
		v, present := att[k]
		if !a.Exact {
			if present {
				t.Errorf("%s: %q decoded as %T, scanner found no exact key (kind %d)", name, k, v, a.Kind)
			}
			continue
		}
		switch v := v.(type) {
		case string:
			if a.Kind == AttachmentChunked {
				continue
			}
			if a.Kind != AttachmentString || cesuToUTF8(a.Value) != v {
				t.Errorf("%s: %q = %q (kind %d), decoded %q", name, k, a.Value, a.Kind, v)
			}
		case int32:
			if a.Kind != AttachmentInt || a.Int != int64(v) {
				t.Errorf("%s: %q = kind %d int %d, decoded %d", name, k, a.Kind, a.Int, v)
			}
		case int64:
			if a.Kind != AttachmentInt || a.Int != v {
				t.Errorf("%s: %q = kind %d int %d, decoded %d", name, k, a.Kind, a.Int, v)
			}
		default:
			if a.Kind != AttachmentOther {
				t.Errorf("%s: %q = kind %d, decoded %T", name, k, a.Kind, v)
			}
		}
	}
}

// cesuToUTF8 turns the surrogate pairs of a hessian2 string into UTF-8,
// as dubbo-go-hessian2 does, copying everything else.
func cesuToUTF8(b []byte) string {
	var out []byte
	for i := 0; i < len(b); {
		c := b[i]
		n := 1
		switch {
		case c&0xe0 == 0xc0:
			n = 2
		case c&0xf0 == 0xe0:
			n = 3
			if i+6 <= len(b) && surrogate(b[i:]) == highSurrogate && surrogate(b[i+3:]) == lowSurrogate {
				hi := rune(b[i]&0x0f)<<12 | rune(b[i+1]&0x3f)<<6 | rune(b[i+2]&0x3f)
				lo := rune(b[i+3]&0x0f)<<12 | rune(b[i+4]&0x3f)<<6 | rune(b[i+5]&0x3f)
				out = utf8.AppendRune(out, (hi-0xd800)<<10+(lo-0xdc00)+0x10000)
				i += 6
				continue
			}
		}
		n = min(n, len(b)-i)
		out = append(out, b[i:i+n]...)
		i += n
	}
	return string(out)
}

func TestScanAttachmentsValues(t *testing.T) {
	raw := sayHi().frame(t, twoWay, 1)
	out := make([]Attachment, len(scanKeys))
	if err := ScanAttachments(raw, scanKeys, out); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"3000", "g1", "1.0.0", greetings, greetings, "abc"} {
		if a := out[i]; a.Kind != AttachmentString || !a.Exact || a.String() != want {
			t.Errorf("%s = %+v, want %q", scanKeys[i], a, want)
		}
	}
	if out[6].Kind != AttachmentMissing {
		t.Errorf("absent = %+v", out[6])
	}
	// Case-insensitive matches, and exact ones winning over them.
	inv := sayHi()
	inv.att = map[string]any{"Tenant": "acme", "TIMEOUT": "1", "timeout": "2"}
	out = make([]Attachment, 3)
	if err := ScanAttachments(inv.frame(t, twoWay, 1), []string{"tenant", "timeout", "TENANT"}, out); err != nil {
		t.Fatal(err)
	}
	if out[0].String() != "acme" || out[0].Exact || out[1].String() != "2" || !out[1].Exact || out[2].String() != "acme" {
		t.Errorf("folded keys: %+v", out)
	}
}

// body builds a frame from hand-written hessian2 bytes after the leading
// strings, for forms dubbo-go-hessian2 does not write.
func handFrame(t *testing.T, types string, rest ...byte) []byte {
	body := encodeValues(t, "2.0.2", greetings, "1.0.0", "m", types)
	return frame(twoWay, 0, 1, append(body, rest...))
}

// attachment map 'H' "timeout" "7" 'Z'.
var timeout7 = []byte{'H', 0x07, 't', 'i', 'm', 'e', 'o', 'u', 't', 0x01, '7', 'Z'}

func TestScanAttachmentsHandWritten(t *testing.T) {
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	deep := cat(bytes.Repeat([]byte{'W'}, MaxNesting+1), bytes.Repeat([]byte{'Z'}, MaxNesting+1))
	okDeep := cat(bytes.Repeat([]byte{'W'}, MaxNesting-1), bytes.Repeat([]byte{'Z'}, MaxNesting-1))
	for _, tc := range []struct {
		name  string
		types string
		rest  []byte
		err   error
		want  Attachment // for "timeout"
	}{
		{"variable typed list", "[I", cat([]byte{'U', 0x01, 'x', 0x91, 0x92, 'Z'}, timeout7), nil, str7},
		{"fixed typed list", "[I", cat([]byte{'V', 0x01, 'x', 0x92, 0x91, 0x92}, timeout7), nil, str7},
		{"typed list with type ref", "[I", cat([]byte{0x72, 0x90, 0x91, 0x92}, timeout7), nil, str7},
		{"untyped lists", "[I[I[I", cat([]byte{'W', 0x91, 'Z', 'X', 0x91, 'N', 0x79, 'T'}, timeout7), nil, str7},
		{"typed map", "Ljava/util/Map;", cat([]byte{'M', 0x01, 'm', 0x91, 0x92, 'Z'}, timeout7), nil, str7},
		{"dates", "JJ", cat([]byte{'J', 1, 2, 3, 4, 5, 6, 7, 8, 'K', 1, 2, 3, 4}, timeout7), nil, str7},
		{"doubles", "DDDDDD", cat([]byte{0x5b, 0x5c, 0x5d, 1, 0x5e, 1, 2, 0x5f, 1, 2, 3, 4, 'D', 1, 2, 3, 4, 5, 6, 7, 8}, timeout7), nil, str7},
		{"longs", "JJJJJ", cat([]byte{0xe0, 0xf8, 1, 0x3c, 1, 2, 'Y', 1, 2, 3, 4, 'L', 1, 2, 3, 4, 5, 6, 7, 8}, timeout7), nil, str7},
		{"ints", "IIII", cat([]byte{0x90, 0xc8, 1, 0xd4, 1, 2, 'I', 1, 2, 3, 4}, timeout7), nil, str7},
		{"binary chunks", "[B", cat([]byte{'A', 0, 1, 9, 0x21, 9}, timeout7), nil, str7},
		{"medium binary", "[B", cat([]byte{0x34, 2, 9, 9}, timeout7), nil, str7},
		{"object long form", "Lx;", cat([]byte{'C', 0x01, 'P', 0x91, 0x01, 'a', 'O', 0x90, 0x91}, timeout7), nil, str7},
		{"class def before attachments", "", cat([]byte{'C', 0x01, 'P', 0x90}, timeout7), nil, str7},
		{"ref argument", "Lx;", cat([]byte{'Q', 0x90}, timeout7), nil, str7},
		{"bool and null", "ZLx;", cat([]byte{'F', 'N'}, timeout7), nil, str7},
		{"int timeout", "", []byte{'H', 0x07, 't', 'i', 'm', 'e', 'o', 'u', 't', 0xd4, 0x01, 0x00, 'Z'}, nil,
			Attachment{Kind: AttachmentInt, Int: 256, Exact: true}},
		{"long timeout", "", []byte{'H', 0x07, 't', 'i', 'm', 'e', 'o', 'u', 't', 'Y', 0, 0, 1, 0, 'Z'}, nil,
			Attachment{Kind: AttachmentInt, Int: 256, Exact: true}},
		{"non-string keys skipped", "", []byte{'H', 0x91, 0x01, 'x', 'N', 0x01, 'y', 'Z'}, nil, Attachment{}},
		{"duplicate key: last wins", "", cat([]byte{'H', 0x07, 't', 'i', 'm', 'e', 'o', 'u', 't', 0x01, '1'}, timeout7[1:]), nil, str7},
		{"null attachments", "", []byte{'N'}, nil, Attachment{}},
		{"nesting at the limit", "Lx;", cat(okDeep, timeout7), nil, str7},

		{"nesting past the limit", "Lx;", cat(deep, timeout7), ErrUnsupportedBody, Attachment{}},
		{"attachments by reference", "", []byte{'Q', 0x90}, ErrUnsupportedBody, Attachment{}},
		{"attachments as an object", "", []byte{'C', 0x01, 'P', 0x91, 0x01, 'a', 0x60, 0x01, 'x'}, ErrUnsupportedBody, Attachment{}},
		{"chunked key", "", []byte{'H', 'R', 0, 1, 't', 0x06, 'i', 'm', 'e', 'o', 'u', 't', 0x01, '7', 'Z'}, ErrUnsupportedBody, Attachment{}},
		{"attachments not a map", "", []byte{0x91}, ErrMalformedBody, Attachment{}},
		{"no attachments", "", nil, ErrMalformedBody, Attachment{}},
		{"huge list count", "Lx;", cat([]byte{'X', 'I', 0x7f, 0xff, 0xff, 0xff}, timeout7), ErrMalformedBody, Attachment{}},
		{"huge class def", "", []byte{'C', 0x01, 'P', 'I', 0x7f, 0xff, 0xff, 0xff}, ErrMalformedBody, Attachment{}},
		{"object of an unknown class", "Lx;", cat([]byte{0x61}, timeout7), ErrMalformedBody, Attachment{}},
		{"reserved tag", "Lx;", cat([]byte{'@'}, timeout7), ErrMalformedBody, Attachment{}},
		{"stray end", "Lx;", cat([]byte{'Z'}, timeout7), ErrMalformedBody, Attachment{}},
		{"fewer arguments than types", "II", cat([]byte{0x91}, timeout7), ErrMalformedBody, Attachment{}},
		{"bad descriptor", "Q", timeout7, ErrMalformedBody, Attachment{}},
		{"lone high surrogate", "Ljava/lang/String;", cat([]byte{0x01, 0xed, 0xa0, 0x80}, timeout7), ErrMalformedBody, Attachment{}},
		{"four-byte utf8", "Ljava/lang/String;", cat([]byte{0x01, 0xf0, 0x9f, 0x98, 0x80}, timeout7), ErrMalformedBody, Attachment{}},
	} {
		out := make([]Attachment, 1)
		raw := handFrame(t, tc.types, tc.rest...)
		err := ScanAttachments(raw, []string{"timeout"}, out)
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.err)
			continue
		}
		if got := out[0]; got.Kind != tc.want.Kind || string(got.Value) != string(tc.want.Value) || got.Int != tc.want.Int || got.Exact != tc.want.Exact {
			t.Errorf("%s: timeout = %+v, want %+v", tc.name, got, tc.want)
		}
		// DecodeRequestBody refuses what cannot be walked and agrees with
		// the scanner on the rest.
		rb, derr := DecodeRequestBody(raw)
		switch {
		case errors.Is(tc.err, ErrMalformedBody) && derr == nil:
			t.Errorf("%s: DecodeRequestBody accepted a body the walk refuses", tc.name)
		case tc.err == nil && derr == nil:
			checkAgainstDecoded(t, tc.name, []string{"timeout"}, out, rb.Attachments)
		}
	}
}

var str7 = Attachment{Kind: AttachmentString, Value: []byte("7"), Exact: true}

func TestScanAttachmentsRefusesOtherFrames(t *testing.T) {
	raw := sayHi().frame(t, twoWay, 1)
	other := bytes.Clone(raw)
	other[offFlag] = FlagRequest | FlagTwoWay | 3
	out := make([]Attachment, 1)
	for name, tc := range map[string]struct {
		raw []byte
		err error
	}{
		"short":         {raw[:10], ErrMalformedBody},
		"length":        {raw[:len(raw)-1], ErrMalformedBody},
		"response":      {response(t, 1, ResponseValue, "x"), ErrMalformedBody},
		"heartbeat":     {AppendHeartbeat(nil, 1), ErrMalformedBody},
		"serialization": {other, ErrNotHessian2},
	} {
		if err := ScanAttachments(tc.raw, []string{"timeout"}, out); !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", name, err, tc.err)
		}
	}
}

// Every truncated body fails cleanly: the attachments map ends the body,
// so no strict prefix holds a complete request.
func TestScanAttachmentsEveryPrefix(t *testing.T) {
	out := make([]Attachment, len(scanKeys))
	for name, inv := range argumentSamples() {
		raw := inv.frame(t, twoWay, 1)
		body := raw[HeaderLen:]
		for n := range len(body) {
			cut := frame(twoWay, 0, 1, body[:n])
			if err := ScanAttachments(cut, scanKeys, out); !errors.Is(err, ErrMalformedBody) {
				t.Fatalf("%s: body cut to %d of %d bytes: %v, want ErrMalformedBody", name, n, len(body), err)
			}
			for i := range out {
				if out[i].Kind != AttachmentMissing {
					t.Fatalf("%s: cut to %d: out[%d] not cleared", name, n, i)
				}
			}
		}
	}
}

func TestScanAttachmentsAllocs(t *testing.T) {
	raw := argumentSamples()["objects"].frame(t, twoWay, 1)
	out := make([]Attachment, len(scanKeys))
	if n := testing.AllocsPerRun(100, func() {
		if err := ScanAttachments(raw, scanKeys, out); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("ScanAttachments allocates %.1f times per call", n)
	}
}
