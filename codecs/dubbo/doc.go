// Package dubbo is the Sidewire codec for Apache Dubbo's "dubbo" protocol
// (Dubbo 2 wire format, also spoken by Dubbo 3 and dubbo-go): a 16-byte
// header (magic 0xdabb, flags, status, 8-byte request id, body length)
// followed by a body in the serialization the flags name, usually
// hessian2.
//
// Decode frames on the header alone and reads the leading hessian2
// strings of a request body (dubbo version, interface, service version,
// method, parameter types) with a small zero-allocation reader; the
// attribute slices alias the frame. ScanAttachments reads attachments
// (timeout, group, ...) without decoding the arguments and without
// allocating: a hessian2 value skipper walks past them. DecodeRequestBody
// decodes a whole request body (arguments and attachments) with
// dubbo-go-hessian2 for the routes that need arguments. Responses are classified from the status
// byte and the hessian2 result kind.
//
// Frames are forwarded as they arrived, with only the request id
// rewritten (Multiplex pool mode). Buffer ownership follows package
// codecs: Decode keeps nothing; encoders append to dst and keep nothing.
//
// See README.md for the wire layout and the attributes filled.
package dubbo
