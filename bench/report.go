package bench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// Meta describes the machine and command of a run, for the report header.
type Meta struct {
	Date    time.Time
	CPU     string
	Cores   int
	Kernel  string
	Go      string
	Command string
	// Busy is the fraction of the machine's CPU used by other work just
	// before the run (see MachineBusy); negative when unknown.
	Busy float64
}

// CollectMeta describes this machine, sampling its CPU use for a second;
// command is the command line to quote.
func CollectMeta(command string) Meta {
	m := Meta{Date: time.Now().UTC(), Cores: runtime.NumCPU(), Go: runtime.Version(), Command: command, Busy: -1}
	if busy, err := MachineBusy(time.Second); err == nil {
		m.Busy = busy
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// busyWarn is the machine CPU use above which a report warns of noise.
const busyWarn = 0.10

// Format selects the report rendering.
type Format int

// Report formats.
const (
	Text Format = iota
	Markdown
)

// WriteReport renders the results of a run.
func WriteReport(w io.Writer, f Format, meta Meta, results []*ScenarioResult) error {
	r := &reporter{w: w, md: f == Markdown}
	r.meta(meta)
	for _, res := range results {
		r.scenario(res)
	}
	return r.err
}

// reporter writes one report, remembering the first write error.
type reporter struct {
	w   io.Writer
	md  bool
	err error
}

func (r *reporter) printf(format string, args ...any) {
	if r.err == nil {
		_, r.err = fmt.Fprintf(r.w, format, args...)
	}
}

func (r *reporter) heading(level int, title string) {
	if r.md {
		r.printf("%s %s\n\n", strings.Repeat("#", level+1), title)
		return
	}
	r.printf("%s %s\n\n", strings.Repeat("=", 4-level), title)
}

func (r *reporter) table(t *table) {
	if r.err != nil {
		return
	}
	if r.md {
		r.err = t.writeMarkdown(r.w)
	} else {
		r.err = t.writeText(r.w)
	}
	r.printf("\n")
}

func (r *reporter) bullet(format string, args ...any) {
	r.printf("- "+format+"\n", args...)
}

func (r *reporter) meta(m Meta) {
	r.heading(1, "Sidewire load harness")
	r.bullet("date: %s", m.Date.Format("2006-01-02 15:04 MST"))
	r.bullet("machine: %s, %d cores, Linux %s, %s", orUnknown(m.CPU), m.Cores, orUnknown(m.Kernel), m.Go)
	if m.Command != "" {
		if r.md {
			r.bullet("command: `%s`", m.Command)
		} else {
			r.bullet("command: %s", m.Command)
		}
	}
	if m.Busy >= 0 {
		note := ""
		if m.Busy > busyWarn {
			note = " - WARNING: other work was running, figures are noisy"
		}
		r.bullet("machine CPU in use before the run: %.0f%%%s", m.Busy*100, note)
	}
	r.printf("\n")
}

func (r *reporter) scenario(res *ScenarioResult) {
	r.heading(2, "Scenario "+res.Name)
	r.printf("%s.\n\n", res.Title)
	if res.Upstream != "" {
		r.bullet("upstream and client: %s", res.Upstream)
	}
	for _, t := range res.Targets {
		if t.Version != "" {
			r.bullet("%s (%s): %s", t.Name, t.Kind, t.Version)
		}
	}
	r.bullet("medians of %d repetitions; ratios and added latency against %s; spread is ±(max-min)/2 of the repetitions' throughput, relative to the median", res.Reps, Direct)
	if coarse, all := coarseCPUSamples(res); coarse > 0 {
		r.bullet("proxy CPU from per-thread schedstat (ns), except %d of %d samples from /proc/PID/stat clock ticks (%s resolution) because a thread exited during the run", coarse, all, ClockTick())
	} else if all > 0 {
		r.bullet("proxy CPU from per-thread schedstat (ns) in all %d samples", all)
	}
	if n, noisy, med, hi := foreignSummary(res); n > 0 {
		note := ""
		if noisy > 0 {
			note = fmt.Sprintf("; %d runs stayed above %.0f%% after retries: their figures are noise", noisy, res.MaxForeign*100)
		}
		r.bullet("other processes used a median %.0f%% (max %.0f%%) of the machine's CPU during the %d runs (column \"others\")%s", med*100, hi*100, n, note)
	}
	r.printf("\n")
	for _, c := range res.Cases {
		r.heading(3, fmt.Sprintf("%s: %s", c.Name, c.Detail))
		r.table(caseTable(res, c))
	}
	if t := cpuTable(res); t != nil {
		r.heading(3, fmt.Sprintf("%s vs %s", res.Subject, res.CPURef))
		r.table(t)
	}
	if t := memoryTable(res); t != nil {
		r.heading(3, "Proxy memory (MiB)")
		r.table(t)
	}
	for _, t := range res.Targets {
		switch {
		case t.Skipped:
			r.bullet("%s not measured: %s", t.Name, oneLine(t.Err))
		case t.Err != "":
			r.bullet("%s FAILED: %s", t.Name, oneLine(t.Err))
		}
	}
	r.printf("\n")
}

func caseTable(res *ScenarioResult, c CaseInfo) *table {
	cpuHead := "CPU ×ref"
	if res.CPURef != "" {
		cpuHead = "CPU ×" + res.CPURef
	}
	t := &table{header: []string{"op", "target", "kind", "req/s", "×direct", "spread", "p50 ms", "+p50 µs", "p99 ms", "+p99 µs", "CPU µs/req", cpuHead, "others"}}
	for _, op := range c.Ops {
		for _, row := range res.Rows(c.Name, op) {
			t.add(op, row.Target, row.Kind,
				fmt.Sprintf("%.0f", row.RPS),
				ifElse(row.HasDirect, fmt.Sprintf("%.2f", row.RPSRatio)),
				fmt.Sprintf("±%.0f%%", row.RPSSpread*50),
				fmt.Sprintf("%.3f", ms(row.P50)),
				ifElse(row.HasDirect && row.Target != Direct, fmt.Sprintf("%+.0f", us(row.AddP50))),
				fmt.Sprintf("%.3f", ms(row.P99)),
				ifElse(row.HasDirect && row.Target != Direct, fmt.Sprintf("%+.0f", us(row.AddP99))),
				ifElse(row.HasCPU, fmt.Sprintf("%.2f", row.CPUPerReq)),
				ifElse(row.HasCPURatio, fmt.Sprintf("%.2f", row.CPURatio)),
				ifElse(row.Foreign >= 0, fmt.Sprintf("%.0f%%", row.Foreign*100)),
			)
		}
	}
	return t
}

// cpuTable compares the scenario's subject with its CPU reference per case
// and op, or returns nil when either has no samples.
func cpuTable(res *ScenarioResult) *table {
	if res.Subject == "" || res.CPURef == "" {
		return nil
	}
	t := &table{header: []string{"case", "op", res.Subject + " CPU µs/req", res.CPURef + " CPU µs/req", "CPU ratio", "req/s ratio", "+p99 µs difference"}}
	for _, c := range res.Cases {
		for _, op := range c.Ops {
			var sub, ref *Row
			rows := res.Rows(c.Name, op)
			for i := range rows {
				switch rows[i].Target {
				case res.Subject:
					sub = &rows[i]
				case res.CPURef:
					ref = &rows[i]
				}
			}
			if sub == nil || ref == nil || !sub.HasCPU || !ref.HasCPU || ref.CPUPerReq == 0 || ref.RPS == 0 {
				continue
			}
			t.add(c.Name, op,
				fmt.Sprintf("%.2f", sub.CPUPerReq), fmt.Sprintf("%.2f", ref.CPUPerReq),
				fmt.Sprintf("%.2f", sub.CPUPerReq/ref.CPUPerReq),
				fmt.Sprintf("%.2f", sub.RPS/ref.RPS),
				fmt.Sprintf("%+.0f", us(sub.P99-ref.P99)))
		}
	}
	if len(t.rows) == 0 {
		return nil
	}
	return t
}

// foreignSummary counts the samples with a known share of CPU used by other
// processes, those above the run's threshold, and the median and maximum.
func foreignSummary(res *ScenarioResult) (n, noisy int, med, hi float64) {
	var fs []float64
	for _, s := range res.Samples {
		if s.Foreign < 0 {
			continue
		}
		fs = append(fs, s.Foreign)
		hi = max(hi, s.Foreign)
		if s.Foreign > res.MaxForeign {
			noisy++
		}
	}
	return len(fs), noisy, median(fs), hi
}

// coarseCPUSamples counts the proxy samples whose CPU time came from clock
// ticks, and all proxy samples.
func coarseCPUSamples(res *ScenarioResult) (coarse, all int) {
	proxies := map[string]bool{}
	for _, t := range res.Targets {
		proxies[t.Name] = t.HasProc
	}
	for _, s := range res.Samples {
		if !proxies[s.Target] {
			continue
		}
		all++
		if !s.CPUPrecise {
			coarse++
		}
	}
	return coarse, all
}

func memoryTable(res *ScenarioResult) *table {
	t := &table{header: []string{"target", "RSS idle", "RSS after load", "peak RSS (VmHWM)", "private (RssAnon) after load", "file-backed (RssFile) after load"}}
	for _, tr := range res.Targets {
		if !tr.HasProc || tr.End.RSS == 0 {
			continue
		}
		t.add(tr.Name, mib(tr.Idle.RSS), mib(tr.End.RSS), mib(tr.End.Peak), mib(tr.End.Anon), mib(tr.End.File))
	}
	if len(t.rows) == 0 {
		return nil
	}
	return t
}

func mib(b uint64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func ifElse(ok bool, s string) string {
	if ok {
		return s
	}
	return "-"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// oneLine shortens a multi-line error (one quoting a process's output) to
// its first line and the last line of the output, which usually says why.
func oneLine(s string) string {
	first, rest, _ := strings.Cut(s, "\n")
	lines := strings.Split(strings.TrimSpace(rest), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		first += " [last output: " + last + "]"
	}
	return first
}
