package devstack

import (
	"os"
	"syscall"
	"testing"
)

// procStat parses this very process's /proc entry: its parent and group are
// what the kernel says, and its CPU is counted (the test itself burns some).
func TestProcStatReadsThisProcess(t *testing.T) {
	x := 0
	for i := range 20_000_000 { // some CPU, so the tick count is above zero
		x += i
	}
	_ = x
	ticks, ppid, pgrp, ok := procStat("/proc/self")
	if !ok {
		t.Fatal("procStat(/proc/self) failed")
	}
	if ppid != os.Getppid() || pgrp != syscall.Getpgrp() {
		t.Fatalf("ppid %d pgrp %d, want %d %d", ppid, pgrp, os.Getppid(), syscall.Getpgrp())
	}
	if ticks < 0 {
		t.Fatalf("ticks %d", ticks)
	}
	if _, _, _, ok := procStat("/proc/0"); ok {
		t.Fatal("a process that does not exist was read")
	}
}
