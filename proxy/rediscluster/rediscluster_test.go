package rediscluster

import (
	"bufio"
	"bytes"
	"testing"
)

func TestSlot(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want uint16
	}{
		{"", 0},
		{"123456789", 0x31C3 & 16383}, // CRC16/XMODEM check value
		{"foo", 12182},
		{"{user1000}.following", Slot([]byte("user1000"))},
		{"foo{}{bar}", Slot([]byte("foo{}{bar}"))},
		{"foo{{bar}}zap", Slot([]byte("{bar"))},
	} {
		if got := Slot([]byte(tc.key)); got != tc.want {
			t.Errorf("Slot(%q) = %d, want %d", tc.key, got, tc.want)
		}
	}
}

// A CLUSTER SLOTS reply of Redis 7: two ranges, the second with a
// replica and node metadata.
const slotsReply = "*2\r\n" +
	"*3\r\n:0\r\n:8191\r\n*3\r\n$9\r\n127.0.0.1\r\n:7000\r\n$2\r\nid\r\n" +
	"*4\r\n:8192\r\n:16383\r\n*4\r\n$0\r\n\r\n:7001\r\n$2\r\nid\r\n*2\r\n$8\r\nhostname\r\n$1\r\nx\r\n" +
	"*3\r\n$9\r\n127.0.0.2\r\n:7002\r\n$2\r\nid\r\n"

func TestParseSlots(t *testing.T) {
	v, err := readValue(bufio.NewReader(bytes.NewReader([]byte(slotsReply))))
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseSlots(v)
	if err != nil {
		t.Fatal(err)
	}
	if len(r) != 2 || r[0].start != 0 || r[0].end != 8191 || r[1].start != 8192 || r[1].end != 16383 {
		t.Fatalf("ranges = %+v", r)
	}
	if got := r[1].nodes; len(got) != 2 || got[0].String() != ":7001" || got[1].String() != "127.0.0.2:7002" {
		t.Fatalf("nodes of range 2 = %v", got)
	}
	for _, bad := range []string{
		"-ERR This instance has cluster support disabled\r\n",
		"*1\r\n*3\r\n:10\r\n:5\r\n*2\r\n$1\r\na\r\n:1\r\n",    // end before start
		"*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\na\r\n:1\r\n", // past the last slot
		"*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\na\r\n:70000\r\n", // port
		"*1\r\n*2\r\n:0\r\n:1\r\n",                            // no node
		":1\r\n",                                              // not an array
	} {
		v, err := readValue(bufio.NewReader(bytes.NewReader([]byte(bad))))
		if err != nil {
			continue
		}
		if _, err := parseSlots(v); err == nil {
			t.Errorf("parseSlots(%q) succeeded", bad)
		}
	}
}

func TestReadValueBounds(t *testing.T) {
	deep := bytes.Repeat([]byte("*1\r\n"), maxDepth+2)
	for _, bad := range [][]byte{deep, []byte("$99999999\r\n"), []byte("*-2\r\n"), []byte("?\r\n"), []byte("+no crlf\n"), []byte("$3\r\nabcd\r\n")} {
		if _, err := readValue(bufio.NewReader(bytes.NewReader(bad))); err == nil {
			t.Errorf("readValue(%q) succeeded", bad)
		}
	}
}

// FuzzParseSlots: peer bytes never panic the discovery.
func FuzzParseSlots(f *testing.F) {
	f.Add([]byte(slotsReply))
	f.Add([]byte("*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\na\r\n:1\r\n"))
	f.Add([]byte("-MOVED 1 x:1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := readValue(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			return
		}
		r, err := parseSlots(v)
		if err != nil {
			return
		}
		for _, sr := range r {
			if sr.start > sr.end || sr.end >= Slots || len(sr.nodes) == 0 {
				t.Fatalf("accepted bad range %+v", sr)
			}
		}
	})
}
