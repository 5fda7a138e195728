package readbuf

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// frames returns n newline-terminated records of varying length.
func frames(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = append(bytes.Repeat([]byte{byte('a' + i%26)}, 1+(i*37)%900), '\n')
	}
	return out
}

// takeAll decodes newline frames from rd until EOF, keeping every chunk.
func takeAll(t *testing.T, rd *Reader) (got [][]byte, chunks []*Chunk) {
	t.Helper()
	for {
		if i := bytes.IndexByte(rd.Bytes(), '\n'); i >= 0 {
			got = append(got, rd.Bytes()[:i+1])
			chunks = append(chunks, rd.Take(i+1))
			continue
		}
		if err := rd.Fill(0); err != nil {
			if errors.Is(err, io.EOF) {
				return got, chunks
			}
			t.Fatalf("Fill: %v", err)
		}
	}
}

// smallReads hands out at most k bytes per Read, to split frames.
type smallReads struct {
	r io.Reader
	k int
}

func (s smallReads) Read(p []byte) (int, error) {
	if len(p) > s.k {
		p = p[:s.k]
	}
	return s.r.Read(p)
}

func TestTakenFramesStayValidWhileReading(t *testing.T) {
	want := frames(500)
	src := smallReads{bytes.NewReader(bytes.Join(want, nil)), 333}
	rd := New(src, Options{ChunkSize: 4096})
	got, chunks := takeAll(t, rd)
	if len(got) != len(want) {
		t.Fatalf("decoded %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("frame %d changed after later reads: got %q…, want %q…", i, got[i][:1], want[i][:1])
		}
	}
	rd.Close()
	for _, c := range chunks {
		c.Release()
	}
	if h := rd.Held(); h != 0 {
		t.Fatalf("Held() = %d after every release, want 0", h)
	}
}

func TestCompactsInPlaceWhenUnshared(t *testing.T) {
	want := frames(200)
	rd := New(smallReads{bytes.NewReader(bytes.Join(want, nil)), 1000}, Options{ChunkSize: 4096})
	first := (*Chunk)(nil)
	for n := 0; n < len(want); {
		if i := bytes.IndexByte(rd.Bytes(), '\n'); i >= 0 {
			if !bytes.Equal(rd.Bytes()[:i+1], want[n]) {
				t.Fatalf("frame %d mismatch", n)
			}
			rd.Discard(i + 1)
			n++
			continue
		}
		if err := rd.Fill(0); err != nil {
			t.Fatalf("Fill: %v", err)
		}
		if first == nil {
			first = rd.cur
		}
		if rd.cur != first {
			t.Fatalf("reader switched chunks although nothing else held the first one")
		}
	}
	rd.Close()
}

func TestHintAllocatesWholeFrame(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 100_000)
	rd := New(smallReads{bytes.NewReader(big), 1 << 20}, Options{ChunkSize: 4096})
	if err := rd.Fill(len(big)); err != nil {
		t.Fatalf("Fill: %v", err)
	}
	if got := cap(rd.cur.buf); got < len(big) {
		t.Fatalf("chunk capacity %d, want >= %d", got, len(big))
	}
	for len(rd.Bytes()) < len(big) {
		before := rd.cur
		if err := rd.Fill(len(big)); err != nil {
			t.Fatalf("Fill: %v", err)
		}
		if rd.cur != before {
			t.Fatalf("reader reallocated although the hint sized the chunk")
		}
	}
	rd.Close()
}

func TestMaxFrame(t *testing.T) {
	rd := New(bytes.NewReader(bytes.Repeat([]byte("y"), 10_000)), Options{ChunkSize: 4096, MaxFrame: 5000})
	var err error
	for err == nil {
		err = rd.Fill(0)
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Fill error = %v, want ErrTooLarge", err)
	}
	if n := len(rd.Bytes()); n < 5000 || n > 5000+4096 {
		t.Fatalf("buffered %d bytes before failing, want about MaxFrame", n)
	}
	if err := New(nil, Options{MaxFrame: 10}).Fill(11); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Fill with hint above MaxFrame = %v, want ErrTooLarge", err)
	}
	rd.Close()
}

func TestLimitStopsReadingUntilRelease(t *testing.T) {
	want := frames(300)
	const limit = 3 * 4096
	done := make(chan struct{})
	close(done) // every wait for memory aborts at once with ErrStopped
	rd := New(bytes.NewReader(bytes.Join(want, nil)), Options{ChunkSize: 4096, Limit: limit, Done: done})
	var held []*Chunk
	n, stops := 0, 0
	for n < len(want) {
		if i := bytes.IndexByte(rd.Bytes(), '\n'); i >= 0 {
			if !bytes.Equal(rd.Bytes()[:i+1], want[n]) {
				t.Fatalf("frame %d mismatch", n)
			}
			held = append(held, rd.Take(i+1))
			n++
			continue
		}
		err := rd.Fill(0)
		switch {
		case errors.Is(err, ErrStopped):
			// Over the watermark: only a release lets reading go on.
			stops++
			if rd.Held() > limit+4096 {
				t.Fatalf("held %d bytes when stopped, want <= limit plus one chunk", rd.Held())
			}
			for _, c := range held {
				c.Release()
			}
			held = held[:0]
		case errors.Is(err, io.EOF):
			t.Fatalf("EOF after %d of %d frames", n, len(want))
		case err != nil:
			t.Fatalf("Fill: %v", err)
		}
	}
	if stops == 0 {
		t.Fatalf("reader never stopped at the watermark while holding every frame")
	}
	for _, c := range held {
		c.Release()
	}
	rd.Close()
	if h := rd.Held(); h != 0 {
		t.Fatalf("Held() = %d after every release, want 0", h)
	}
}

func TestWaitMemoryWakesOnRelease(t *testing.T) {
	rd := New(nil, Options{ChunkSize: 4096, Limit: 4096})
	other := getChunk(4096)
	other.owner = rd
	rd.held.Add(4096)
	rd.cur = getChunk(4096)
	rd.cur.owner = rd
	rd.held.Add(4096)
	errc := make(chan error, 1)
	go func() { errc <- rd.waitMemory(4096) }()
	select {
	case err := <-errc:
		t.Fatalf("waitMemory returned %v while over the limit", err)
	case <-time.After(20 * time.Millisecond):
	}
	other.Release()
	if err := <-errc; err != nil {
		t.Fatalf("waitMemory after release = %v", err)
	}
	rd.Close()
}

func TestOverReleasePanics(t *testing.T) {
	c := getChunk(10)
	c.Release()
	defer func() {
		if recover() == nil {
			t.Fatalf("second Release did not panic")
		}
	}()
	c.Release()
}

func TestClassOf(t *testing.T) {
	for _, tc := range []struct{ size, idx, class int }{
		{1, 0, 4096}, {4096, 0, 4096}, {4097, 1, 8192}, {1 << 22, 10, 1 << 22}, {1<<22 + 1, -1, 1<<22 + 1},
	} {
		idx, class := classOf(tc.size)
		if idx != tc.idx || class != tc.class {
			t.Errorf("classOf(%d) = %d, %d; want %d, %d", tc.size, idx, class, tc.idx, tc.class)
		}
	}
}
