package telemetry

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// defaultAccessLogFormat is Envoy's default access log format. Its
// %REQ(...)% and %RESP(...)% operators read HTTP headers, which
// connection logs do not have; they print "-" as Envoy does for TCP.
const defaultAccessLogFormat = `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" ` +
	`%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ` +
	`%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ` +
	`"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"` + "\n"

// FormatError is an access log format that does not parse. Operator is
// the offending command operator without its percent signs, when there is
// one.
type FormatError struct {
	Key      string // JSON key whose value is at fault; "" for text formats
	Pos      int    // byte offset in the format string
	Operator string
	Err      error
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("parse access log format")
	if e.Key != "" {
		fmt.Fprintf(&b, " (json key %q)", e.Key)
	}
	fmt.Fprintf(&b, " at position %d", e.Pos)
	if e.Operator != "" {
		fmt.Fprintf(&b, ", operator %%%s%%", e.Operator)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *FormatError) Unwrap() error { return e.Err }

// Errors wrapped by FormatError.
var (
	ErrUnknownOperator = errors.New("unsupported command operator")
	ErrBadOperator     = errors.New("malformed command operator")
	ErrBothFormats     = errors.New("both text and json formats are set")
)

// ValidateAccessLogFormat checks a text format or a JSON format (at most
// one may be set; both empty means Envoy's default). An unsupported
// command operator is an error naming it.
func ValidateAccessLogFormat(text string, json map[string]string) error {
	_, err := compileAccessLogFormat(text, json)
	return err
}

// logFormat is a compiled access log format.
type logFormat struct {
	text []segment   // text format; nil for JSON
	json []jsonField // JSON format, keys sorted
}

// jsonField is one key of a JSON format.
type jsonField struct {
	prefix string // `"key":` preceded by ',' except for the first key
	segs   []segment
	// typed is set when the value is exactly one operator: it is then
	// rendered as a JSON number where the operator is numeric, and as null
	// when unset, as Envoy's typed JSON formatter does.
	typed bool
}

func compileAccessLogFormat(text string, json map[string]string) (*logFormat, error) {
	switch {
	case text != "" && len(json) > 0:
		return nil, &FormatError{Err: ErrBothFormats}
	case len(json) > 0:
		return compileJSON(json)
	case text == "":
		segs, err := parseFormat(defaultAccessLogFormat)
		if err != nil {
			panic("telemetry: default access log format: " + err.Error())
		}
		return &logFormat{text: segs}, nil
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	segs, err := parseFormat(text)
	if err != nil {
		return nil, err
	}
	return &logFormat{text: segs}, nil
}

func compileJSON(json map[string]string) (*logFormat, error) {
	keys := make([]string, 0, len(json))
	for k := range json {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	f := &logFormat{json: make([]jsonField, 0, len(keys))}
	for i, k := range keys {
		segs, err := parseFormat(json[k])
		if err != nil {
			var fe *FormatError
			if errors.As(err, &fe) {
				fe.Key = k
			}
			return nil, err
		}
		prefix := appendJSONString(nil, k)
		if i > 0 {
			prefix = append([]byte{','}, prefix...)
		}
		f.json = append(f.json, jsonField{
			prefix: string(append(prefix, ':')),
			segs:   segs,
			typed:  len(segs) == 1 && segs[0].op != opLiteral,
		})
	}
	return f, nil
}

// parseFormat splits an Envoy format string into literal text and command
// operators: %NAME%, %NAME(ARG)%, %NAME:LEN% or %NAME(ARG):LEN%, where
// NAME is upper case letters, digits and underscores. "%%" is a literal
// percent sign.
func parseFormat(format string) ([]segment, error) {
	var segs []segment
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{op: opLiteral, lit: lit.String()})
			lit.Reset()
		}
	}
	for pos := 0; pos < len(format); {
		c := format[pos]
		if c != '%' {
			lit.WriteByte(c)
			pos++
			continue
		}
		if pos+1 < len(format) && format[pos+1] == '%' {
			lit.WriteByte('%')
			pos += 2
			continue
		}
		cmd, n, err := scanCommand(format[pos:])
		if err != nil {
			return nil, &FormatError{Pos: pos, Operator: cmd.name, Err: err}
		}
		seg, err := cmd.compile()
		if err != nil {
			return nil, &FormatError{Pos: pos, Operator: cmd.name, Err: err}
		}
		flush()
		segs = append(segs, seg)
		pos += n
	}
	flush()
	return segs, nil
}

// command is a scanned %NAME(ARG):LEN% operator.
type command struct {
	name   string
	arg    string
	hasArg bool
	maxLen int // 0: no truncation
}

// scanCommand scans the operator at the start of s (which begins with
// '%') and returns it with the number of bytes it spans.
func scanCommand(s string) (command, int, error) {
	var cmd command
	i := 1
	for i < len(s) && isOperatorByte(s[i]) {
		i++
	}
	cmd.name = s[1:i]
	if cmd.name == "" || cmd.name[0] < 'A' || cmd.name[0] > 'Z' || cmd.name[len(cmd.name)-1] == '_' {
		return cmd, 0, fmt.Errorf("%w: expected %%NAME%% after '%%' (write %%%% for a literal percent sign)", ErrBadOperator)
	}
	if i < len(s) && s[i] == '(' {
		end := strings.IndexByte(s[i:], ')')
		if end < 0 {
			return cmd, 0, fmt.Errorf("%w: unterminated '('", ErrBadOperator)
		}
		cmd.arg, cmd.hasArg = s[i+1:i+end], true
		i += end + 1
	}
	if i < len(s) && s[i] == ':' {
		j := i + 1
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(s[i+1 : j])
		if err != nil || n <= 0 {
			return cmd, 0, fmt.Errorf("%w: length after ':' must be a positive integer", ErrBadOperator)
		}
		cmd.maxLen = n
		i = j
	}
	if i >= len(s) || s[i] != '%' {
		return cmd, 0, fmt.Errorf("%w: missing closing '%%'", ErrBadOperator)
	}
	return cmd, i + 1, nil
}

func isOperatorByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// compile turns a scanned command into a segment.
func (c command) compile() (segment, error) {
	if op, ok := headerOperators[c.name]; ok {
		return compileHeaderOperator(op, c)
	}
	op, ok := operatorsByName[c.name]
	if !ok {
		return segment{}, ErrUnknownOperator
	}
	seg := segment{op: op, maxLen: c.maxLen}
	switch {
	case op == opStartTime && c.hasArg && c.arg != "":
		tf, err := compileStrftime(c.arg)
		if err != nil {
			return segment{}, fmt.Errorf("%w: %w", ErrBadOperator, err)
		}
		seg.time = tf
	case c.hasArg && op != opStartTime:
		return segment{}, fmt.Errorf("%w: %%%s%% takes no argument", ErrBadOperator, c.name)
	}
	return seg, nil
}
