package autoprocs

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// machineTimes reads the first line of /proc/stat: the clock ticks every
// CPU of the machine spent idle (idle and iowait) and in all, since boot.
// ok is false where there is no /proc/stat.
func machineTimes() (idle, total uint64, ok bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return 0, 0, false
	}
	return parseCPULine(line)
}

// parseCPULine parses "cpu  user nice system idle iowait irq softirq
// steal guest guest_nice". Guest time is already counted in user and
// nice, so it is left out of the total.
func parseCPULine(line string) (idle, total uint64, ok bool) {
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i, s := range f[1:min(len(f), 9)] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += v
		if i == 3 || i == 4 { // idle, iowait
			idle += v
		}
	}
	return idle, total, true
}
