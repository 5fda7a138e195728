package memtrim

import (
	"strings"
	"testing"
)

const smapsFixture = `00400000-0101d000 r-xp 00000000 fe:00 10002440                           /opt/sidewire/bin/sidewire
Size:              12404 kB
Rss:               11380 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me sd
0101d000-01ff5000 r--p 00c1d000 fe:00 10002440                           /opt/sidewire/bin/sidewire
Size:              16224 kB
Rss:               10912 kB
Anonymous:             0 kB
01ff5000-020a1000 rw-p 01bf5000 fe:00 10002440                           /opt/sidewire/bin/sidewire
Rss:                 560 kB
Anonymous:           312 kB
3e0b7800000-3e0b8400000 rw-p 00000000 00:00 0 
Rss:                6788 kB
Anonymous:          6788 kB
7f799e698000-7f799e7ee000 r-xp 00026000 fe:00 326269                     /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                 920 kB
Anonymous:             0 kB
7f799e800000-7f799e900000 r--p 00000000 fe:00 10002441                   /opt/my apps/sidewire
Rss:                   8 kB
Anonymous:             0 kB
`

func TestParseSmaps(t *testing.T) {
	ms, err := parseSmaps(strings.NewReader(smapsFixture))
	if err != nil {
		t.Fatal(err)
	}
	want := []mapping{
		{start: 0x400000, end: 0x101d000, perms: "r-xp", path: "/opt/sidewire/bin/sidewire", rss: 11380 << 10},
		{start: 0x101d000, end: 0x1ff5000, perms: "r--p", path: "/opt/sidewire/bin/sidewire", rss: 10912 << 10},
		{start: 0x1ff5000, end: 0x20a1000, perms: "rw-p", path: "/opt/sidewire/bin/sidewire", rss: 560 << 10, anonymous: 312 << 10},
		{start: 0x3e0b7800000, end: 0x3e0b8400000, perms: "rw-p", rss: 6788 << 10, anonymous: 6788 << 10},
		{start: 0x7f799e698000, end: 0x7f799e7ee000, perms: "r-xp", path: "/usr/lib/x86_64-linux-gnu/libc.so.6", rss: 920 << 10},
		{start: 0x7f799e800000, end: 0x7f799e900000, perms: "r--p", path: "/opt/my apps/sidewire", rss: 8 << 10},
	}
	if len(ms) != len(want) {
		t.Fatalf("got %d mappings, want %d: %+v", len(ms), len(want), ms)
	}
	for i := range want {
		if ms[i] != want[i] {
			t.Errorf("mapping %d = %+v, want %+v", i, ms[i], want[i])
		}
	}
}

func TestParseSmapsRejectsShortHeader(t *testing.T) {
	if _, err := parseSmaps(strings.NewReader("00400000-0101d000 r-xp\n")); err == nil {
		t.Fatal("parseSmaps accepted a mapping line without offset, device and inode")
	}
}

func TestReleasable(t *testing.T) {
	const exe = "/opt/sidewire/bin/sidewire"
	text := mapping{start: 0x1000, end: 0x3000, perms: "r-xp", path: exe, rss: 8192}
	tests := []struct {
		name string
		edit func(*mapping)
		want bool
	}{
		{"text", func(*mapping) {}, true},
		{"rodata", func(m *mapping) { m.perms = "r--p" }, true},
		{"writable data", func(m *mapping) { m.perms = "rw-p" }, false},
		{"shared", func(m *mapping) { m.perms = "r-xs" }, false},
		{"unreadable", func(m *mapping) { m.perms = "---p" }, false},
		{"copy-on-write pages (relocated, or a debugger's breakpoints)", func(m *mapping) { m.anonymous = 4096 }, false},
		{"another file", func(m *mapping) { m.path = "/usr/lib/libc.so.6" }, false},
		{"replaced executable", func(m *mapping) { m.path = exe + " (deleted)" }, false},
		{"nothing resident", func(m *mapping) { m.rss = 0 }, false},
		{"anonymous memory", func(m *mapping) { m.path = "" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := text
			tt.edit(&m)
			if got := m.releasable(exe); got != tt.want {
				t.Errorf("releasable(%+v) = %v, want %v", m, got, tt.want)
			}
		})
	}
}
