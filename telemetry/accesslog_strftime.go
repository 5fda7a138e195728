package telemetry

import (
	"fmt"
	"strconv"
	"time"
)

// timeFormat is a compiled strftime-style format for %START_TIME(...)%.
// Times are always printed in UTC, as Envoy does.
//
// Supported specifiers: %Y %y %C %m %d %e %H %I %M %S %p %j %a %A %b %h
// %B %u %w %Z %z %Ez %s, the fractional seconds %f (9 digits) and %1f ..
// %9f, Abseil's %E#S (seconds with # fractional digits, 0-9) and %E*S
// (seconds with all non-zero fractional digits), the shorthands %T %F %D
// %R, and %n %t %%.
type timeFormat struct {
	parts []timePart
}

// specEz marks Abseil's %Ez (offset with a colon) in timePart.spec.
const specEz = '['

type timePart struct {
	spec byte   // 0 for literal text
	lit  string // spec == 0
	n    int    // digits for 'f' and 'S' (Abseil %E#S); -1 for %E*S
}

func compileStrftime(f string) (*timeFormat, error) {
	tf := &timeFormat{}
	lit := make([]byte, 0, len(f))
	flush := func() {
		if len(lit) > 0 {
			tf.parts = append(tf.parts, timePart{lit: string(lit)})
			lit = lit[:0]
		}
	}
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			lit = append(lit, f[i])
			continue
		}
		i++
		if i >= len(f) {
			return nil, fmt.Errorf("time format %q ends with '%%'", f)
		}
		switch c := f[i]; {
		case c == '%':
			lit = append(lit, '%')
		case c == 'n':
			lit = append(lit, '\n')
		case c == 't':
			lit = append(lit, '\t')
		case c >= '1' && c <= '9' && i+1 < len(f) && f[i+1] == 'f':
			flush()
			tf.parts = append(tf.parts, timePart{spec: 'f', n: int(c - '0')})
			i++
		case c == 'f':
			flush()
			tf.parts = append(tf.parts, timePart{spec: 'f', n: 9})
		case c == 'E':
			part, n, err := compileAbseilE(f[i+1:])
			if err != nil {
				return nil, fmt.Errorf("time format %q: %w", f, err)
			}
			flush()
			tf.parts = append(tf.parts, part)
			i += n
		case isTimeSpec(c):
			flush()
			tf.parts = append(tf.parts, timePart{spec: c})
		default:
			return nil, fmt.Errorf("time format %q: unsupported specifier %%%c", f, c)
		}
	}
	flush()
	return tf, nil
}

// compileAbseilE compiles what follows "%E": "#S", "*S" or "z". It
// returns the part and how many bytes it consumed.
func compileAbseilE(s string) (timePart, int, error) {
	switch {
	case len(s) >= 1 && s[0] == 'z':
		return timePart{spec: specEz}, 1, nil
	case len(s) >= 2 && s[0] == '*' && s[1] == 'S':
		return timePart{spec: 'S', n: -1}, 2, nil
	case len(s) >= 2 && s[0] >= '0' && s[0] <= '9' && s[1] == 'S':
		return timePart{spec: 'S', n: int(s[0] - '0')}, 2, nil
	}
	return timePart{}, 0, fmt.Errorf("unsupported specifier %%E%.2s", s)
}

func isTimeSpec(c byte) bool {
	switch c {
	case 'Y', 'y', 'C', 'm', 'd', 'e', 'H', 'I', 'M', 'S', 'p', 'j', 'a', 'A', 'b', 'h', 'B', 'u', 'w', 'Z', 'z', 's', 'T', 'F', 'D', 'R':
		return true
	}
	return false
}

// append formats t (already in UTC) at the end of b.
func (tf *timeFormat) append(b []byte, t time.Time) []byte {
	for _, p := range tf.parts {
		if p.spec == 0 {
			b = append(b, p.lit...)
			continue
		}
		b = appendTimeSpec(b, t, p)
	}
	return b
}

func appendTimeSpec(b []byte, t time.Time, p timePart) []byte {
	switch p.spec {
	case 'Y':
		return appendPadded(b, t.Year(), 4)
	case 'y':
		return appendPadded(b, t.Year()%100, 2)
	case 'C':
		return appendPadded(b, t.Year()/100, 2)
	case 'm':
		return appendPadded(b, int(t.Month()), 2)
	case 'd':
		return appendPadded(b, t.Day(), 2)
	case 'e':
		if t.Day() < 10 {
			b = append(b, ' ')
		}
		return strconv.AppendInt(b, int64(t.Day()), 10)
	case 'H':
		return appendPadded(b, t.Hour(), 2)
	case 'I':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return appendPadded(b, h, 2)
	case 'M':
		return appendPadded(b, t.Minute(), 2)
	case 'S':
		return appendSeconds(b, t, p.n)
	case 'p':
		if t.Hour() < 12 {
			return append(b, "AM"...)
		}
		return append(b, "PM"...)
	case 'j':
		return appendPadded(b, t.YearDay(), 3)
	case 'a':
		return append(b, t.Weekday().String()[:3]...)
	case 'A':
		return append(b, t.Weekday().String()...)
	case 'b', 'h':
		return append(b, t.Month().String()[:3]...)
	case 'B':
		return append(b, t.Month().String()...)
	case 'u':
		wd := int(t.Weekday())
		if wd == 0 {
			wd = 7
		}
		return strconv.AppendInt(b, int64(wd), 10)
	case 'w':
		return strconv.AppendInt(b, int64(t.Weekday()), 10)
	case 'Z':
		return append(b, "UTC"...)
	case 'z':
		return append(b, "+0000"...)
	case specEz:
		return append(b, "+00:00"...)
	case 's':
		return strconv.AppendInt(b, t.Unix(), 10)
	case 'f':
		return appendFraction(b, t.Nanosecond(), p.n)
	case 'T':
		return t.AppendFormat(b, "15:04:05")
	case 'F':
		return t.AppendFormat(b, "2006-01-02")
	case 'D':
		return t.AppendFormat(b, "01/02/06")
	case 'R':
		return t.AppendFormat(b, "15:04")
	}
	return b
}

// appendSeconds prints two-digit seconds followed by n fractional digits
// (Abseil's %E#S); n == -1 prints every digit up to the last non-zero one
// (%E*S); n == 0 prints just the seconds.
func appendSeconds(b []byte, t time.Time, n int) []byte {
	b = appendPadded(b, t.Second(), 2)
	ns := t.Nanosecond()
	switch {
	case n > 0:
		b = append(b, '.')
		return appendFraction(b, ns, n)
	case n < 0 && ns != 0:
		b = append(b, '.')
		digits := 9
		for ns%10 == 0 {
			ns /= 10
			digits--
		}
		return appendPadded(b, ns, digits)
	}
	return b
}

// appendFraction prints the first n digits of a nanosecond fraction.
func appendFraction(b []byte, ns, n int) []byte {
	for i := n; i < 9; i++ {
		ns /= 10
	}
	return appendPadded(b, ns, n)
}

// appendPadded prints v with at least width digits, zero padded.
func appendPadded(b []byte, v, width int) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var tmp [20]byte
	i := len(tmp)
	for v > 0 || len(tmp)-i < width || i == len(tmp) {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, tmp[i:]...)
}
