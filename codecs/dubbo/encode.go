package dubbo

import (
	"encoding/binary"

	"github.com/sidewire/sidewire/codecs"
)

// hessian2 null, the body of heartbeats and their replies.
const hessianNull = 'N'

// AppendWithID appends the frame raw (a complete Dubbo frame) to dst
// with its request id replaced by id. Frames shorter than a header are
// appended unchanged.
func AppendWithID(dst, raw []byte, id uint64) []byte {
	if len(raw) < HeaderLen {
		return append(dst, raw...)
	}
	dst = append(dst, raw[:offID]...)
	dst = binary.BigEndian.AppendUint64(dst, id)
	return append(dst, raw[offLen:]...)
}

// appendHeader appends a header.
func appendHeader(dst []byte, flag byte, status ResponseStatus, id uint64, bodyLen int) []byte {
	dst = append(dst, magicHigh, magicLow, flag, byte(status))
	dst = binary.BigEndian.AppendUint64(dst, id)
	return binary.BigEndian.AppendUint32(dst, uint32(bodyLen))
}

// AppendHeartbeat appends a two-way heartbeat request with id: an event
// with a hessian2 null body.
func AppendHeartbeat(dst []byte, id uint64) []byte {
	dst = appendHeader(dst, FlagRequest|FlagTwoWay|FlagEvent|SerializationHessian2, 0, id, 1)
	return append(dst, hessianNull)
}

// AppendHeartbeatResponse appends the reply to the heartbeat with id:
// an OK event response with a hessian2 null body.
func AppendHeartbeatResponse(dst []byte, id uint64) []byte {
	dst = appendHeader(dst, FlagEvent|SerializationHessian2, StatusOK, id, 1)
	return append(dst, hessianNull)
}

// appendEventResponse answers ev when it is a two-way event.
func appendEventResponse(dst []byte, ev *codecs.Frame) []byte {
	if ev.Kind != codecs.KindEvent || len(ev.Raw) < HeaderLen || ev.Raw[offFlag]&FlagTwoWay == 0 {
		return dst
	}
	return AppendHeartbeatResponse(dst, ev.ID)
}
