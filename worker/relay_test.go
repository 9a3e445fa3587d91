package worker_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/testenv"
	"github.com/paysaga/paysaga/worker"
	"github.com/paysaga/paysaga/workflows"
)

// The relay starts a delivery workflow only for an event some endpoint
// subscribes to, fixes that event's deliveries, and stamps every event of the
// batch dispatched, subscribed or not.
func TestRelayStartsADeliveryOnlyWhenAnEndpointSubscribes(t *testing.T) {
	pool := testenv.Pool(t)
	ctx := context.Background()
	tc, err := client.Dial(client.Options{HostPort: testenv.TemporalAddress(t), Logger: quietLog{}})
	require.NoError(t, err)
	defer tc.Close()
	q := db.New(pool)
	_, err = pool.Exec(ctx, `INSERT INTO webhook_endpoints (id, url, event_types, secret_sealed) VALUES
		('we_paid', 'http://127.0.0.1:9/hooks', '{payment.succeeded}', '\x00'),
		('we_gone', 'http://127.0.0.1:9/old', '{}', '\x00')`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `UPDATE webhook_endpoints SET status = 'deleted', deleted_at = now() WHERE id = 'we_gone'`)
	require.NoError(t, err)

	run := uuid.NewString()[:8]
	paid, topup := "evt_paid_"+run, "evt_topup_"+run
	for _, ev := range []db.InsertEventParams{
		{ID: paid, Type: "payment.succeeded", Key: "k:" + paid, SubjectID: "pay_1", Data: []byte(`{}`)},
		{ID: topup, Type: "topup.succeeded", Key: "k:" + topup, SubjectID: "top_1", Data: []byte(`{}`)},
	} {
		require.NoError(t, q.InsertEvent(ctx, ev))
	}

	r := &worker.Relay{Pool: pool, Temporal: tc, TaskQueue: "relay-test-" + run, Interval: time.Hour, Log: zerolog.Nop(),
		Backoff: workflows.DeliveryBackoff{Initial: time.Second, Max: time.Second, MaxAttempts: 1}}
	n, err := r.Dispatch(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n, "both events dispatched")
	n, err = r.Dispatch(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing left to dispatch")

	var undispatched int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE dispatched_at IS NULL`).Scan(&undispatched))
	require.Zero(t, undispatched)
	var deliveries []string
	rows, err := pool.Query(ctx, `SELECT event_id || '>' || endpoint_id FROM event_deliveries ORDER BY 1`)
	require.NoError(t, err)
	for rows.Next() {
		var d string
		require.NoError(t, rows.Scan(&d))
		deliveries = append(deliveries, d)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{paid + ">we_paid"}, deliveries, "only the subscribed, active endpoint is owed the event")

	_, err = tc.DescribeWorkflowExecution(ctx, workflows.DeliverEventID(paid), "")
	require.NoError(t, err, "the subscribed event has its delivery workflow")
	_, err = tc.DescribeWorkflowExecution(ctx, workflows.DeliverEventID(topup), "")
	var notFound *serviceerror.NotFound
	require.True(t, errors.As(err, &notFound), "no workflow for an event nobody subscribes to: %v", err)
	require.NoError(t, tc.TerminateWorkflow(ctx, workflows.DeliverEventID(paid), "", fmt.Sprintf("relay test %s done", run)))
}

type quietLog struct{}

func (quietLog) Debug(string, ...any) {}
func (quietLog) Info(string, ...any)  {}
func (quietLog) Warn(string, ...any)  {}
func (quietLog) Error(string, ...any) {}
