package xds

import (
	"bytes"
	"encoding/json"
)

// member is one key of a JSON object with its raw value, in input order.
type member struct {
	key string
	val json.RawMessage
}

// jsonKind returns the first byte of a JSON value: '{', '[', '"', 'n',
// 't', 'f' or a number's first byte; 0 for empty input.
func jsonKind(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

func isNull(raw json.RawMessage) bool { return jsonKind(raw) == 'n' }

// describeJSON names a JSON value's type for error messages.
func describeJSON(raw json.RawMessage) string {
	switch jsonKind(raw) {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case 0:
		return "nothing"
	}
	return "a number"
}

// objectMembers splits a JSON object into its members; ok is false when
// raw is not an object.
func objectMembers(raw json.RawMessage) (members []member, ok bool) {
	if jsonKind(raw) != '{' {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		k, isString := tok.(string)
		if !isString {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		members = append(members, member{key: k, val: v})
	}
	return members, true
}

// arrayElems splits a JSON array into its elements; ok is false when raw
// is not an array.
func arrayElems(raw json.RawMessage) (elems []json.RawMessage, ok bool) {
	if jsonKind(raw) != '[' {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	for dec.More() {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		elems = append(elems, v)
	}
	return elems, true
}
