// Package deliveryloop starts and wakes the per-endpoint event delivery loops
// (workflows.EndpointDelivery) from outside a workflow: the outbox relay when
// it fixes new deliveries, the API when ops re-send one or delete an endpoint.
package deliveryloop

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/workflows"
)

// Fixed shape of every loop: deliveries per activity, how often an idle loop
// looks for work without a wake (a safety net: wakes are only hints), and
// activities per run before continue-as-new (about 10 history events each).
const (
	batch       = 50
	idleRecheck = 5 * time.Minute
	maxBatches  = 500
)

// Settings are the loops' settings from the configuration.
func Settings(cfg config.Config) workflows.EndpointDeliverySettings {
	return workflows.EndpointDeliverySettings{
		Backoff:         workflows.DeliveryBackoff{Initial: cfg.EventRetryInitial, Max: cfg.EventRetryMax, MaxAttempts: int(cfg.EventMaxAttempts)},
		BreakerFailures: int(cfg.EventBreakerFailures),
		BreakerCooldown: cfg.EventBreakerCooldown,
		Batch:           batch,
		Pace:            cfg.EventPace,
		AttemptTimeout:  cfg.EventTimeout,
		IdleRecheck:     idleRecheck,
		MaxBatches:      maxBatches,
	}
}

// Wake signals the endpoint's loop that it is owed something, starting the
// loop if it does not run (signal-with-start: one call either way).
func Wake(ctx context.Context, c client.Client, taskQueue, endpointID string, s workflows.EndpointDeliverySettings) error {
	id := workflows.EndpointDeliveryID(endpointID)
	_, err := c.SignalWithStartWorkflow(ctx, id, workflows.EndpointDeliveryWake, nil, client.StartWorkflowOptions{
		ID: id, TaskQueue: taskQueue, WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.EndpointDeliveryName, workflows.EndpointDeliveryInput{EndpointID: endpointID, Settings: s})
	if err != nil {
		return fmt.Errorf("wake delivery loop of %s: %w", endpointID, err)
	}
	return nil
}

// Stop cancels the endpoint's loop (its endpoint was deleted); a loop that
// does not run is stopped already.
func Stop(ctx context.Context, c client.Client, endpointID string) error {
	err := c.CancelWorkflow(ctx, workflows.EndpointDeliveryID(endpointID), "")
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		return fmt.Errorf("stop delivery loop of %s: %w", endpointID, err)
	}
	return nil
}
