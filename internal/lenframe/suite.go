package lenframe

import (
	"strings"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/codectest"
)

// Suite returns the conformance suite of the flavour's codec.
func Suite(fl Flavour) codectest.Suite {
	c := New(fl)
	name := c.Name()
	var id uint64
	nextID := func() uint64 {
		if fl == Multiplexed {
			id += 0x1111
		}
		return id
	}
	req := func(sname string, replies byte, method, key, body string) codectest.Sample {
		i := nextID()
		a := codecs.Attributes{Protocol: name, Method: []byte(method)}
		if key != "" {
			a.AddKey([]byte(key))
		}
		kind := codecs.KindRequest
		if replies == 0 {
			kind = codecs.KindOneWay
		}
		return codectest.Sample{Name: sname, Wire: fl.AppendRequest(nil, i, replies, method, key, body), Kind: kind, ID: i, Attrs: a}
	}
	resp := func(sname string, st codecs.Status, body string) codectest.Sample {
		i := nextID()
		a := codecs.Attributes{Protocol: name, Status: st, Code: int32(st)}
		return codectest.Sample{Name: sname, Wire: fl.AppendResponse(nil, i, st, body), Kind: codecs.KindResponse, ID: i, Attrs: a}
	}
	event := func(sname string, k codecs.Kind, aux byte, body string) codectest.Sample {
		i := nextID()
		return codectest.Sample{Name: sname, Wire: fl.Append(nil, Header{Kind: k, Aux: aux, ID: i}, []byte(body)),
			Kind: k, ID: i, Attrs: codecs.Attributes{Protocol: name}}
	}
	get := req("get", 1, "GET", "user:1", "")
	requests := []codectest.Sample{
		get,
		req("set", 1, "SET", "k", "value"),
		req("no-key", 1, "PING", "", ""),
		req("oneway", 0, "LOG", "line", "text"),
		req("big", 1, "PUT", "blob", strings.Repeat("x", 3000)),
		event("heartbeat", codecs.KindEvent, 1, "ping"),
	}
	if fl == Pipelined {
		requests = append(requests, req("subscribe-3", 3, "SUB", "ch", ""))
	}
	return codectest.Suite{
		Codec:    c,
		Requests: requests,
		Responses: []codectest.Sample{
			resp("ok", codecs.StatusOK, "hello"),
			resp("error", codecs.StatusError, "boom"),
			resp("empty", codecs.StatusOK, ""),
			event("push", codecs.KindEvent, 0, "news"),
			event("heartbeat-reply", codecs.KindEventReply, 0, "ping"),
		},
		Sniff: []codectest.SniffCase{
			{Name: "request", Bytes: get.Wire[:3], Want: codecs.Match},
			{Name: "heartbeat", Bytes: requests[5].Wire, Want: codecs.Match},
			{Name: "one-byte", Bytes: []byte("L"), Want: codecs.NeedMore},
			{Name: "response", Bytes: fl.AppendResponse(nil, 0, codecs.StatusOK, ""), Want: codecs.NoMatch},
			{Name: "other-flavour", Bytes: other(fl).AppendRequest(nil, 0, 1, "GET", "k", ""), Want: codecs.NoMatch},
			{Name: "http", Bytes: []byte("GET / HTTP/1.1\r\n"), Want: codecs.NoMatch},
		},
		Invalid: invalid(fl),
	}
}

func other(fl Flavour) Flavour {
	if fl == Multiplexed {
		return Pipelined
	}
	return Multiplexed
}

func invalid(fl Flavour) []codectest.Invalid {
	h := func(k codecs.Kind, aux byte, payload string) []byte {
		return fl.Append(nil, Header{Kind: k, Aux: aux, ID: 7}, []byte(payload))
	}
	out := []codectest.Invalid{
		{Name: "bad-magic", Wire: []byte("XP\x01\x01"), Side: codectest.Server},
		{Name: "other-flavour", Wire: other(fl).AppendRequest(nil, 1, 1, "GET", "k", ""), Side: codectest.Server},
		{Name: "unknown-kind", Wire: h(9, 0, ""), Side: codectest.Client},
		{Name: "request-without-reply", Wire: h(codecs.KindRequest, 0, "\x01a\x00"), Side: codectest.Server},
		{Name: "oneway-with-reply", Wire: h(codecs.KindOneWay, 2, "\x01a\x00"), Side: codectest.Server},
		{Name: "unknown-status", Wire: h(codecs.KindResponse, 200, ""), Side: codectest.Client},
		{Name: "method-overrun", Wire: h(codecs.KindRequest, 1, "\x05ab"), Side: codectest.Server},
		{Name: "missing-key", Wire: h(codecs.KindRequest, 1, "\x01a"), Side: codectest.Server},
		{Name: "empty-payload", Wire: h(codecs.KindOneWay, 0, ""), Side: codectest.Server},
		{Name: "bad-event-flag", Wire: h(codecs.KindEvent, 2, ""), Side: codectest.Client},
	}
	if fl == Multiplexed {
		out = append(out, codectest.Invalid{Name: "mux-two-replies", Wire: h(codecs.KindRequest, 2, "\x01a\x00"), Side: codectest.Server})
	}
	return out
}
