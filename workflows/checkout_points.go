package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// pointsTenderChangeID versions the points part of a checkout (issue 15,
// ADR 0022): a hold after the wallet's, released by the saga on any later
// failure and spent by the posting. Only a checkout started with
// PointsAmount takes the branch, so recorded runs keep their commands.
const pointsTenderChangeID = "i15-points-tender"

// pointsTenderStep holds the points part, if any, and registers its release.
func (c *checkout) pointsTenderStep(ctx workflow.Context) error {
	if c.in.PointsAmount <= 0 || workflow.GetVersion(ctx, pointsTenderChangeID, workflow.DefaultVersion, 1) != 1 {
		return nil
	}
	if err := c.holdPoints(ctx); err != nil {
		return err
	}
	c.saga.add("release_points_hold", c.releasePointsHold)
	return nil
}

func (c *checkout) holdPoints(ctx workflow.Context) error {
	return workflow.ExecuteLocalActivity(dbCtx(ctx), points.HoldPoints, activities.HoldPointsInput{
		PaymentID: c.in.PaymentID, CustomerID: c.in.CustomerID, Currency: c.in.Currency, Amount: c.in.PointsAmount,
	}).Get(ctx, nil)
}

func (c *checkout) releasePointsHold(ctx workflow.Context) error {
	return workflow.ExecuteLocalActivity(ctx, points.ReleasePointsHold, activities.HoldRef{PaymentID: c.in.PaymentID}).Get(ctx, nil)
}

// pointsRefundChangeID versions the points part of a refund (ADR 0022): the
// PG gives back the claim less its wallet and points parts. Only a claim with
// a points part takes the branch.
const pointsRefundChangeID = "i15-points-refund"
