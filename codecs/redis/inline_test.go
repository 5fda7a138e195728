package redis

import (
	"fmt"
	"testing"
)

func TestInlineTokens(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string // nil with bad
		bad  bool
	}{
		{"", []string{}, false},
		{"   \t ", []string{}, false},
		{"a b  c", []string{"a", "b", "c"}, false},
		{"\va\f b", []string{"a\f", "b"}, false},
		{"a\vb", []string{"a\vb"}, false},
		{`"a b" 'c d'`, []string{"a b", "c d"}, false},
		{`""`, []string{""}, false},
		{`''`, []string{""}, false},
		{`"a\"b\\c"`, []string{`a"b\c`}, false},
		{`"\x41\x4a\x4" x`, []string{"AJx4", "x"}, false},
		{`"\n\r\t\b\a\q"`, []string{"\n\r\t\b\aq"}, false},
		{`'a\'b\n'`, []string{`a'b\n`}, false},
		{`foo"bar baz"`, []string{"foobar baz"}, false},
		{`x'y z'`, []string{"xy z"}, false},
		{`a"b"` + "\tc", []string{"ab", "c"}, false},
		{`"x"` + "\v", []string{"x"}, false},
		{"a\x00b c", []string{"a"}, false},
		{"\x00a", []string{}, false},
		{`"abc`, nil, true},
		{`'abc`, nil, true},
		{`"abc"d`, nil, true},
		{`'abc'd`, nil, true},
		{"\"a\x00\"", nil, true},
		{`"a\`, nil, true},
		{`"ab\"`, nil, true},
	} {
		n, ok := countTokens([]byte(tc.line))
		if ok == tc.bad {
			t.Errorf("%q: ok=%v, want %v", tc.line, ok, !tc.bad)
			continue
		}
		if tc.bad {
			continue
		}
		var got []string
		for p := 0; ; {
			tok, found, bad := nextToken([]byte(tc.line), p)
			if bad || !found {
				break
			}
			got = append(got, string(tok.value([]byte(tc.line))))
			p = tok.next
		}
		if n != len(tc.want) || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) && len(tc.want) > 0 {
			t.Errorf("%q: %d tokens %q, want %q", tc.line, n, got, tc.want)
		}
	}
}

func TestInlineTokenAliases(t *testing.T) {
	line := []byte(`plain "quoted" "esc\n"`)
	var kinds []tokenKind
	for p := 0; ; {
		tok, found, _ := nextToken(line, p)
		if !found {
			break
		}
		kinds = append(kinds, tok.kind)
		v := tok.value(line)
		if aliases := len(v) > 0 && &v[0] == &line[tok.start+int(min(tok.kind, 1))]; aliases != (tok.kind != tokenComplex) {
			t.Errorf("token %q (kind %d): aliases line = %v", v, tok.kind, aliases)
		}
		p = tok.next
	}
	if fmt.Sprint(kinds) != fmt.Sprint([]tokenKind{tokenPlain, tokenQuoted, tokenComplex}) {
		t.Errorf("kinds %v", kinds)
	}
}
