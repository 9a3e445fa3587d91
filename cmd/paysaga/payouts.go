package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/paysaga/paysaga/client"
)

const payoutsUsage = `usage: paysaga payouts <command> [flags] [args]

  schedules create -id ID (-cron "0 10 * * *" | -interval 24h) [-tz Asia/Seoul] [-cycle daily|weekly|monthly]
                   [-threshold AMOUNT] [-paused] [-note TEXT]
  schedules list
  schedules show ID
  schedules pause ID [-note TEXT]
  schedules resume ID [-note TEXT]
  schedules trigger ID
  schedules delete ID
  runs show RUN_ID
  approve PAYOUT_ID

The finance API is PAYSAGA_API_URL (default http://localhost:8080) with the key
PAYSAGA_API_KEY (default dev-finance-key). Answers are printed as JSON; an error
answer (problem+json) is printed to stderr and exits 1.
`

// runPayouts is the finance CLI: it only talks to the HTTP API, through the
// generated client.
func runPayouts(ctx context.Context, args []string) error {
	c, err := newFinanceClient(envOr("PAYSAGA_API_URL", "http://localhost:8080"), envOr("PAYSAGA_API_KEY", "dev-finance-key"),
		&http.Client{Timeout: 30 * time.Second}, os.Stdout)
	if err != nil {
		return err
	}
	return c.run(ctx, args)
}

type financeClient struct {
	api *client.Client
	out io.Writer
}

func newFinanceClient(base, key string, hc *http.Client, out io.Writer) (financeClient, error) {
	api, err := client.NewClient(base, client.WithHTTPClient(hc), client.WithAPIKey(key))
	if err != nil {
		return financeClient{}, fmt.Errorf("finance client: %w", err)
	}
	return financeClient{api: api, out: out}, nil
}

func (c financeClient) run(ctx context.Context, args []string) error {
	cmd, rest := split(args)
	switch cmd {
	case "schedules":
		return c.schedules(ctx, rest)
	case "runs":
		sub, rest := split(rest)
		if sub != "show" || len(rest) != 1 {
			return c.usage()
		}
		return c.do("runs show", func() (*http.Response, error) { return c.api.GetPayoutRun(ctx, rest[0], nil) })
	case "approve":
		if len(rest) != 1 {
			return c.usage()
		}
		return c.do("approve", func() (*http.Response, error) {
			return c.api.ApprovePayoutWithBody(ctx, rest[0], "application/json", nil)
		})
	}
	return c.usage()
}

func (c financeClient) schedules(ctx context.Context, args []string) error {
	sub, rest := split(args)
	switch sub {
	case "create":
		fs := flag.NewFlagSet("schedules create", flag.ContinueOnError)
		id := fs.String("id", "", "schedule id")
		cron := fs.String("cron", "", `cron expression in the time zone, e.g. "0 10 * * *"`)
		interval := fs.String("interval", "", "or an interval, e.g. 24h")
		tz := fs.String("tz", "Asia/Seoul", "IANA time zone")
		cycle := fs.String("cycle", "daily", "period each run settles: daily, weekly, monthly")
		threshold := fs.Int64("threshold", 0, "payouts above this amount wait for approval (0: none)")
		paused := fs.Bool("paused", false, "create it paused")
		note := fs.String("note", "", "note shown in the Temporal UI")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		body := client.CreatePayoutScheduleJSONRequestBody{Id: *id, Cron: given(*cron), Interval: given(*interval),
			TimeZone: given(*tz), Cycle: given(*cycle), ApprovalThreshold: threshold, Paused: paused, Note: given(*note)}
		return c.do("schedules create", func() (*http.Response, error) { return c.api.CreatePayoutSchedule(ctx, body) })
	case "list":
		return c.do("schedules list", func() (*http.Response, error) { return c.api.ListPayoutSchedules(ctx) })
	case "pause", "resume":
		if len(rest) < 1 {
			return c.usage()
		}
		fs := flag.NewFlagSet("schedules "+sub, flag.ContinueOnError)
		note := fs.String("note", "", "why")
		if err := fs.Parse(rest[1:]); err != nil {
			return err
		}
		body := client.PatchPayoutScheduleJSONRequestBody{Paused: sub == "pause", Note: given(*note)}
		return c.do("schedules "+sub, func() (*http.Response, error) { return c.api.PatchPayoutSchedule(ctx, rest[0], body) })
	case "show", "trigger", "delete":
		if len(rest) != 1 {
			return c.usage()
		}
		call := map[string]func(context.Context, string, ...client.RequestEditorFn) (*http.Response, error){
			"show": c.api.GetPayoutSchedule, "trigger": c.api.TriggerPayoutSchedule, "delete": c.api.DeletePayoutSchedule,
		}[sub]
		return c.do("schedules "+sub, func() (*http.Response, error) { return call(ctx, rest[0]) })
	}
	return c.usage()
}

func (c financeClient) usage() error {
	fmt.Fprint(os.Stderr, payoutsUsage)
	return exitCode(2)
}

// do makes one call and prints the answer: JSON to out on 2xx, the problem to
// stderr (exit 1) otherwise.
func (c financeClient) do(what string, call func() (*http.Response, error)) error {
	res, err := call()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, raw, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(raw)
	}
	if res.StatusCode >= 300 {
		fmt.Fprintf(os.Stderr, "%s %s: %s\n%s\n", res.Request.Method, res.Request.URL.Path, res.Status, pretty.String())
		return exitCode(1)
	}
	if pretty.Len() == 0 {
		fmt.Fprintf(c.out, "%s\n", res.Status)
		return nil
	}
	fmt.Fprintln(c.out, pretty.String())
	return nil
}

// given is nil for a flag left empty, so the API applies its default.
func given(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func split(args []string) (string, []string) {
	if len(args) == 0 {
		return "", nil
	}
	return args[0], args[1:]
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
