package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
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

// runPayouts is the finance CLI: it only talks to the HTTP API.
func runPayouts(ctx context.Context, args []string) error {
	c := financeClient{
		base: envOr("PAYSAGA_API_URL", "http://localhost:8080"),
		key:  envOr("PAYSAGA_API_KEY", "dev-finance-key"),
		hc:   &http.Client{Timeout: 30 * time.Second},
		out:  os.Stdout,
	}
	return c.run(ctx, args)
}

type financeClient struct {
	base, key string
	hc        *http.Client
	out       io.Writer
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
		return c.do(ctx, "GET", "/v1/payout-runs/"+url.PathEscape(rest[0]), nil)
	case "approve":
		if len(rest) != 1 {
			return c.usage()
		}
		return c.do(ctx, "POST", "/v1/payouts/"+url.PathEscape(rest[0])+"/approve", nil)
	}
	return c.usage()
}

func (c financeClient) schedules(ctx context.Context, args []string) error {
	sub, rest := split(args)
	path := func(id, suffix string) string { return "/v1/payout-schedules/" + url.PathEscape(id) + suffix }
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
		return c.do(ctx, "POST", "/v1/payout-schedules", map[string]any{"id": *id, "cron": *cron, "interval": *interval,
			"time_zone": *tz, "cycle": *cycle, "approval_threshold": *threshold, "paused": *paused, "note": *note})
	case "list":
		return c.do(ctx, "GET", "/v1/payout-schedules", nil)
	case "pause", "resume":
		if len(rest) < 1 {
			return c.usage()
		}
		fs := flag.NewFlagSet("schedules "+sub, flag.ContinueOnError)
		note := fs.String("note", "", "why")
		if err := fs.Parse(rest[1:]); err != nil {
			return err
		}
		return c.do(ctx, "PATCH", path(rest[0], ""), map[string]any{"paused": sub == "pause", "note": *note})
	case "show", "trigger", "delete":
		if len(rest) != 1 {
			return c.usage()
		}
		method, suffix := map[string]string{"show": "GET", "trigger": "POST", "delete": "DELETE"}[sub], ""
		if sub == "trigger" {
			suffix = "/trigger"
		}
		return c.do(ctx, method, path(rest[0], suffix), nil)
	}
	return c.usage()
}

func (c financeClient) usage() error {
	fmt.Fprint(os.Stderr, payoutsUsage)
	return exitCode(2)
}

// do sends one request and prints the answer: JSON to out on 2xx, the problem
// to stderr (exit 1) otherwise.
func (c financeClient) do(ctx context.Context, method, path string, body any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, raw, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(raw)
	}
	if res.StatusCode >= 300 {
		fmt.Fprintf(os.Stderr, "%s %s: %s\n%s\n", method, path, res.Status, pretty.String())
		return exitCode(1)
	}
	if pretty.Len() == 0 {
		fmt.Fprintf(c.out, "%s\n", res.Status)
		return nil
	}
	fmt.Fprintln(c.out, pretty.String())
	return nil
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
