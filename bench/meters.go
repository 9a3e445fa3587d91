package bench

import (
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/paysaga/paysaga/devstack"
)

// Meter reads one service's consumption so far (devstack's Usage).
type Meter struct {
	Name string
	Read func() (devstack.Usage, error)
}

// SelfMeter is this process: paysaga's API and worker, the sandbox, the load
// client and the bare workflow's worker, all in the bench's process.
var SelfMeter = Meter{Name: "bench process", Read: func() (devstack.Usage, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return devstack.Usage{}, err
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return devstack.Usage{CPU: cpu, WriteBytes: ru.Oublock * 512}, nil
}}

// metered runs f and returns what each meter's service consumed meanwhile.
func metered(meters []Meter, f func()) []devstack.Usage {
	before := readMeters(meters)
	f()
	after := readMeters(meters)
	out := make([]devstack.Usage, len(meters))
	for i := range meters {
		out[i] = after[i].Sub(before[i])
	}
	return out
}

func readMeters(meters []Meter) []devstack.Usage {
	out := make([]devstack.Usage, len(meters))
	for i, m := range meters {
		out[i], _ = m.Read() // an unreadable meter reads zero, and prints so
	}
	return out
}

// reportCost prints, per run, each service's CPU and storage writes per
// request started: what a workflow costs the machine, which holds whatever
// load the shared machine carried (the latencies do not).
func reportCost(w io.Writer, meters []Meter, names []string, costs [][]devstack.Usage, ns []int) {
	if len(meters) == 0 {
		return
	}
	head := make([]string, len(meters))
	for i, m := range meters {
		head[i] = fmt.Sprintf("%24s", m.Name+" cpu / write")
	}
	fmt.Fprintf(w, "%-22s %s   (per request, the run and its drain)\n", "cost", strings.Join(head, " "))
	for r, name := range names {
		cells := make([]string, len(meters))
		for i := range meters {
			u := costs[r][i]
			n := max(ns[r], 1)
			cells[i] = fmt.Sprintf("%24s", fmt.Sprintf("%.1fms / %.1fKB", float64(u.CPU.Microseconds())/1000/float64(n), float64(u.WriteBytes)/1024/float64(n)))
		}
		fmt.Fprintf(w, "%-22s %s\n", name, strings.Join(cells, " "))
	}
}
