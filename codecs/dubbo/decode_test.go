package dubbo

import (
	"bytes"
	"errors"
	"testing"

	hessian "github.com/apache/dubbo-go-hessian2"
	"github.com/sidewire/sidewire/codecs"
)

func TestResponseStatusAndKinds(t *testing.T) {
	cc := NewClientCodec(Limits{}, codecs.Limits{})
	for _, st := range statusCases {
		f, _, err := cc.Decode(frame(SerializationHessian2, st.status, 1, appendString(nil, "msg")))
		if err != nil || f.Attrs.Status != st.neutral || f.Attrs.Code != int32(st.status) {
			t.Errorf("status %s: %s err=%v; want %s code %d", st.name, f.Attrs.String(), err, st.neutral, st.status)
		}
	}
	for kind, want := range map[int32]codecs.Status{
		ResponseWithException: codecs.StatusError, ResponseValue: codecs.StatusOK, ResponseNullValue: codecs.StatusOK,
		ResponseWithExceptionWithAttachments: codecs.StatusError, ResponseValueWithAttachments: codecs.StatusOK,
		ResponseNullValueWithAttachments: codecs.StatusOK,
	} {
		wire := response(t, 1, kind)
		if wire[HeaderLen] != byte(0x90+kind) {
			t.Fatalf("kind %d encodes as %#x, want hessian2 int %#x", kind, wire[HeaderLen], 0x90+kind)
		}
		f, _, err := cc.Decode(wire)
		if err != nil || f.Attrs.Status != want || f.Attrs.Code != int32(StatusOK) {
			t.Errorf("body kind %d: %s err=%v; want %s", kind, f.Attrs.String(), err, want)
		}
	}
}

func TestOversizedRequestAnswersBadRequest(t *testing.T) {
	sc := NewServerCodec(Limits{MaxBodySize: 100}, codecs.Limits{})
	hdr := appendHeader(nil, twoWay, 0, 42, 101)
	_, n, err := sc.Decode(hdr)
	var pe *codecs.ProtocolError
	if !errors.Is(err, codecs.ErrFrameTooLarge) || !errors.As(err, &pe) || n != 0 {
		t.Fatalf("Decode of an oversized header: n=%d err=%v; want ErrFrameTooLarge", n, err)
	}
	out := sc.AppendError(nil, nil, codecs.StatusBadRequest, "payload too large")
	f, _, err := NewClientCodec(Limits{}, codecs.Limits{}).Decode(out)
	if err != nil || f.ID != 42 || f.Attrs.Code != int32(StatusBadRequest) || f.Kind != codecs.KindResponse {
		t.Fatalf("error reply %q decodes as %s err=%v; want BAD_REQUEST for id 42", out, f.Attrs.String(), err)
	}
	if msg, _ := decodeHessianString(out[HeaderLen:]); msg != "payload too large" {
		t.Errorf("error message %q", msg)
	}
	if again := sc.AppendError(nil, nil, codecs.StatusBadRequest, "x"); len(again) != 0 {
		t.Errorf("second AppendError(nil) answered %q, want nothing", again)
	}
	if def := New(Limits{}).Limits().MaxBodySize; def != 8<<20 {
		t.Errorf("default MaxBodySize %d, want 8 MiB", def)
	}
}

func TestAppendError(t *testing.T) {
	sc := NewServerCodec(Limits{}, codecs.Limits{})
	cc := NewClientCodec(Limits{}, codecs.Limits{})
	req, _, err := sc.Decode(sayHi().frame(t, twoWay, 9))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status codecs.Status
		code   ResponseStatus
	}{
		{codecs.StatusError, StatusOK}, {codecs.StatusBadRequest, StatusBadRequest},
		{codecs.StatusNotFound, StatusServiceNotFound}, {codecs.StatusTimeout, StatusServerTimeout},
		{codecs.StatusRateLimited, StatusServerThreadpoolExhaustedError}, {codecs.StatusDenied, StatusServiceError},
		{codecs.StatusUnavailable, StatusServerError}, {codecs.StatusInternal, StatusServerError},
	} {
		out := sc.AppendError([]byte("x"), &req, tc.status, "no route")
		f, n, err := cc.Decode(out[1:])
		if err != nil || n != len(out)-1 || f.ID != 9 || f.Attrs.Code != int32(tc.code) {
			t.Errorf("%s: decoded %s id=%d err=%v; want code %d", tc.status, f.Attrs.String(), f.ID, err, tc.code)
			continue
		}
		body := f.Raw[HeaderLen:]
		if tc.code != StatusOK {
			if msg, err := decodeHessianString(body); msg != "no route" || err != nil {
				t.Errorf("%s: message %q, %v", tc.status, msg, err)
			}
			continue
		}
		// OK with an exception: kind 0, then a Throwable as Java expects.
		dec := hessian.NewDecoder(body)
		kind, _ := dec.Decode()
		exc, err := dec.Decode()
		e, isErr := exc.(error)
		if kind != int32(ResponseWithException) || err != nil || !isErr || e.Error() != "no route" || f.Attrs.Status != codecs.StatusError {
			t.Errorf("%s: body kind %v, exception %#v (%v)", tc.status, kind, exc, err)
		}
	}
	ow, _, _ := sc.Decode(sayHi().frame(t, oneWay, 10))
	if out := sc.AppendError(nil, &ow, codecs.StatusError, "x"); len(out) != 0 {
		t.Errorf("one-way request got an error reply %q", out)
	}
}

func TestIDRewriteRoundTrip(t *testing.T) {
	sc := NewServerCodec(Limits{}, codecs.Limits{})
	cc := NewClientCodec(Limits{}, codecs.Limits{})
	wire := sayHi().frame(t, twoWay, 0xfeedface)
	req, _, _ := sc.Decode(wire)
	up, err := cc.AppendRequest(nil, &req, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(up[HeaderLen:], wire[HeaderLen:]) || !bytes.Equal(up[:offID], wire[:offID]) {
		t.Fatalf("AppendRequest changed more than the id")
	}
	// The provider answers id 3; the session restores 0xfeedface.
	resp, _, err := cc.Decode(response(t, 3, ResponseValue, "hi"))
	if err != nil || resp.ID != 3 {
		t.Fatalf("response id %d, %v", resp.ID, err)
	}
	down := sc.AppendResponse(nil, &resp, req.ID)
	back, _, err := cc.Decode(down)
	if err != nil || back.ID != 0xfeedface || !bytes.Equal(down[offLen:], resp.Raw[offLen:]) {
		t.Fatalf("restored response id %#x, %v", back.ID, err)
	}
	if _, err := cc.AppendRequest(nil, &codecs.Frame{Raw: []byte{1}}, 1); err == nil {
		t.Errorf("AppendRequest of a short frame succeeded")
	}
}

func TestHeartbeat(t *testing.T) {
	sc := NewServerCodec(Limits{}, codecs.Limits{})
	cc := NewClientCodec(Limits{}, codecs.Limits{})
	hb := cc.AppendHeartbeat(nil, 77)
	if want := []byte{0xda, 0xbb, 0xe2, 0, 0, 0, 0, 0, 0, 0, 0, 77, 0, 0, 0, 1, 'N'}; !bytes.Equal(hb, want) {
		t.Fatalf("heartbeat % x, want % x", hb, want)
	}
	ev, _, err := sc.Decode(hb)
	if err != nil || ev.Kind != codecs.KindEvent || cc.Responses(&ev) != 1 {
		t.Fatalf("heartbeat decodes as %v, %v", ev.Kind, err)
	}
	reply := sc.AppendEventResponse(nil, &ev)
	if want := []byte{0xda, 0xbb, 0x22, 20, 0, 0, 0, 0, 0, 0, 0, 77, 0, 0, 0, 1, 'N'}; !bytes.Equal(reply, want) {
		t.Fatalf("heartbeat reply % x, want % x", reply, want)
	}
	r, _, err := cc.Decode(reply)
	if err != nil || r.Kind != codecs.KindEventReply || r.ID != 77 {
		t.Fatalf("reply decodes as %v id %d, %v", r.Kind, r.ID, err)
	}
	oneWayEvent := frame(FlagRequest|FlagEvent|SerializationHessian2, 0, 5, []byte{'N'})
	ev, _, _ = cc.Decode(oneWayEvent)
	if out := cc.AppendEventResponse(nil, &ev); len(out) != 0 || cc.Responses(&ev) != 0 {
		t.Errorf("one-way event answered with %q", out)
	}
}

func TestDecodeRequestBody(t *testing.T) {
	wire := sayHi().frame(t, twoWay, 1)
	rb, err := DecodeRequestBody(wire)
	if err != nil {
		t.Fatal(err)
	}
	if rb.DubboVersion != "2.0.2" || rb.Service != greetings || rb.Version != "1.0.0" || rb.Method != "sayHi" ||
		rb.ParamTypes != "Ljava/lang/String;" || len(rb.Args) != 1 || rb.Args[0] != "world" {
		t.Fatalf("decoded %+v", rb)
	}
	if rb.Group() != "g1" || rb.Attachment(AttachmentTimeout) != "3000" || rb.Attachment("trace-id") != "abc" ||
		rb.Attachment(AttachmentInterface) != greetings {
		t.Errorf("attachments %v", rb.Attachments)
	}
	// The slow path reads what the fast path skipped.
	chunked := sayHi()
	chunked.service = longName()
	rb, err = DecodeRequestBody(chunked.frame(t, twoWay, 2))
	if err != nil || rb.Service != longName() || rb.Method != "sayHi" {
		t.Errorf("chunked service: %v, %v", rb, err)
	}
	for name, raw := range map[string][]byte{
		"short":         {0xda},
		"response":      response(t, 1, ResponseValue, "x"),
		"heartbeat":     AppendHeartbeat(nil, 1),
		"fastjson":      frame(FlagRequest|FlagTwoWay|6, 0, 1, []byte("{}")),
		"truncated":     wire[:len(wire)-1],
		"bad types":     invocation{service: "s", version: "1", method: "m", types: "Q", att: map[string]any{}}.frame(t, twoWay, 1),
		"missing arg":   frame(twoWay, 0, 1, encodeValues(t, "2.0.2", "s", "1", "m", "I")),
		"int as method": frame(twoWay, 0, 1, encodeValues(t, "2.0.2", "s", "1", int32(5), "")),
	} {
		if _, err := DecodeRequestBody(raw); err == nil {
			t.Errorf("%s: DecodeRequestBody succeeded", name)
		}
	}
	if _, err := DecodeRequestBody(frame(FlagRequest|FlagTwoWay|6, 0, 1, []byte("{}"))); !errors.Is(err, ErrNotHessian2) {
		t.Errorf("fastjson body: %v, want ErrNotHessian2", err)
	}
}

func TestParseRequestHeaderFields(t *testing.T) {
	inv := sayHi()
	body := inv.body(t)
	h := ParseRequestHeader(body)
	if string(h.DubboVersion) != "2.0.2" || string(h.ParamTypes) != "Ljava/lang/String;" || h.ArgsOffset <= 0 {
		t.Fatalf("header %+v", h)
	}
	if arg, _ := decodeHessianString(body[h.ArgsOffset:]); arg != "world" {
		t.Errorf("ArgsOffset points at %q, want the first argument", arg)
	}
	if a := testing.AllocsPerRun(100, func() { h = ParseRequestHeader(body) }); a != 0 {
		t.Errorf("ParseRequestHeader allocates %.1f times", a)
	}
}
