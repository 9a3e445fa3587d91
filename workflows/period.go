package workflows

import (
	"fmt"
	"time"
)

// PayoutPeriod names the settlement period the cut-off falls in, in the given
// time zone: 20261125 (daily), 2026W48 (ISO week), 202611 (monthly). A payout is
// made once per producer and period, so a schedule that fires twice in a period,
// or a run triggered again, finds nothing left to pay.
func PayoutPeriod(cutoff time.Time, timeZone, cycle string) (string, error) {
	loc, err := time.LoadLocation(timeZone)
	if err != nil {
		return "", fmt.Errorf("time zone %q: %w", timeZone, err)
	}
	local := cutoff.In(loc)
	switch cycle {
	case CycleDaily:
		return local.Format("20060102"), nil
	case CycleWeekly:
		y, w := local.ISOWeek()
		return fmt.Sprintf("%dW%02d", y, w), nil
	case CycleMonthly:
		return local.Format("200601"), nil
	}
	return "", fmt.Errorf("unknown cycle %q", cycle)
}
