package testpeer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/dubbo"
)

// DubboCall is one invocation a DubboClient sends.
type DubboCall struct {
	Service, Version, Group, Method string
	Args                            []any
	// Attachments are added to path, interface, version and group.
	Attachments map[string]any
	// OneWay sends a request that expects no response.
	OneWay bool
}

// EncodeDubboRequest encodes call as a Dubbo 2 request with id, the way
// Java Dubbo and dubbo-go write it: dubbo version, service, version,
// method, parameter types, arguments, attachments. Arguments may be
// string, int32, int64, bool or float64.
func EncodeDubboRequest(id uint64, call DubboCall) ([]byte, error) {
	enc := hessian.NewEncoder()
	types := ""
	for _, a := range call.Args {
		switch a.(type) {
		case string:
			types += "Ljava/lang/String;"
		case int32:
			types += "I"
		case int64:
			types += "J"
		case bool:
			types += "Z"
		case float64:
			types += "D"
		default:
			return nil, fmt.Errorf("encode dubbo request: unsupported argument type %T", a)
		}
	}
	att := map[string]any{"path": call.Service, "interface": call.Service}
	if call.Version != "" {
		att["version"] = call.Version
	}
	if call.Group != "" {
		att["group"] = call.Group
	}
	for k, v := range call.Attachments {
		att[k] = v
	}
	vs := append([]any{"2.0.2", call.Service, call.Version, call.Method, types}, call.Args...)
	for _, v := range append(vs, att) {
		if err := enc.Encode(v); err != nil {
			return nil, fmt.Errorf("encode dubbo request: %w", err)
		}
	}
	flag := byte(dubbo.FlagRequest | dubbo.SerializationHessian2)
	if !call.OneWay {
		flag |= dubbo.FlagTwoWay
	}
	return appendDubboFrame(nil, flag, 0, id, enc.Buffer()), nil
}

// DubboResult is a decoded response.
type DubboResult struct {
	ID     uint64
	Status dubbo.ResponseStatus
	// Value is the string result of an OK response.
	Value string
	// Exception is set for an OK response carrying an exception.
	Exception bool
	// Message is the error message of a non-OK response or exception.
	Message string
	// Heartbeat is set for a heartbeat reply.
	Heartbeat bool
}

// DecodeDubboResponse decodes a response frame (header and body).
func DecodeDubboResponse(raw []byte) (DubboResult, error) {
	cc := dubbo.NewClientCodec(dubbo.Limits{}, codecs.Limits{})
	f, _, err := cc.Decode(raw)
	if err != nil {
		return DubboResult{}, err
	}
	r := DubboResult{ID: f.ID, Status: dubbo.ResponseStatus(f.Attrs.Code)}
	if f.Kind == codecs.KindEventReply {
		r.Heartbeat = true
		return r, nil
	}
	dec := hessian.NewDecoder(f.Raw[dubbo.HeaderLen:])
	if r.Status != dubbo.StatusOK {
		v, err := dec.Decode()
		if err != nil {
			return r, fmt.Errorf("decode error message: %w", err)
		}
		r.Message, _ = v.(string)
		return r, nil
	}
	kind, err := dec.Decode()
	if err != nil {
		return r, fmt.Errorf("decode result kind: %w", err)
	}
	k, _ := kind.(int32)
	switch k {
	case dubbo.ResponseValue, dubbo.ResponseValueWithAttachments:
		v, err := dec.Decode()
		if err != nil {
			return r, fmt.Errorf("decode value: %w", err)
		}
		r.Value = fmt.Sprint(v)
	case dubbo.ResponseWithException, dubbo.ResponseWithExceptionWithAttachments:
		r.Exception = true
		v, err := dec.Decode()
		if err != nil {
			return r, fmt.Errorf("decode exception: %w", err)
		}
		if e, ok := v.(error); ok {
			r.Message = e.Error()
		} else {
			r.Message = fmt.Sprint(v)
		}
	}
	return r, nil
}

// DubboClient is a consumer connection that multiplexes calls by
// request id; it is safe for concurrent use.
type DubboClient struct {
	c       net.Conn
	wmu     sync.Mutex
	mu      sync.Mutex
	next    uint64
	pending map[uint64]chan DubboResult
	err     error
	done    chan struct{}
}

// DialDubbo connects a client to addr.
func DialDubbo(addr string) (*DubboClient, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	dc := &DubboClient{c: c, pending: map[uint64]chan DubboResult{}, done: make(chan struct{})}
	go dc.readLoop()
	return dc, nil
}

// Close closes the connection and waits for the reader.
func (dc *DubboClient) Close() error {
	err := dc.c.Close()
	<-dc.done
	return err
}

// Err is why the connection ended, once it has.
func (dc *DubboClient) Err() error {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	return dc.err
}

// Done is closed when the connection has ended.
func (dc *DubboClient) Done() <-chan struct{} { return dc.done }

// ErrClientClosed fails calls on a client whose connection ended.
var ErrClientClosed = errors.New("dubbo client connection closed")

func (dc *DubboClient) readLoop() {
	defer close(dc.done)
	cc := dubbo.NewClientCodec(dubbo.Limits{}, codecs.Limits{})
	var buf []byte
	tmp := make([]byte, 32<<10)
	fail := func(err error) {
		dc.mu.Lock()
		dc.err = err
		for id, ch := range dc.pending {
			close(ch)
			delete(dc.pending, id)
		}
		dc.mu.Unlock()
	}
	for {
		for len(buf) > 0 {
			f, n, err := cc.Decode(buf)
			if err == codecs.ErrNeedMore {
				break
			}
			if err != nil {
				fail(err)
				return
			}
			r, err := DecodeDubboResponse(f.Raw)
			buf = buf[n:]
			if err != nil {
				fail(err)
				return
			}
			dc.mu.Lock()
			ch := dc.pending[r.ID]
			delete(dc.pending, r.ID)
			dc.mu.Unlock()
			if ch != nil {
				ch <- r
			}
		}
		n, err := dc.c.Read(tmp)
		if err != nil {
			fail(err)
			return
		}
		buf = append(buf, tmp[:n]...)
	}
}

// Send writes raw bytes (a frame, or garbage) on the connection.
func (dc *DubboClient) Send(b []byte) error {
	dc.wmu.Lock()
	defer dc.wmu.Unlock()
	_, err := dc.c.Write(b)
	return err
}

// register reserves an id and the channel its response goes to.
func (dc *DubboClient) register() (uint64, chan DubboResult, error) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if dc.err != nil {
		return 0, nil, fmt.Errorf("%w: %w", ErrClientClosed, dc.err)
	}
	dc.next++
	ch := make(chan DubboResult, 1)
	dc.pending[dc.next] = ch
	return dc.next, ch, nil
}

func (dc *DubboClient) forget(id uint64) {
	dc.mu.Lock()
	delete(dc.pending, id)
	dc.mu.Unlock()
}

// Call sends call and waits for its response (one-way calls return at
// once with a zero result).
func (dc *DubboClient) Call(ctx context.Context, call DubboCall) (DubboResult, error) {
	id, ch, err := dc.register()
	if err != nil {
		return DubboResult{}, err
	}
	req, err := EncodeDubboRequest(id, call)
	if err != nil {
		dc.forget(id)
		return DubboResult{}, err
	}
	return dc.roundTrip(ctx, id, ch, req, call.OneWay)
}

// Heartbeat sends a heartbeat and waits for its reply.
func (dc *DubboClient) Heartbeat(ctx context.Context) (DubboResult, error) {
	id, ch, err := dc.register()
	if err != nil {
		return DubboResult{}, err
	}
	return dc.roundTrip(ctx, id, ch, dubbo.AppendHeartbeat(nil, id), false)
}

func (dc *DubboClient) roundTrip(ctx context.Context, id uint64, ch chan DubboResult, req []byte, oneWay bool) (DubboResult, error) {
	if err := dc.Send(req); err != nil {
		dc.forget(id)
		return DubboResult{}, err
	}
	if oneWay {
		dc.forget(id)
		return DubboResult{}, nil
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return DubboResult{}, fmt.Errorf("%w: %w", ErrClientClosed, dc.Err())
		}
		return r, nil
	case <-ctx.Done():
		dc.forget(id)
		return DubboResult{}, ctx.Err()
	}
}
