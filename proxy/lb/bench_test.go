package lb

import (
	"fmt"
	"testing"
)

func BenchmarkPick(b *testing.B) {
	for _, p := range allPolicies {
		for _, weighted := range []bool{false, true} {
			hs := equalHosts(100)
			if weighted {
				for i := range hs {
					hs[i].Weight = uint32(i%7 + 1)
				}
			}
			pk := mustNew(b, p, hs, Options{})
			b.Run(fmt.Sprintf("%v/weighted=%v", p, weighted), func(b *testing.B) {
				b.ReportAllocs()
				var h uint64
				for b.Loop() {
					h += 0x9e3779b97f4a7c15
					pk.Pick(h, true)
				}
			})
		}
	}
}

func BenchmarkPickParallel(b *testing.B) {
	for _, p := range allPolicies {
		pk := mustNew(b, p, equalHosts(100), Options{})
		b.Run(p.String(), func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				var h uint64
				for pb.Next() {
					h += 0x9e3779b97f4a7c15
					pk.Pick(h, true)
				}
			})
		})
	}
}

func BenchmarkBuild(b *testing.B) {
	hs := equalHosts(100)
	for _, p := range allPolicies {
		b.Run(p.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := New(p, hs, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
