package testpeer

import (
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/dubbo"
)

// Dubbo is a hermetic Dubbo 2 provider on 127.0.0.1:0. It decodes
// requests with codecs/dubbo and dubbo-go-hessian2 and answers each
// two-way request on its own goroutine (so answers may come out of
// order) with the string result "<name>|<service>|<method>|<args>",
// args joined by ","; see DubboEcho. Special methods and attachments:
//
//   - attachment "sleep_ms": answer after that many milliseconds;
//   - method "throw": an OK response carrying a RuntimeException;
//   - method "fail": a SERVICE_ERROR (70) response.
//
// Heartbeats are answered unless IgnoreHeartbeats is set. One-way
// requests are counted and not answered.
type Dubbo struct {
	// Name starts every result, telling providers apart.
	Name string
	// IgnoreHeartbeats leaves heartbeats unanswered.
	IgnoreHeartbeats atomic.Bool

	ln         net.Listener
	wg         sync.WaitGroup
	mu         sync.Mutex
	conns      map[net.Conn]struct{}
	closed     bool
	requests   atomic.Int64
	oneWay     atomic.Int64
	heartbeats atomic.Int64
	accepted   atomic.Int64
}

// StartDubbo starts a provider named name; it stops at test cleanup.
func StartDubbo(t testing.TB, name string) *Dubbo {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen dubbo provider: %v", err)
	}
	d := &Dubbo{Name: name, ln: ln, conns: map[net.Conn]struct{}{}}
	d.wg.Add(1)
	go d.serve()
	t.Cleanup(d.Close)
	return d
}

// Addr is the provider's address.
func (d *Dubbo) Addr() string { return d.ln.Addr().String() }

// Requests counts the two-way requests received.
func (d *Dubbo) Requests() int64 { return d.requests.Load() }

// OneWay counts the one-way requests received.
func (d *Dubbo) OneWay() int64 { return d.oneWay.Load() }

// Heartbeats counts the heartbeats received.
func (d *Dubbo) Heartbeats() int64 { return d.heartbeats.Load() }

// Conns counts the connections accepted.
func (d *Dubbo) Conns() int64 { return d.accepted.Load() }

// Close stops the provider and closes its connections at once (requests
// in flight are never answered), then waits for its goroutines.
func (d *Dubbo) Close() {
	d.ln.Close()
	d.mu.Lock()
	d.closed = true
	for c := range d.conns {
		c.Close()
	}
	d.mu.Unlock()
	d.wg.Wait()
}

func (d *Dubbo) serve() {
	defer d.wg.Done()
	for {
		c, err := d.ln.Accept()
		if err != nil {
			return
		}
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			c.Close()
			return
		}
		d.conns[c] = struct{}{}
		d.mu.Unlock()
		d.accepted.Add(1)
		d.wg.Add(1)
		go d.serveConn(c)
	}
}

// dubboConn is one consumer connection of the provider.
type dubboConn struct {
	d    *Dubbo
	c    net.Conn
	wmu  sync.Mutex
	done chan struct{}
}

func (d *Dubbo) serveConn(c net.Conn) {
	defer d.wg.Done()
	dc := &dubboConn{d: d, c: c, done: make(chan struct{})}
	var answers sync.WaitGroup
	defer func() {
		close(dc.done)
		c.Close()
		answers.Wait()
		d.mu.Lock()
		delete(d.conns, c)
		d.mu.Unlock()
	}()
	sc := dubbo.NewServerCodec(dubbo.Limits{}, codecs.Limits{})
	buf := make([]byte, 0, 64<<10)
	tmp := make([]byte, 32<<10)
	for {
		for len(buf) > 0 {
			f, n, err := sc.Decode(buf)
			if err == codecs.ErrNeedMore {
				break
			}
			if err != nil {
				return
			}
			raw := append([]byte(nil), f.Raw...)
			buf = buf[n:]
			switch f.Kind {
			case codecs.KindEvent:
				d.heartbeats.Add(1)
				if !d.IgnoreHeartbeats.Load() {
					dc.write(dubbo.AppendHeartbeatResponse(nil, f.ID))
				}
			case codecs.KindOneWay:
				d.oneWay.Add(1)
			case codecs.KindRequest:
				d.requests.Add(1)
				answers.Add(1)
				go func() {
					defer answers.Done()
					dc.answer(f.ID, raw)
				}()
			}
		}
		buf = append(buf[:0:0], buf...) // compact
		n, err := c.Read(tmp)
		if err != nil {
			return
		}
		buf = append(buf, tmp[:n]...)
	}
}

func (dc *dubboConn) write(b []byte) {
	dc.wmu.Lock()
	defer dc.wmu.Unlock()
	_, _ = dc.c.Write(b)
}

// answer decodes one request and writes its response.
func (dc *dubboConn) answer(id uint64, raw []byte) {
	body, err := dubbo.DecodeRequestBody(raw)
	if err != nil {
		dc.write(dubbo.AppendErrorResponse(nil, id, dubbo.StatusBadRequest, err.Error()))
		return
	}
	if ms, _ := strconv.Atoi(body.Attachment("sleep_ms")); ms > 0 {
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		select {
		case <-t.C:
		case <-dc.done:
			t.Stop()
			return
		}
	}
	switch body.Method {
	case "throw":
		dc.write(dubbo.AppendErrorResponse(nil, id, dubbo.StatusOK, "thrown by "+dc.d.Name))
	case "fail":
		dc.write(dubbo.AppendErrorResponse(nil, id, dubbo.StatusServiceError, "failed by "+dc.d.Name))
	default:
		dc.write(AppendDubboResult(nil, id, DubboEcho(dc.d.Name, body.Service, body.Method, body.Args)))
	}
}

// DubboEcho is the result the provider named name returns.
func DubboEcho(name, service, method string, args []any) string {
	s := name + "|" + service + "|" + method + "|"
	for i, a := range args {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(a)
	}
	return s
}

// AppendDubboResult appends an OK response with id whose value is the
// string v (result kind RESPONSE_VALUE).
func AppendDubboResult(dst []byte, id uint64, v string) []byte {
	enc := hessian.NewEncoder()
	_ = enc.Encode(int32(dubbo.ResponseValue))
	_ = enc.Encode(v)
	return appendDubboFrame(dst, dubbo.SerializationHessian2, byte(dubbo.StatusOK), id, enc.Buffer())
}

func appendDubboFrame(dst []byte, flag, status byte, id uint64, body []byte) []byte {
	dst = append(dst, 0xda, 0xbb, flag, status)
	dst = binary.BigEndian.AppendUint64(dst, id)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	return append(dst, body...)
}
