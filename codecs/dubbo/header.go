package dubbo

import (
	"encoding/binary"

	"github.com/sidewire/sidewire/codecs"
)

// Header layout (ExchangeCodec in Apache Dubbo).
const (
	// HeaderLen is the size of the fixed header.
	HeaderLen = 16

	magicHigh = 0xda
	magicLow  = 0xbb

	offFlag   = 2
	offStatus = 3
	offID     = 4
	offLen    = 12
)

// Flag bits of header byte 2; the low five bits are the serialization id.
const (
	FlagRequest       = 0x80
	FlagTwoWay        = 0x40
	FlagEvent         = 0x20
	SerializationMask = 0x1f
)

// Serialization ids (low five bits of the flag byte).
const (
	// SerializationHessian2 is hessian2, Dubbo's default, the only
	// serialization whose body this codec reads.
	SerializationHessian2 = 2
)

// ResponseStatus is the status byte of a response header.
type ResponseStatus uint8

// Response statuses (org.apache.dubbo.remoting.exchange.Response).
const (
	StatusOK                             ResponseStatus = 20
	StatusClientTimeout                  ResponseStatus = 30
	StatusServerTimeout                  ResponseStatus = 31
	StatusBadRequest                     ResponseStatus = 40
	StatusBadResponse                    ResponseStatus = 50
	StatusServiceNotFound                ResponseStatus = 60
	StatusServiceError                   ResponseStatus = 70
	StatusServerError                    ResponseStatus = 80
	StatusClientError                    ResponseStatus = 90
	StatusServerThreadpoolExhaustedError ResponseStatus = 100
)

// Result kinds: the first body value of an OK response, written by
// Dubbo as a hessian2 int (DubboCodec.encodeResponseData).
const (
	ResponseWithException                = 0
	ResponseValue                        = 1
	ResponseNullValue                    = 2
	ResponseWithExceptionWithAttachments = 3
	ResponseValueWithAttachments         = 4
	ResponseNullValueWithAttachments     = 5
)

// Neutral maps a Dubbo status byte to a codecs.Status. An OK status
// carrying an exception result is codecs.StatusError; that needs the
// body and is decided by Decode.
func (s ResponseStatus) Neutral() codecs.Status {
	switch s {
	case StatusOK:
		return codecs.StatusOK
	case StatusClientTimeout, StatusServerTimeout:
		return codecs.StatusTimeout
	case StatusBadRequest:
		return codecs.StatusBadRequest
	case StatusServiceNotFound:
		return codecs.StatusNotFound
	case StatusServerThreadpoolExhaustedError:
		return codecs.StatusRateLimited
	case StatusBadResponse, StatusServerError, StatusClientError:
		return codecs.StatusInternal
	}
	return codecs.StatusError // SERVICE_ERROR and unknown codes
}

// statusFor maps a codecs.Status to the Dubbo status of a local error
// reply. codecs.StatusError (and OK) become an OK response carrying an
// exception, see AppendError.
func statusFor(s codecs.Status) ResponseStatus {
	switch s {
	case codecs.StatusBadRequest:
		return StatusBadRequest
	case codecs.StatusNotFound:
		return StatusServiceNotFound
	case codecs.StatusTimeout:
		return StatusServerTimeout
	case codecs.StatusRateLimited:
		return StatusServerThreadpoolExhaustedError
	case codecs.StatusDenied:
		return StatusServiceError
	case codecs.StatusUnavailable, codecs.StatusInternal:
		return StatusServerError
	}
	return StatusOK
}

// header is a parsed fixed header.
type header struct {
	flag   byte
	status ResponseStatus
	id     uint64
	length int
}

// readHeader parses the header at the start of b (len(b) >= HeaderLen),
// returning the bad byte's offset when it is not a Dubbo header.
func readHeader(b []byte) (h header, badAt int, ok bool) {
	if b[0] != magicHigh {
		return h, 0, false
	}
	if b[1] != magicLow {
		return h, 1, false
	}
	h.flag = b[offFlag]
	h.status = ResponseStatus(b[offStatus])
	h.id = binary.BigEndian.Uint64(b[offID:])
	l := int32(binary.BigEndian.Uint32(b[offLen:]))
	if l < 0 {
		return h, offLen, false
	}
	h.length = int(l)
	return h, -1, true
}

func (h header) isRequest() bool     { return h.flag&FlagRequest != 0 }
func (h header) isTwoWay() bool      { return h.flag&FlagTwoWay != 0 }
func (h header) isEvent() bool       { return h.flag&FlagEvent != 0 }
func (h header) serialization() byte { return h.flag & SerializationMask }

// kind classifies a frame from its flags.
func (h header) kind() codecs.Kind {
	switch {
	case h.isRequest() && h.isEvent():
		return codecs.KindEvent
	case h.isRequest() && h.isTwoWay():
		return codecs.KindRequest
	case h.isRequest():
		return codecs.KindOneWay
	case h.isEvent():
		return codecs.KindEventReply
	}
	return codecs.KindResponse
}
