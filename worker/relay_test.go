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

// The relay fixes the deliveries of an event some endpoint subscribes to,
// wakes (starts) that endpoint's delivery loop, starts no workflow for an
// event nobody subscribes to nor any per-event one, and stamps every event of
// the batch dispatched, subscribed or not.
func TestRelayWakesTheLoopOnlyOfAnEndpointThatSubscribes(t *testing.T) {
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
		Delivery: workflows.EndpointDeliverySettings{Backoff: workflows.DeliveryBackoff{Initial: time.Second, Max: time.Second, MaxAttempts: 1},
			BreakerFailures: 1, BreakerCooldown: time.Second, Batch: 1, AttemptTimeout: time.Second, IdleRecheck: time.Minute, MaxBatches: 10}}
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
	rows, err := pool.Query(ctx, `SELECT event_id || '>' || endpoint_id || '>' || via FROM event_deliveries ORDER BY 1`)
	require.NoError(t, err)
	for rows.Next() {
		var d string
		require.NoError(t, rows.Scan(&d))
		deliveries = append(deliveries, d)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{paid + ">we_paid>loop"}, deliveries, "only the subscribed, active endpoint is owed the event, by its loop")

	_, err = tc.DescribeWorkflowExecution(ctx, workflows.EndpointDeliveryID("we_paid"), "")
	require.NoError(t, err, "the subscribed endpoint's loop runs")
	var notFound *serviceerror.NotFound
	for _, id := range []string{workflows.EndpointDeliveryID("we_gone"), workflows.DeliverEventID(paid), workflows.DeliverEventID(topup)} {
		_, err = tc.DescribeWorkflowExecution(ctx, id, "")
		require.True(t, errors.As(err, &notFound), "no workflow %s: %v", id, err)
	}
	require.NoError(t, tc.TerminateWorkflow(ctx, workflows.EndpointDeliveryID("we_paid"), "", fmt.Sprintf("relay test %s done", run)))
}

type quietLog struct{}

func (quietLog) Debug(string, ...any) {}
func (quietLog) Info(string, ...any)  {}
func (quietLog) Warn(string, ...any)  {}
func (quietLog) Error(string, ...any) {}
