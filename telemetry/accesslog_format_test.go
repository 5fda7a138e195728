package telemetry

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// tcpEntry is a finished tcp_proxy connection.
func tcpEntry() *AccessLogEntry {
	return &AccessLogEntry{
		StartTime:               time.Date(2016, 4, 15, 20, 17, 0, 310_123_456, time.UTC),
		Duration:                226*time.Millisecond + 900*time.Microsecond,
		BytesReceived:           154,
		BytesSent:               77,
		DownstreamRemoteAddress: "10.0.35.28:51234",
		DownstreamLocalAddress:  "[::1]:10000",
		UpstreamHost:            "10.0.2.1:80",
		UpstreamCluster:         "backend",
		UpstreamLocalAddress:    "10.0.0.5:40000",
		ConnectionID:            42,
	}
}

func render(t *testing.T, text string, json map[string]string, e *AccessLogEntry) string {
	t.Helper()
	f, err := compileAccessLogFormat(text, json)
	if err != nil {
		t.Fatalf("compile %q %v: %v", text, json, err)
	}
	var scratch []byte
	return string(f.appendLine(nil, e, &scratch))
}

func TestOperators(t *testing.T) {
	full := tcpEntry()
	full.ResponseFlags = "UF,URX"
	full.RequestedServerName = "api.example.com"
	full.ConnectionTerminationDetails = "idle_timeout"
	full.Protocol = "redis"
	full.ResponseCode = "200"
	empty := &AccessLogEntry{}
	tests := []struct {
		format     string
		full, zero string
	}{
		{"%START_TIME%", "2016-04-15T20:17:00.310Z", "-"},
		{"%DURATION%", "226", "0"},
		{"%BYTES_RECEIVED%", "154", "0"},
		{"%BYTES_SENT%", "77", "0"},
		{"%DOWNSTREAM_REMOTE_ADDRESS%", "10.0.35.28:51234", "-"},
		{"%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", "10.0.35.28", "-"},
		{"%DOWNSTREAM_LOCAL_ADDRESS%", "[::1]:10000", "-"},
		{"%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%", "::1", "-"},
		{"%UPSTREAM_HOST%", "10.0.2.1:80", "-"},
		{"%UPSTREAM_CLUSTER%", "backend", "-"},
		{"%UPSTREAM_LOCAL_ADDRESS%", "10.0.0.5:40000", "-"},
		{"%RESPONSE_FLAGS%", "UF,URX", "-"},
		{"%CONNECTION_ID%", "42", "0"},
		{"%REQUESTED_SERVER_NAME%", "api.example.com", "-"},
		{"%CONNECTION_TERMINATION_DETAILS%", "idle_timeout", "-"},
		{"%PROTOCOL%", "redis", "-"},
		{"%RESPONSE_CODE%", "200", "0"},
		{"%HOSTNAME%", mustHostname(t), mustHostname(t)},
		{"plain text", "plain text", "plain text"},
		{"100%% %UPSTREAM_CLUSTER%", "100% backend", "100% -"},
		{"%UPSTREAM_CLUSTER:3%|%UPSTREAM_HOST:100%", "bac|10.0.2.1:80", "-|-"},
		{"%START_TIME(%s.%3f)%", "1460751420.310", "-"},
		{"%START_TIME()%", "2016-04-15T20:17:00.310Z", "-"},
		{"[%START_TIME%] %BYTES_RECEIVED%/%BYTES_SENT%", "[2016-04-15T20:17:00.310Z] 154/77", "[-] 0/0"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			if got := render(t, tt.format, nil, full); got != tt.full+"\n" {
				t.Errorf("full entry: got %q, want %q", got, tt.full+"\n")
			}
			if got := render(t, tt.format, nil, empty); got != tt.zero+"\n" {
				t.Errorf("empty entry: got %q, want %q", got, tt.zero+"\n")
			}
		})
	}
}

func mustHostname(t *testing.T) string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		t.Fatalf("os.Hostname: %q %v", h, err)
	}
	return h
}

func TestTrailingNewline(t *testing.T) {
	if got := render(t, "%BYTES_SENT%\n", nil, tcpEntry()); got != "77\n" {
		t.Errorf("format ending in newline got another: %q", got)
	}
}

func TestDefaultFormat(t *testing.T) {
	// What Envoy prints for a TCP connection with its default format.
	want := `[2016-04-15T20:17:00.310Z] "- - -" 0 - 154 77 226 - "-" "-" "-" "-" "10.0.2.1:80"` + "\n"
	if got := render(t, "", nil, tcpEntry()); got != want {
		t.Errorf("default format:\n got %q\nwant %q", got, want)
	}
}

func TestJSONFormat(t *testing.T) {
	format := map[string]string{
		"start":     "%START_TIME%",
		"duration":  "%DURATION%",
		"rx":        "%BYTES_RECEIVED%",
		"tx":        "%BYTES_SENT%",
		"conn":      "%CONNECTION_ID%",
		"code":      "%RESPONSE_CODE%",
		"upstream":  "%UPSTREAM_HOST%",
		"sni":       "%REQUESTED_SERVER_NAME%",
		"flags":     "%RESPONSE_FLAGS%",
		"protocol":  "%PROTOCOL%",
		"mixed":     "%DURATION%ms to %UPSTREAM_CLUSTER% via %REQUESTED_SERVER_NAME%",
		"literal":   "tcp \"quoted\" \\ \x01",
		"truncated": "%UPSTREAM_CLUSTER:4%",
	}
	e := tcpEntry()
	e.ConnectionTerminationDetails = "x"
	line := render(t, "", format, e)
	if !strings.HasSuffix(line, "}\n") || strings.Count(line, "\n") != 1 {
		t.Fatalf("not one JSON object per line: %q", line)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatalf("unmarshal %q: %v", line, err)
	}
	want := map[string]any{
		"start":     "2016-04-15T20:17:00.310Z",
		"duration":  float64(226),
		"rx":        float64(154),
		"tx":        float64(77),
		"conn":      float64(42),
		"code":      float64(0),
		"upstream":  "10.0.2.1:80",
		"sni":       nil,
		"flags":     "-",
		"protocol":  "-",
		"mixed":     "226ms to backend via -",
		"literal":   "tcp \"quoted\" \\ \x01",
		"truncated": "back",
	}
	if len(got) != len(want) {
		t.Errorf("got %d keys, want %d: %v", len(got), len(want), got)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
	// Keys are sorted, so lines are stable.
	if !strings.HasPrefix(line, `{"code":0,"conn":42,"duration":226,"flags":"-",`) {
		t.Errorf("key order: %s", line)
	}
	e.ResponseCode = "ERR"
	if !strings.Contains(render(t, "", map[string]string{"code": "%RESPONSE_CODE%"}, e), `"code":"ERR"`) {
		t.Errorf("non-numeric response code not rendered as a string")
	}
}

func TestFormatErrors(t *testing.T) {
	tests := []struct {
		text string
		json map[string]string
		is   error
		want string
	}{
		{text: "%FOO%", is: ErrUnknownOperator, want: "operator %FOO%"},
		{text: "ok %BYTES_SENT% %REQS(:PATH)%", is: ErrUnknownOperator, want: "at position 16, operator %REQS%"},
		{text: "%REQ%", is: ErrBadOperator, want: "needs a header name"},
		{text: "%RESP(a b)%", is: ErrBadOperator, want: `"a b" is not a header name`},
		{text: "%RESP(:PATH)%", is: ErrBadOperator, want: `":path" is not a header name`},
		{text: "%UPSTREAM_HOST", is: ErrBadOperator, want: "missing closing '%'"},
		{text: "50% off", is: ErrBadOperator, want: "at position 2"},
		{text: "%%%", is: ErrBadOperator, want: "at position 2"},
		{text: "%START_TIME(%Y%%", is: ErrBadOperator, want: "unterminated '('"},
		{text: "%DURATION(x)%", is: ErrBadOperator, want: "takes no argument"},
		{text: "%DURATION:0%", is: ErrBadOperator, want: "positive integer"},
		{text: "%START_TIME(%Q)%", is: ErrBadOperator, want: "unsupported specifier %Q"},
		{text: "%BYTES_SENT_%", is: ErrBadOperator, want: "expected %NAME%"},
		{text: "%bytes_sent%", is: ErrBadOperator, want: "expected %NAME%"},
		{json: map[string]string{"a": "%DURATION%", "b": "%NOPE%"}, is: ErrUnknownOperator, want: `json key "b"`},
		{text: "x", json: map[string]string{"a": "b"}, is: ErrBothFormats, want: "both text and json"},
	}
	for _, tt := range tests {
		err := ValidateAccessLogFormat(tt.text, tt.json)
		if !errors.Is(err, tt.is) {
			t.Errorf("%q %v: error %v, want %v", tt.text, tt.json, err, tt.is)
			continue
		}
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%q: %T is not a *FormatError", tt.text, err)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %q lacks %q", tt.text, err, tt.want)
		}
	}
	for _, ok := range []string{"", "%%", "a%%b", "%START_TIME(%Y-%m-%dT%H:%M:%E3SZ)%", "%HOSTNAME:10%"} {
		if err := ValidateAccessLogFormat(ok, nil); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

func TestStrftime(t *testing.T) {
	ts := time.Date(2024, 3, 5, 7, 8, 9, 123_450_000, time.UTC)
	pm := time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)
	tests := []struct {
		format string
		t      time.Time
		want   string
	}{
		{"%Y-%m-%dT%H:%M:%S", ts, "2024-03-05T07:08:09"},
		{"%Y-%m-%dT%H:%M:%E3SZ", ts, "2024-03-05T07:08:09.123Z"},
		{"%E6S|%E0S|%E*S", ts, "09.123450|09|09.12345"},
		{"%E*S", pm, "59"},
		{"%s.%3f %s.%6f %s.%9f %f %1f", ts, "1709622489.123 1709622489.123450 1709622489.123450000 123450000 1"},
		{"%y %C %j %e %I %p %u %w", ts, "24 20 065  5 07 AM 2 2"},
		{"%I %p %u %w %e", pm, "11 PM 5 5 31"},
		{"%a %A %b %h %B", ts, "Tue Tuesday Mar Mar March"},
		{"%T %F %D %R", ts, "07:08:09 2024-03-05 03/05/24 07:08"},
		{"%Z %z %Ez", ts, "UTC +0000 +00:00"},
		{"%%%n%t", ts, "%\n\t"},
		{"%I", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "12"},
	}
	for _, tt := range tests {
		tf, err := compileStrftime(tt.format)
		if err != nil {
			t.Errorf("%q: %v", tt.format, err)
			continue
		}
		if got := string(tf.append(nil, tt.t)); got != tt.want {
			t.Errorf("%q = %q, want %q", tt.format, got, tt.want)
		}
	}
	for _, bad := range []string{"%", "%Q", "%E", "%E4", "%Ex", "%0f"} {
		if _, err := compileStrftime(bad); err == nil {
			t.Errorf("%q compiled, want error", bad)
		}
	}
}

func TestStartTimeIsUTC(t *testing.T) {
	e := tcpEntry()
	e.StartTime = e.StartTime.In(time.FixedZone("X", 5*3600))
	if got := render(t, "%START_TIME% %START_TIME(%H)%", nil, e); got != "2016-04-15T20:17:00.310Z 20\n" {
		t.Errorf("got %q", got)
	}
}

func FuzzParseAccessLogFormat(f *testing.F) {
	for _, s := range []string{defaultAccessLogFormat, "%START_TIME(%s.%3f)%", "%%%", "%A(", "%UPSTREAM_HOST:5%", "%E*S", "%REQ(a?b):3%"} {
		f.Add(s)
	}
	e := tcpEntry()
	f.Fuzz(func(t *testing.T, format string) {
		text, err := compileAccessLogFormat(format, nil)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FormatError: %v", err, err)
			}
			return
		}
		var scratch []byte
		line := text.appendLine(nil, e, &scratch)
		if len(line) == 0 || line[len(line)-1] != '\n' {
			t.Fatalf("line %q does not end in a newline", line)
		}
		js, err := compileAccessLogFormat("", map[string]string{"k": format})
		if err != nil {
			t.Fatalf("text format compiled but JSON value did not: %v", err)
		}
		if out := js.appendLine(nil, e, &scratch); !json.Valid(out) {
			t.Fatalf("invalid JSON %q", out)
		}
	})
}

func TestAppendDefaultTime(t *testing.T) {
	for _, ts := range []time.Time{
		time.Date(2016, 4, 15, 20, 17, 0, 310_999_999, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Unix(1_700_000_000, 5_000_000).UTC(),
	} {
		want := ts.Format("2006-01-02T15:04:05.000Z")
		if got := string(appendDefaultTime(nil, ts)); got != want {
			t.Errorf("appendDefaultTime(%v) = %q, want %q", ts, got, want)
		}
	}
}
