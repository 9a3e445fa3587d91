package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/workflows"
)

// Schedule policy (docs/adr/0007-payout-schedules.md): a run that fires while the
// previous one is still going waits for it (one buffered), and after an outage
// only runs missed within the catch-up window are started. Periods make either
// choice safe: a late or doubled run finds its period already claimed.
const (
	payoutOverlapPolicy = enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE
	payoutCatchupWindow = 24 * time.Hour
	defaultTimeZone     = "Asia/Seoul"
)

type createScheduleRequest struct {
	ID                string `json:"id"`
	Cron              string `json:"cron"`     // e.g. "0 10 * * *" (10:00 every day in time_zone)
	Interval          string `json:"interval"` // or a Go duration, e.g. "24h"
	TimeZone          string `json:"time_zone"`
	Cycle             string `json:"cycle"` // daily | weekly | monthly: the period each run settles
	ApprovalThreshold int64  `json:"approval_threshold"`
	Paused            bool   `json:"paused"`
	Note              string `json:"note"`
}

func (r *createScheduleRequest) validate(maxAmount int64) error {
	var v validation
	v.id("id", r.ID)
	if r.TimeZone == "" {
		r.TimeZone = defaultTimeZone
	}
	if r.Cycle == "" {
		r.Cycle = workflows.CycleDaily
	}
	switch {
	case (r.Cron == "") == (r.Interval == ""):
		v.add(codeInvalidSchedule, "cron", "give exactly one of cron and interval")
	case r.Cron != "" && len(strings.Fields(r.Cron)) != 5:
		v.add(codeInvalidSchedule, "cron", "must have 5 fields: minute hour day-of-month month day-of-week")
	case r.Interval != "":
		if d, err := time.ParseDuration(r.Interval); err != nil || d < time.Minute {
			v.add(codeInvalidSchedule, "interval", "must be a duration of at least 1m, e.g. 24h")
		}
	}
	if _, err := workflows.PayoutPeriod(time.Now(), r.TimeZone, workflows.CycleDaily); err != nil {
		v.add(codeInvalidSchedule, "time_zone", "must be an IANA time zone, e.g. Asia/Seoul")
	}
	if r.Cycle != workflows.CycleDaily && r.Cycle != workflows.CycleWeekly && r.Cycle != workflows.CycleMonthly {
		v.add(codeInvalidSchedule, "cycle", "must be daily, weekly or monthly")
	}
	if r.ApprovalThreshold < 0 || r.ApprovalThreshold > maxAmount*1000 {
		v.add(codeInvalidAmount, "approval_threshold", "must be >= 0 (0: no approval needed)")
	}
	v.text("note", r.Note, 0, 500)
	return v.err()
}

type scheduleResponse struct {
	ID                string       `json:"id"`
	TemporalID        string       `json:"temporal_schedule_id"`
	Cron              []string     `json:"cron,omitempty"`
	Interval          string       `json:"interval,omitempty"`
	TimeZone          string       `json:"time_zone"`
	Cycle             string       `json:"cycle,omitempty"`
	ApprovalThreshold int64        `json:"approval_threshold"`
	Paused            bool         `json:"paused"`
	Note              string       `json:"note,omitempty"`
	NextRuns          []time.Time  `json:"next_runs"`
	RecentRuns        []runSummary `json:"recent_runs"`
}

type runSummary struct {
	RunID       string    `json:"run_id"` // GET /v1/payout-runs/{run_id}
	ScheduledAt time.Time `json:"scheduled_at"`
	StartedAt   time.Time `json:"started_at"`
}

func (s *server) createPayoutSchedule(c echo.Context) error {
	var req createScheduleRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if err := req.validate(s.cfg.MaxAmount); err != nil {
		return err
	}
	spec := client.ScheduleSpec{TimeZoneName: req.TimeZone}
	if req.Cron != "" {
		spec.CronExpressions = []string{req.Cron}
	} else {
		every, _ := time.ParseDuration(req.Interval)
		spec.Intervals = []client.ScheduleIntervalSpec{{Every: every}}
	}
	ctx := c.Request().Context()
	_, err := s.temporal.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   workflows.PayoutScheduleID(req.ID),
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.PayoutRunID(req.ID),
			Workflow:  workflows.PayoutRunName,
			TaskQueue: s.cfg.TaskQueue,
			Args: []any{workflows.PayoutRunInput{
				ScheduleID: req.ID, Cycle: req.Cycle, TimeZone: req.TimeZone,
				Currency: s.cfg.Currencies[0], Threshold: req.ApprovalThreshold,
			}},
		},
		Overlap:       payoutOverlapPolicy,
		CatchupWindow: payoutCatchupWindow,
		Paused:        req.Paused,
		Note:          req.Note,
	})
	var exists *serviceerror.AlreadyExists
	var invalid *serviceerror.InvalidArgument
	switch {
	case errors.Is(err, temporal.ErrScheduleAlreadyRunning), errors.As(err, &exists):
		return problem(http.StatusConflict, codeScheduleExists, fmt.Sprintf("schedule %q already exists", req.ID))
	case errors.As(err, &invalid):
		return problem(http.StatusUnprocessableEntity, codeInvalidSchedule, invalid.Message)
	case err != nil:
		return temporalUnavailable(fmt.Errorf("create schedule %s: %w", req.ID, err))
	}
	err = s.auditOutside(c, auditScheduleCreated, "payout_schedule:"+req.ID, nil, map[string]any{
		"cron": req.Cron, "interval": req.Interval, "time_zone": req.TimeZone, "cycle": req.Cycle,
		"approval_threshold": req.ApprovalThreshold, "paused": req.Paused,
	})
	if err != nil {
		return err
	}
	return s.describeSchedule(c, req.ID, http.StatusCreated)
}

func (s *server) getPayoutSchedule(c echo.Context) error {
	return s.describeSchedule(c, c.Param("id"), http.StatusOK)
}

func (s *server) describeSchedule(c echo.Context, id string, status int) error {
	d, err := s.temporal.ScheduleClient().GetHandle(c.Request().Context(), workflows.PayoutScheduleID(id)).Describe(c.Request().Context())
	if err != nil {
		return scheduleError(id, err)
	}
	out := scheduleResponse{ID: id, TemporalID: workflows.PayoutScheduleID(id), NextRuns: d.Info.NextActionTimes,
		RecentRuns: recentRuns(d.Info.RecentActions)}
	if sp := d.Schedule.Spec; sp != nil {
		fillSpec(&out, sp)
	}
	if st := d.Schedule.State; st != nil {
		out.Paused, out.Note = st.Paused, st.Note
	}
	if a, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction); ok && len(a.Args) == 1 {
		var in workflows.PayoutRunInput
		if p, ok := a.Args[0].(*commonpb.Payload); ok && converter.GetDefaultDataConverter().FromPayload(p, &in) == nil {
			out.Cycle, out.ApprovalThreshold = in.Cycle, in.Threshold
		}
	}
	return c.JSON(status, out)
}

func fillSpec(out *scheduleResponse, sp *client.ScheduleSpec) {
	out.TimeZone, out.Cron = sp.TimeZoneName, sp.CronExpressions
	if len(sp.Intervals) > 0 {
		out.Interval = sp.Intervals[0].Every.String()
	}
	// The server compiles cron strings into calendars; show those as given back.
	for _, cal := range sp.Calendars {
		out.Cron = append(out.Cron, fmt.Sprintf("%v", cal))
	}
}

func recentRuns(actions []client.ScheduleActionResult) []runSummary {
	out := []runSummary{}
	for _, a := range actions {
		if a.StartWorkflowResult == nil {
			continue
		}
		out = append(out, runSummary{RunID: a.StartWorkflowResult.WorkflowID, ScheduledAt: a.ScheduleTime.UTC(), StartedAt: a.ActualTime.UTC()})
	}
	return out
}

func (s *server) listPayoutSchedules(c echo.Context) error {
	it, err := s.temporal.ScheduleClient().List(c.Request().Context(), client.ScheduleListOptions{PageSize: 200})
	if err != nil {
		return temporalUnavailable(fmt.Errorf("list schedules: %w", err))
	}
	out := []scheduleResponse{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return temporalUnavailable(fmt.Errorf("list schedules: %w", err))
		}
		id, ok := strings.CutPrefix(e.ID, workflows.PayoutScheduleID(""))
		if !ok {
			continue
		}
		r := scheduleResponse{ID: id, TemporalID: e.ID, Paused: e.Paused, Note: e.Note,
			NextRuns: e.NextActionTimes, RecentRuns: recentRuns(e.RecentActions)}
		if e.Spec != nil {
			fillSpec(&r, e.Spec)
		}
		out = append(out, r)
	}
	return c.JSON(http.StatusOK, map[string]any{"schedules": out})
}

type patchScheduleRequest struct {
	Paused *bool  `json:"paused"`
	Note   string `json:"note"`
}

// patchPayoutSchedule pauses or resumes a schedule.
func (s *server) patchPayoutSchedule(c echo.Context) error {
	var req patchScheduleRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	var v validation
	if req.Paused == nil {
		v.add(codeValidationFailed, "paused", "is required (true pauses, false resumes)")
	}
	v.text("note", req.Note, 0, 500)
	if err := v.err(); err != nil {
		return err
	}
	id := c.Param("id")
	ctx := c.Request().Context()
	h := s.temporal.ScheduleClient().GetHandle(ctx, workflows.PayoutScheduleID(id))
	var err error
	if *req.Paused {
		err = h.Pause(ctx, client.SchedulePauseOptions{Note: noteOr(req.Note, "paused by finance")})
	} else {
		err = h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: noteOr(req.Note, "resumed by finance")})
	}
	if err != nil {
		return scheduleError(id, err)
	}
	err = s.auditOutside(c, auditScheduleUpdated, "payout_schedule:"+id,
		map[string]any{"paused": !*req.Paused}, map[string]any{"paused": *req.Paused, "note": req.Note})
	if err != nil {
		return err
	}
	return s.describeSchedule(c, id, http.StatusOK)
}

func noteOr(note, fallback string) string {
	if note == "" {
		return fallback
	}
	return note
}

func (s *server) deletePayoutSchedule(c echo.Context) error {
	id := c.Param("id")
	ctx := c.Request().Context()
	if err := s.temporal.ScheduleClient().GetHandle(ctx, workflows.PayoutScheduleID(id)).Delete(ctx); err != nil {
		return scheduleError(id, err)
	}
	if err := s.auditOutside(c, auditScheduleDeleted, "payout_schedule:"+id, nil, nil); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// triggerPayoutSchedule starts a run now (under the schedule's overlap policy).
// The run shows in recent_runs of GET /v1/payout-schedules/{id} once started.
func (s *server) triggerPayoutSchedule(c echo.Context) error {
	id := c.Param("id")
	ctx := c.Request().Context()
	if err := s.temporal.ScheduleClient().GetHandle(ctx, workflows.PayoutScheduleID(id)).Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		return scheduleError(id, err)
	}
	if err := s.auditOutside(c, auditScheduleTriggered, "payout_schedule:"+id, nil, nil); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"schedule_id": id, "triggered": true})
}

func scheduleError(id string, err error) error {
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return problem(http.StatusNotFound, codeScheduleNotFound, fmt.Sprintf("no payout schedule %q", id))
	}
	return temporalUnavailable(fmt.Errorf("schedule %s: %w", id, err))
}
