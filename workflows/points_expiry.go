package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// PointsExpiryName is the daily points run (issue 15): announce what expires
// soon, then take back what has expired, first in first out.
const PointsExpiryName = "PointsExpiry"

// PointsExpiryScheduleID is its Temporal Schedule on a task queue.
func PointsExpiryScheduleID(taskQueue string) string { return "points-expiry-" + taskQueue }

// PointsExpiryInput is fixed by the schedule (copied from config).
type PointsExpiryInput struct {
	Notice  time.Duration // points.expiring goes out this long before a bucket expires (30 days)
	MaxRows int32         // buckets per activity call; 0 means 500
}

type PointsExpiryResult struct {
	Notified, Expired int
	ExpiredPoints     int64
}

// maxPointsBatches bounds one run: more than this many full batches wait for
// the next day's run (the history stays small).
const maxPointsBatches = 50

var points *activities.Points

// PointsExpiry runs at the schedule's time; workflow.Now is "now" for every
// bucket, so a run replays and a re-run the same day changes nothing twice
// (each notice and each expiry has its own key).
func PointsExpiry(ctx workflow.Context, in PointsExpiryInput) (PointsExpiryResult, error) {
	if in.MaxRows <= 0 {
		in.MaxRows = 500
	}
	now := workflow.Now(ctx)
	var out PointsExpiryResult
	for i := 0; i < maxPointsBatches; i++ {
		var r activities.NotifyExpiringPointsResult
		err := workflow.ExecuteLocalActivity(dbCtx(ctx), points.NotifyExpiringPoints, activities.NotifyExpiringPointsInput{
			Now: now, Within: in.Notice, MaxRows: in.MaxRows,
		}).Get(ctx, &r)
		if err != nil {
			return out, err
		}
		out.Notified += r.Notified
		if !r.More {
			break
		}
	}
	for i := 0; i < maxPointsBatches; i++ {
		var r activities.ExpirePointsResult
		err := workflow.ExecuteLocalActivity(dbCtx(ctx), points.ExpirePoints, activities.ExpirePointsInput{
			Now: now, MaxRows: in.MaxRows,
		}).Get(ctx, &r)
		if err != nil {
			return out, err
		}
		out.Expired += r.Buckets
		out.ExpiredPoints += r.Points
		if !r.More {
			break
		}
	}
	return out, nil
}
