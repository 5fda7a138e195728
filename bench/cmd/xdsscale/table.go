package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// writeRow writes one markdown table row: median, min and max of v.
func writeRow(w io.Writer, name, unit, target string, v []float64) {
	s := slices.Clone(v)
	slices.Sort(s)
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) + " " + unit }
	fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", name, f(median(s)), f(s[0]), f(s[len(s)-1]), target)
}

// median of sorted values.
func median(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// readRSS returns VmRSS and VmHWM from /proc/self/status, in bytes.
func readRSS() (rss, hwm uint64, err error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, fmt.Errorf("read rss: %w", err)
	}
	return parseStatus(data)
}

func parseStatus(data []byte) (rss, hwm uint64, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	found := 0
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parse %s: %w", key, err)
		}
		if key == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("parse status: VmRSS or VmHWM missing")
	}
	return rss, hwm, nil
}

// resetPeakRSS resets VmHWM to the current RSS (Linux: clear_refs 5),
// so each repetition reports its own peak. Failure leaves the peak of
// the process so far.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}
