package codecs

import (
	"bytes"
	"strconv"
)

// Capacities of the fixed arrays in Attributes.
const (
	// MaxKeys is how many keys Attributes keeps; KeyCount still counts
	// them all.
	MaxKeys = 4
	// MaxExtras is how many extra key/values Attributes keeps.
	MaxExtras = 4
)

// KV is an extra attribute. Key is a constant of the codec's vocabulary
// ("version", "group", "client_id"); Value aliases the frame.
type KV struct {
	Key   string
	Value []byte
}

// Attributes are the protocol-neutral facts about a frame that routing,
// filters and telemetry use. A codec fills them during Decode without
// allocating: every slice points into the frame (or at constant data) and
// the key and extra lists are fixed arrays. Unused fields stay nil/zero.
//
// Which field holds what, by protocol:
//
//	field    redis           kafka            dubbo              mysql
//	Service  -               client id        interface          database
//	Method   command         API name         method             command
//	keys     keys            -                -                  -
//	Topic    channel         first topic      -                  -
//	SQLKind  -               -                -                  SELECT, INSERT, ...
//	Table    -               -                -                  first table
//	Status   reply type      error code       response status    OK / ERR packet
//
// Values are raw protocol bytes: case and spelling are the client's. Code
// that turns them into metric labels must normalise and cap them.
type Attributes struct {
	// Protocol is the codec name, e.g. "redis".
	Protocol string
	// Service is the service, interface or similar namespace.
	Service []byte
	// Method is the method, command or API name.
	Method []byte
	// Topic is a message topic or channel.
	Topic []byte
	// SQLKind is the leading SQL keyword of a query.
	SQLKind []byte
	// Table is the first table a query names.
	Table []byte
	// Status is the outcome a response reports.
	Status Status
	// Code is the protocol's own numeric status (Dubbo status byte, Kafka
	// error code, HTTP status); 0 when it has none.
	Code int32

	keys    [MaxKeys][]byte
	nkeys   int32
	extras  [MaxExtras]KV
	nextras uint8
}

// AddKey records a key. Keys beyond MaxKeys are counted but not kept.
func (a *Attributes) AddKey(k []byte) {
	if a.nkeys < MaxKeys {
		a.keys[a.nkeys] = k
	}
	a.nkeys++
}

// KeyCount returns how many keys were added, kept or not.
func (a *Attributes) KeyCount() int { return int(a.nkeys) }

// Keys returns the kept keys (at most MaxKeys), aliasing a.
func (a *Attributes) Keys() [][]byte { return a.keys[:min(a.nkeys, MaxKeys)] }

// Key returns the i-th kept key, or nil.
func (a *Attributes) Key(i int) []byte {
	if i < 0 || i >= int(min(a.nkeys, MaxKeys)) {
		return nil
	}
	return a.keys[i]
}

// SetExtra records an extra attribute, replacing one with the same key.
// It reports false when all MaxExtras slots hold other keys.
func (a *Attributes) SetExtra(key string, value []byte) bool {
	for i := range a.extras[:a.nextras] {
		if a.extras[i].Key == key {
			a.extras[i].Value = value
			return true
		}
	}
	if a.nextras == MaxExtras {
		return false
	}
	a.extras[a.nextras] = KV{Key: key, Value: value}
	a.nextras++
	return true
}

// Extra returns the value of an extra attribute.
func (a *Attributes) Extra(key string) ([]byte, bool) {
	for _, kv := range a.extras[:a.nextras] {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// Extras returns the extra attributes, aliasing a.
func (a *Attributes) Extras() []KV { return a.extras[:a.nextras] }

// Reset clears a for reuse.
func (a *Attributes) Reset() { *a = Attributes{} }

// Equal reports whether a and b hold the same values (byte contents, not
// slice identity; nil and empty slices are equal).
func (a *Attributes) Equal(b *Attributes) bool {
	if a.Protocol != b.Protocol || a.Status != b.Status || a.Code != b.Code ||
		a.nkeys != b.nkeys || a.nextras != b.nextras ||
		!bytes.Equal(a.Service, b.Service) || !bytes.Equal(a.Method, b.Method) ||
		!bytes.Equal(a.Topic, b.Topic) || !bytes.Equal(a.SQLKind, b.SQLKind) ||
		!bytes.Equal(a.Table, b.Table) {
		return false
	}
	for i, k := range a.Keys() {
		if !bytes.Equal(k, b.keys[i]) {
			return false
		}
	}
	for i, kv := range a.Extras() {
		if kv.Key != b.extras[i].Key || !bytes.Equal(kv.Value, b.extras[i].Value) {
			return false
		}
	}
	return true
}

// String formats a for logs and test failures (it allocates).
func (a *Attributes) String() string {
	var b bytes.Buffer
	b.WriteString("{protocol=" + a.Protocol)
	field := func(name string, v []byte) {
		if v != nil {
			b.WriteString(" " + name + "=")
			b.Write(v)
		}
	}
	field("service", a.Service)
	field("method", a.Method)
	field("topic", a.Topic)
	field("sql_kind", a.SQLKind)
	field("table", a.Table)
	for _, k := range a.Keys() {
		field("key", k)
	}
	for _, kv := range a.Extras() {
		field(kv.Key, kv.Value)
	}
	if a.Status != StatusUnset {
		b.WriteString(" status=" + a.Status.String())
	}
	if a.Code != 0 {
		b.WriteString(" code=")
		b.WriteString(strconv.Itoa(int(a.Code)))
	}
	b.WriteString("}")
	return b.String()
}
