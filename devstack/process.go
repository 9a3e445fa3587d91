// Package devstack starts the real services paysaga runs on, PostgreSQL and the
// Temporal dev server, as child processes for `paysaga dev`, `paysaga services`
// (which `make test` uses) and `paysaga bench`. Children die with the parent
// (Pdeathsig), so an interrupted run leaves nothing behind.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// process is one started child.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// start runs cmd in its own process group, killed if this process dies.
func start(name string, cmd *exec.Cmd, out io.Writer) (*process, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop asks the process group to end (SIGINT: PostgreSQL's fast shutdown, the
// dev server's clean exit) and kills it after grace.
func (p *process) stop(grace time.Duration) {
	if p == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// exited reports an error if the process has already ended.
func (p *process) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited: %v", p.name, p.err)
	default:
		return nil
	}
}

// waitFor polls ready until it succeeds, the process dies or ctx ends.
func waitFor(ctx context.Context, p *process, timeout time.Duration, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if err := p.exited(); err != nil {
			return err
		}
		if last = ready(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w", p.name, timeout, errors.Join(ctx.Err(), last))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// FreePort asks the kernel for an unused TCP port on loopback.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// portOpen reports whether something accepts connections on addr.
func portOpen(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

func itoa(n int) string { return strconv.Itoa(n) }

// ensureDir creates dir (and parents) world-traversable, so a service that runs
// as another user can reach what lies below it.
func ensureDir(dir string) error {
	return os.MkdirAll(dir, 0o755)
}

// Process is a child started by StartProcess: in its own process group, and
// killed when this process dies. The chaos harness runs paysaga's own
// processes (api, worker, sim) with it.
type Process struct{ p *process }

// StartProcess starts cmd with its output to out.
func StartProcess(name string, cmd *exec.Cmd, out io.Writer) (*Process, error) {
	p, err := start(name, cmd, out)
	if err != nil {
		return nil, err
	}
	return &Process{p: p}, nil
}

// Kill ends the process group with SIGKILL (no chance to clean up) and waits.
func (p *Process) Kill() {
	_ = syscall.Kill(-p.p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.p.done
}

// Stop asks the process group to end (SIGINT) and kills it after grace.
func (p *Process) Stop(grace time.Duration) { p.p.stop(grace) }

// Exited reports an error if the process has already ended.
func (p *Process) Exited() error { return p.p.exited() }

// Terminate sends SIGTERM to the process (what Kubernetes sends on a deploy)
// and waits up to grace for it to exit. It returns how long the exit took and
// the process's own exit error; past grace it kills the group and says so.
func (p *Process) Terminate(grace time.Duration) (time.Duration, error) {
	began := time.Now()
	_ = syscall.Kill(p.p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.p.done:
		return time.Since(began), p.p.err
	case <-time.After(grace):
		_ = syscall.Kill(-p.p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.p.done
		return time.Since(began), fmt.Errorf("%s still running %s after SIGTERM: killed", p.p.name, grace)
	}
}
