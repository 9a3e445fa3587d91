package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// The finance CLI maps each command to one API call with the finance key.
func TestPayoutsCLISendsTheRightRequests(t *testing.T) {
	type call struct{ method, path, body, auth string }
	var got []call
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, call{r.Method, r.URL.Path, string(b), r.Header.Get("Authorization")})
		if r.URL.Path == "/v1/payouts/missing/approve" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"code":"payout_not_found"}`))
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	var out bytes.Buffer
	c, err := newFinanceClient(srv.URL, "fin-key", srv.Client(), &out)
	require.NoError(t, err)
	ctx := context.Background()

	require.NoError(t, c.run(ctx, []string{"schedules", "create", "-id", "daily", "-cron", "0 10 * * *", "-threshold", "1000000"}))
	require.NoError(t, c.run(ctx, []string{"schedules", "list"}))
	require.NoError(t, c.run(ctx, []string{"schedules", "pause", "daily", "-note", "month end"}))
	require.NoError(t, c.run(ctx, []string{"schedules", "resume", "daily"}))
	require.NoError(t, c.run(ctx, []string{"schedules", "trigger", "daily"}))
	require.NoError(t, c.run(ctx, []string{"schedules", "delete", "daily"}))
	require.NoError(t, c.run(ctx, []string{"runs", "show", "payout-run-daily-2026-11-25T01:00:00Z"}))
	require.NoError(t, c.run(ctx, []string{"approve", "payout-farm-a-20261125"}))
	var exit exitCode
	require.ErrorAs(t, c.run(ctx, []string{"approve", "missing"}), &exit)
	require.Equal(t, exitCode(1), exit, "an error answer exits 1")
	require.ErrorAs(t, c.run(ctx, []string{"schedules", "frobnicate"}), &exit)
	require.Equal(t, exitCode(2), exit)

	require.Equal(t, []call{
		{"POST", "/v1/payout-schedules", `{"approval_threshold":1000000,"cron":"0 10 * * *","cycle":"daily","id":"daily","paused":false,"time_zone":"Asia/Seoul"}`, "Bearer fin-key"},
		{"GET", "/v1/payout-schedules", "", "Bearer fin-key"},
		{"PATCH", "/v1/payout-schedules/daily", `{"note":"month end","paused":true}`, "Bearer fin-key"},
		{"PATCH", "/v1/payout-schedules/daily", `{"paused":false}`, "Bearer fin-key"},
		{"POST", "/v1/payout-schedules/daily/trigger", "", "Bearer fin-key"},
		{"DELETE", "/v1/payout-schedules/daily", "", "Bearer fin-key"},
		{"GET", "/v1/payout-runs/payout-run-daily-2026-11-25T01:00:00Z", "", "Bearer fin-key"},
		{"POST", "/v1/payouts/payout-farm-a-20261125/approve", "", "Bearer fin-key"},
		{"POST", "/v1/payouts/missing/approve", "", "Bearer fin-key"},
	}, got)
	require.Contains(t, out.String(), `"ok": true`)
}
