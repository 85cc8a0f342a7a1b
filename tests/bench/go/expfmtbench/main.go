// Command expfmtbench parses a Prometheus text exposition N times with github.com/prometheus/common/expfmt's
// TextParser (what the Go client library and many tools use) and prints the parse time, for bench_exposition.
package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/common/expfmt"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: expfmtbench FILE REPETITIONS")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	reps, err := strconv.Atoi(os.Args[2])
	if err != nil || reps < 1 {
		fmt.Fprintln(os.Stderr, "bad repetition count")
		os.Exit(2)
	}
	samples := 0
	cpuStart := cpuSeconds()
	start := time.Now()
	for i := 0; i < reps; i++ {
		var parser expfmt.TextParser
		families, err := parser.TextToMetricFamilies(bytes.NewReader(data))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if i == 0 {
			// Sample lines, counted the way the exposition writes them.
			for _, mf := range families {
				for _, m := range mf.GetMetric() {
					switch {
					case m.Histogram != nil:
						samples += len(m.Histogram.GetBucket()) + 2
					case m.Summary != nil:
						samples += len(m.Summary.GetQuantile()) + 2
					default:
						samples++
					}
				}
			}
		}
	}
	elapsed := time.Since(start)
	fmt.Printf("seconds=%.6f samples=%d wall=%.6f\n", cpuSeconds()-cpuStart, samples, elapsed.Seconds())
}

// cpuSeconds is the process's user+system CPU time, garbage collector threads included: on a shared machine CPU time
// is a steadier measure than wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
