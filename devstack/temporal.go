package devstack

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// TemporalOptions says how to run the Temporal dev server (the pinned CLI).
type TemporalOptions struct {
	Bin    string // the temporal CLI, built by `make tools` into .bin/
	Port   int    // frontend gRPC
	UIPort int    // 0 runs headless (no UI)
	DBFile string // SQLite file that keeps history across runs; "" keeps it in memory
	// SQLite is how the file commits (SQLiteDurable, or SQLiteCrashSafe);
	// "" is SQLite's own default. Ignored without DBFile.
	SQLite SQLiteMode
	// CodecEndpoint is the codec server the UI calls to show payloads decoded.
	CodecEndpoint string
	Log           io.Writer
}

// Temporal is a running dev server.
type Temporal struct {
	Address string // host:port of the frontend
	UIURL   string // "" when headless
	proc    *process
}

// fastPolling removes the ~45 ms the dev server's default 20 RPS task-queue
// processors add to every workflow step.
var fastPolling = []string{
	"--dynamic-config-value", "history.transferProcessorMaxPollRPS=1000",
	"--dynamic-config-value", "history.timerProcessorMaxPollRPS=1000",
	"--dynamic-config-value", "history.visibilityProcessorMaxPollRPS=1000",
}

// StartTemporal starts the dev server and waits until its default namespace answers.
func StartTemporal(ctx context.Context, o TemporalOptions) (*Temporal, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	args := []string{"server", "start-dev", "--ip", "127.0.0.1", "--port", itoa(o.Port), "--log-level", "warn"}
	t := &Temporal{Address: fmt.Sprintf("127.0.0.1:%d", o.Port)}
	if o.UIPort == 0 {
		args = append(args, "--headless")
	} else {
		args = append(args, "--ui-port", itoa(o.UIPort))
		t.UIURL = fmt.Sprintf("http://localhost:%d", o.UIPort)
		if o.CodecEndpoint != "" {
			args = append(args, "--ui-codec-endpoint", o.CodecEndpoint)
		}
	}
	if o.DBFile != "" {
		args = append(args, "--db-filename", o.DBFile)
		pragmas, err := o.SQLite.pragmas()
		if err != nil {
			return nil, err
		}
		for _, p := range pragmas {
			args = append(args, "--sqlite-pragma", p)
		}
	}
	args = append(args, fastPolling...)
	p, err := start("temporal", exec.Command(o.Bin, args...), o.Log)
	if err != nil {
		return nil, err
	}
	t.proc = p
	err = waitFor(ctx, p, 90*time.Second, func(ctx context.Context) error {
		return namespaceReady(ctx, t.Address)
	})
	if err != nil {
		t.Stop()
		return nil, err
	}
	return t, nil
}

// Stop ends the dev server.
func (t *Temporal) Stop() { t.proc.stop(15 * time.Second) }

func namespaceReady(ctx context.Context, addr string) error {
	if err := portOpen(ctx, addr); err != nil {
		return err
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: addr, Logger: quietLogger{}})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	return err
}

// quietLogger keeps the SDK's connection chatter out of start-up output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
