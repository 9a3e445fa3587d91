package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// Fulfilment of one payment item (one producer's share of an order): the app
// reports the delivery and the buyer's purchase confirmation (구매확정) as
// updates; an item delivered and not confirmed within AutoConfirmAfter
// confirms itself, on a durable timer that survives restarts of everything.
// Its id is fulfilment-{payment}-{producer}, so every event of an item reaches
// the same workflow.
const (
	FulfilmentName   = "Fulfilment"
	DeliveredUpdate  = "delivered"
	ConfirmUpdate    = "confirm"
	fulfilmentPrefix = "fulfilment-"
)

func FulfilmentID(paymentID, producerID string) string {
	return fulfilmentPrefix + paymentID + "-" + producerID
}

// FulfilmentInput is fixed when the first event starts the workflow: the
// windows are copied from config so a config change never alters a running one.
type FulfilmentInput struct {
	PaymentID        string
	ProducerID       string
	AutoConfirmAfter time.Duration // after delivery
	Deadline         time.Duration // settlement due this long after confirmation
}

// FulfilmentEvent is an update's argument: when it happened, per the app.
type FulfilmentEvent struct {
	At time.Time
}

type FulfilmentResult struct {
	Item activities.ItemState
}

var settlement *activities.Settlement

// autoConfirmRetry is the wait before an auto-confirmation the database could
// not take is tried again.
const autoConfirmRetry = 10 * time.Minute

var errFulfilmentConfirmed = errors.New("the purchase is already confirmed")

// Fulfilment waits for the item's delivery and confirmation: confirm by the
// buyer -> book it; delivered and quiet for AutoConfirmAfter -> confirm it at
// delivery + AutoConfirmAfter. It ends once confirmed (or when the item can
// never be confirmed: refunded in full).
func Fulfilment(ctx workflow.Context, in FulfilmentInput) (FulfilmentResult, error) {
	f := &fulfilment{in: in}
	if err := f.handleUpdates(ctx); err != nil {
		return FulfilmentResult{}, err
	}
	for f.state.ConfirmedAt.IsZero() && !f.final {
		if f.state.DeliveredAt.IsZero() {
			if err := workflow.Await(ctx, func() bool { return f.done() || !f.state.DeliveredAt.IsZero() }); err != nil {
				return f.result(), err
			}
			continue
		}
		autoAt := f.state.DeliveredAt.Add(in.AutoConfirmAfter)
		if wait := autoAt.Sub(workflow.Now(ctx)); wait > 0 {
			if _, err := workflow.AwaitWithTimeout(ctx, wait, f.done); err != nil {
				return f.result(), err
			}
			continue
		}
		if _, err := f.confirm(ctx, autoAt, activities.ConfirmedByAuto); err != nil {
			if activities.IsType(err, activities.ErrFulfilment) {
				workflow.GetLogger(ctx).Warn("auto-confirmation rejected", "error", err)
				f.final = true
				continue
			}
			// The database stayed down past dbCtx's retries: try again later,
			// still confirming at autoAt.
			if err := workflow.Sleep(ctx, autoConfirmRetry); err != nil {
				return f.result(), err
			}
		}
	}
	// Let an update still being answered finish before the workflow closes.
	err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return f.result(), err
}

type fulfilment struct {
	in    FulfilmentInput
	state activities.ItemState
	final bool // nothing more can happen: refunded in full
	busy  bool // a confirmation is being booked
}

func (f *fulfilment) done() bool { return !f.state.ConfirmedAt.IsZero() || f.final }

func (f *fulfilment) result() FulfilmentResult { return FulfilmentResult{Item: f.state} }

func (f *fulfilment) ref() activities.ItemRef {
	return activities.ItemRef{PaymentID: f.in.PaymentID, ProducerID: f.in.ProducerID}
}

func (f *fulfilment) handleUpdates(ctx workflow.Context) error {
	err := workflow.SetUpdateHandlerWithOptions(ctx, DeliveredUpdate,
		func(ctx workflow.Context, ev FulfilmentEvent) (activities.ItemState, error) {
			var st activities.ItemState
			err := workflow.ExecuteLocalActivity(dbCtx(ctx), settlement.MarkDelivered, activities.MarkDeliveredInput{
				ItemRef: f.ref(), At: ev.At,
			}).Get(ctx, &st)
			if err != nil {
				return st, err
			}
			f.state = st
			return st, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, ev FulfilmentEvent) error {
			if !f.state.ConfirmedAt.IsZero() {
				return errFulfilmentConfirmed
			}
			return nil
		}})
	if err != nil {
		return err
	}
	return workflow.SetUpdateHandler(ctx, ConfirmUpdate,
		func(ctx workflow.Context, ev FulfilmentEvent) (activities.ItemState, error) {
			return f.confirm(ctx, ev.At, activities.ConfirmedByBuyer)
		})
}

// confirm books the confirmation once; a second one (the buyer's and the
// timer's at once) waits for the first and answers it.
func (f *fulfilment) confirm(ctx workflow.Context, at time.Time, by string) (activities.ItemState, error) {
	if err := workflow.Await(ctx, func() bool { return !f.busy }); err != nil {
		return f.state, err
	}
	if !f.state.ConfirmedAt.IsZero() {
		return f.state, nil
	}
	f.busy = true
	defer func() { f.busy = false }()
	var st activities.ItemState
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), settlement.Confirm, activities.ConfirmInput{
		ItemRef: f.ref(), At: at, By: by, Deadline: f.in.Deadline,
	}).Get(ctx, &st)
	if err != nil {
		if activities.FailureOf(err, "").Code == activities.CodeItemRefunded {
			f.final = true
		}
		return st, err
	}
	f.state = st
	if workflow.GetVersion(ctx, pointsAtConfirmationChangeID, workflow.DefaultVersion, 1) == 1 {
		f.earnPoints(ctx, at)
	}
	return st, nil
}

// pointsAtConfirmationChangeID versions the points earned when an item's
// purchase is confirmed (issue 15).
const pointsAtConfirmationChangeID = "i15-points-at-confirmation"

// earnPoints credits the confirmed item's points when its payment earns at
// confirmation (the activity decides from the payment's recorded benefit).
// The confirmation stands whatever happens here: a failure is on the
// payment's timeline for ops, and the earning (idempotent by item) can be
// re-run.
func (f *fulfilment) earnPoints(ctx workflow.Context, at time.Time) {
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), points.EarnItemPoints, activities.EarnItemPointsInput{ItemRef: f.ref(), At: at}).Get(ctx, nil)
	if err == nil {
		return
	}
	err = workflow.ExecuteLocalActivity(dbCtx(ctx), store.RecordEvent, activities.RecordEventInput{
		PaymentID: f.in.PaymentID, Step: "points_earn_failed", Detail: map[string]string{"producer_id": f.in.ProducerID, "error": err.Error()},
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("points earning failure not recorded", "error", err)
	}
}
