package devstack

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Usage is what a service has consumed since it started, over its process
// group and the leader's children (PostgreSQL's backends start their own
// session, so they count as the postmaster's children; exited ones through
// its reaped-children counters): CPU time, user and system, and the
// bytes it had written to storage. Read twice around a run, it says what the
// run cost the service whatever else the machine was doing (issue 19: the
// durable floor on a shared machine).
type Usage struct {
	CPU        time.Duration
	WriteBytes int64
}

// Sub is the usage between two readings.
func (u Usage) Sub(before Usage) Usage {
	return Usage{CPU: u.CPU - before.CPU, WriteBytes: u.WriteBytes - before.WriteBytes}
}

// clockTicks is Linux's USER_HZ, the unit of /proc's CPU times (100 on every
// architecture Go supports on Linux).
const clockTicks = 100

// usage sums the leader p, its group and its children over /proc.
func (p *process) usage() (Usage, error) {
	if p == nil {
		return Usage{}, fmt.Errorf("no process")
	}
	leader := p.cmd.Process.Pid
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return Usage{}, err
	}
	var u Usage
	for _, dir := range dirs {
		ticks, ppid, pgrp, ok := procStat(dir)
		if !ok || (pgrp != leader && ppid != leader) {
			continue
		}
		u.CPU += time.Duration(ticks) * time.Second / clockTicks
		u.WriteBytes += procWriteBytes(dir)
	}
	return u, nil
}

// procStat reads a process's CPU ticks (utime, stime, cutime, cstime), its
// parent and its process group from /proc/PID/stat; ok is false when it has
// gone.
func procStat(dir string) (ticks int64, ppid, pgrp int, ok bool) {
	b, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return 0, 0, 0, false
	}
	// The command name (field 2) may hold spaces: fields count from its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, 0, false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return 0, 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1]) // field 4
	pgrp, _ = strconv.Atoi(f[2]) // field 5
	for _, k := range f[11:15] { // fields 14-17
		n, _ := strconv.ParseInt(k, 10, 64)
		ticks += n
	}
	return ticks, ppid, pgrp, true
}

// procWriteBytes is /proc/PID/io's write_bytes, 0 when unreadable.
func procWriteBytes(dir string) int64 {
	b, err := os.ReadFile(filepath.Join(dir, "io"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// Usage is the dev server's consumption so far.
func (t *Temporal) Usage() (Usage, error) { return t.proc.usage() }

// Usage is the Temporal server's consumption so far.
func (t *TemporalServer) Usage() (Usage, error) { return t.proc.usage() }

// Usage is PostgreSQL's consumption so far, every backend included.
func (p *Postgres) Usage() (Usage, error) { return p.proc.usage() }
