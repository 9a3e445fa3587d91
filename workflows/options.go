package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// Every step runs as a local activity: provider and database calls take
// milliseconds, and local activities run inside the workflow task, which is what
// keeps a checkout within tens of milliseconds of overhead. All retries are bounded.

// providerCtx is for PG and bank calls: a few quick retries with the same
// idempotency key; declines and bad requests are final.
func providerCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    5 * time.Second,
		ScheduleToCloseTimeout: 45 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    100 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    3 * time.Second,
			MaximumAttempts:    6,
			NonRetryableErrorTypes: []string{
				activities.ErrDeclined, activities.ErrInvalidRequest,
				activities.ErrProviderUnavailable, activities.ErrNotRefundable, activities.ErrHolderMismatch,
			},
		},
	})
}

// compensationCtx undoes a step. It must outlive a cancelled workflow and keeps
// trying longer than a forward step: an un-voided authorization holds the
// customer's money.
func compensationCtx(ctx workflow.Context) workflow.Context {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	return workflow.WithLocalActivityOptions(dctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    5 * time.Second,
		ScheduleToCloseTimeout: 30 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        200 * time.Millisecond,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			MaximumAttempts:        40,
			NonRetryableErrorTypes: []string{activities.ErrDeclined, activities.ErrInvalidRequest},
		},
	})
}

// dbCtx is for PostgreSQL writes: they must land, so they retry for minutes
// (a database restart) but not forever.
func dbCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 15 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        100 * time.Millisecond,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			MaximumAttempts:        40,
			NonRetryableErrorTypes: []string{activities.ErrNotRefundable, activities.ErrInvalidRequest, activities.ErrLimitExceeded},
		},
	})
}

// finalCtx is dbCtx for writes made after a failure, which must not be skipped
// even when the workflow is being cancelled.
func finalCtx(ctx workflow.Context) workflow.Context {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	return dbCtx(dctx)
}
