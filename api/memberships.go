package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

// Membership problem codes (issue 15 part B).
const (
	codeUnknownPlan           = "unknown_plan"
	codeMembershipExists      = "membership_exists"
	codeMembershipNotFound    = "membership_not_found"
	codeMembershipStateClosed = "membership_state_conflict"
)

// Schedule policy (docs/adr/0020): every firing starts a tick (a manual
// trigger during a long dunning included); the period's workflow id makes a
// second one in the same period charge nothing. Missed firings within a week
// (an outage) are still run.
const (
	membershipOverlap  = enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL
	membershipCatchup  = 7 * 24 * time.Hour
	membershipTimeZone = "Asia/Seoul"
)

type createMembershipRequest struct {
	CustomerID string `json:"customer_id"`
	PlanID     string `json:"plan_id"`
	MethodID   string `json:"method_id"`
}

func (r createMembershipRequest) validate() error {
	var v validation
	v.id("customer_id", r.CustomerID)
	v.id("plan_id", r.PlanID)
	v.id("method_id", r.MethodID)
	return v.err()
}

type membershipCharge struct {
	Period      string  `json:"period"`
	Status      string  `json:"status"` // processing | succeeded | failed | skipped
	Attempts    int32   `json:"attempts"`
	Amount      int64   `json:"amount"`
	PaymentID   *string `json:"payment_id"`
	FailureCode *string `json:"failure_code"`
}

type membershipResponse struct {
	ID         string             `json:"id"`
	CustomerID string             `json:"customer_id"`
	PlanID     string             `json:"plan_id"`
	Tier       string             `json:"tier"`
	MethodID   string             `json:"method_id"`
	Currency   string             `json:"currency"`
	Price      int64              `json:"price"`
	Status     string             `json:"status"`
	AnchorDay  int32              `json:"anchor_day"`
	PaidUntil  *time.Time         `json:"paid_until"`
	EndsAt     *time.Time         `json:"ends_at"`
	ScheduleID string             `json:"temporal_schedule_id"`
	CreatedAt  time.Time          `json:"created_at"`
	Charges    []membershipCharge `json:"charges"`
}

// createMembership subscribes a customer to a plan with a registered card and
// creates the membership's schedule, which charges the first period at once
// and then every month on the anchor day (the day it was created, at most 28).
func (s *server) createMembership(c echo.Context) error {
	var req createMembershipRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	if _, err := s.requireCustomer(c, req.CustomerID); err != nil {
		return err
	}
	ctx := c.Request().Context()
	plan, err := s.q.GetMembershipPlan(ctx, req.PlanID)
	if errors.Is(err, pgx.ErrNoRows) {
		p := problem(http.StatusUnprocessableEntity, codeUnknownPlan, fmt.Sprintf("no membership plan %q", req.PlanID))
		p.Errors = []FieldError{{Field: "plan_id", Message: "unknown plan"}}
		return p
	} else if err != nil {
		return internalError(fmt.Errorf("get plan %s: %w", req.PlanID, err))
	}
	m, err := s.activeMethodOf(c, req.CustomerID, req.MethodID)
	if err != nil {
		return err
	}
	if m.Kind != "card" {
		return problem(http.StatusUnprocessableEntity, codeUnknownPaymentMethod, "memberships are charged to a registered card (billing key)")
	}
	if live, err := s.q.LiveMembershipOf(ctx, req.CustomerID); err == nil {
		return problem(http.StatusConflict, codeMembershipExists, fmt.Sprintf("customer %q already has membership %s (%s)", req.CustomerID, live.ID, live.Status))
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return internalError(fmt.Errorf("live membership of %s: %w", req.CustomerID, err))
	}
	if err := s.claimIdempotency(c); err != nil {
		return err
	}
	id := scopedID(c, "mem_")
	if existing, err := s.q.GetMembership(ctx, id); err == nil { // the same request again
		return s.membershipAnswer(c, http.StatusCreated, existing)
	}
	loc, _ := time.LoadLocation(membershipTimeZone)
	now := time.Now().In(loc)
	mem, err := s.q.CreateMembership(ctx, db.CreateMembershipParams{
		ID: id, CustomerID: req.CustomerID, PlanID: plan.ID, Tier: plan.Tier, MethodID: m.ID,
		Currency: plan.Currency, Price: plan.Price, AnchorDay: int32(min(now.Day(), 28)),
		ScheduleID: workflows.MembershipScheduleID(id),
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return problem(http.StatusConflict, codeMembershipExists, fmt.Sprintf("customer %q already has a membership", req.CustomerID))
	} else if err != nil {
		return internalError(fmt.Errorf("create membership: %w", err))
	}
	if err := s.createMembershipSchedule(c, mem, now); err != nil {
		// No schedule: the membership never charges; end it so the customer may subscribe again.
		if _, cerr := s.q.CancelMembership(ctx, mem.ID); cerr != nil {
			return internalError(errors.Join(err, cerr))
		}
		return err
	}
	logWorkflow(c, workflows.MembershipTickID(id))
	return s.membershipAnswer(c, http.StatusCreated, mem)
}

func (s *server) createMembershipSchedule(c echo.Context, mem db.Membership, now time.Time) error {
	ctx := c.Request().Context()
	dunning := s.cfg.MembershipDunning
	if len(dunning) == 0 {
		dunning = workflows.DefaultDunning
	}
	_, err := s.temporal.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: mem.ScheduleID,
		Spec: client.ScheduleSpec{
			CronExpressions: []string{fmt.Sprintf("%d %d %d * *", now.Minute(), now.Hour(), mem.AnchorDay)},
			TimeZoneName:    membershipTimeZone,
		},
		Action: &client.ScheduleWorkflowAction{
			ID: workflows.MembershipTickID(mem.ID), Workflow: workflows.MembershipTickName, TaskQueue: s.cfg.TaskQueue,
			Args: []any{workflows.MembershipTickInput{MembershipID: mem.ID, Terms: workflows.MembershipTerms{
				PGs: s.cfg.PGs(), FeeBPS: s.cfg.FeeBPS, Dunning: dunning, AsyncAuthTimeout: s.cfg.AsyncAuthTimeout, TimeZone: membershipTimeZone,
			}}},
		},
		Overlap:            membershipOverlap,
		CatchupWindow:      membershipCatchup,
		TriggerImmediately: true, // the first period is charged now
		Note:               "membership " + mem.ID + " (" + mem.PlanID + ") for " + mem.CustomerID,
	})
	if err != nil {
		return temporalUnavailable(fmt.Errorf("create schedule %s: %w", mem.ScheduleID, err))
	}
	return nil
}

func (s *server) getMembership(c echo.Context) error {
	mem, err := s.ownMembership(c)
	if err != nil {
		return err
	}
	return s.membershipAnswer(c, http.StatusOK, mem)
}

// ownMembership loads the path's membership; another customer's is a 404.
func (s *server) ownMembership(c echo.Context) (db.Membership, error) {
	mem, err := s.q.GetMembership(c.Request().Context(), c.Param("id"))
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !entitled(c, mem.CustomerID)) {
		return db.Membership{}, problem(http.StatusNotFound, codeMembershipNotFound, "no such membership")
	}
	if err != nil {
		return db.Membership{}, internalError(fmt.Errorf("get membership: %w", err))
	}
	return mem, nil
}

// pauseMembership: no period starts while paused (the schedule is paused, and
// a tick that fires anyway records the period skipped). A dunning retry after
// the pause charges nothing.
func (s *server) pauseMembership(c echo.Context) error {
	return s.moveMembership(c, activities.MembershipPaused, []string{activities.MembershipActive, activities.MembershipPastDue},
		func(h client.ScheduleHandle) error {
			err := h.Pause(c.Request().Context(), client.SchedulePauseOptions{Note: "paused by the app"})
			var notFound *serviceerror.NotFound
			if errors.As(err, &notFound) {
				return nil // no schedule: nothing fires anyway
			}
			return err
		})
}

// resumeMembership: a paused or suspended membership charges again from the
// next firing; the periods it missed are not charged.
func (s *server) resumeMembership(c echo.Context) error {
	return s.moveMembership(c, activities.MembershipActive, []string{activities.MembershipPaused, activities.MembershipSuspended},
		func(h client.ScheduleHandle) error {
			return h.Unpause(c.Request().Context(), client.ScheduleUnpauseOptions{Note: "resumed by the app"})
		})
}

// cancelMembership ends the membership: its schedule is deleted, benefits run
// to the end of the paid period (ends_at), nothing is refunded (no proration).
func (s *server) cancelMembership(c echo.Context) error {
	mem, err := s.ownMembership(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	canceled, err := s.q.CancelMembership(ctx, mem.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return problem(http.StatusConflict, codeMembershipStateClosed, "the membership is already canceled")
	} else if err != nil {
		return internalError(fmt.Errorf("cancel membership %s: %w", mem.ID, err))
	}
	err = s.temporal.ScheduleClient().GetHandle(ctx, mem.ScheduleID).Delete(ctx)
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		// The database said canceled first: a tick that still fires is skipped.
		return temporalUnavailable(fmt.Errorf("delete schedule %s: %w", mem.ScheduleID, err))
	}
	return s.membershipAnswer(c, http.StatusOK, canceled)
}

// moveMembership changes the status in the database first (what every charge
// checks), then the schedule.
func (s *server) moveMembership(c echo.Context, to string, from []string, schedule func(client.ScheduleHandle) error) error {
	mem, err := s.ownMembership(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	moved, err := s.q.SetMembershipStatus(ctx, db.SetMembershipStatusParams{ID: mem.ID, Status: to, FromStatuses: from})
	if errors.Is(err, pgx.ErrNoRows) {
		return problem(http.StatusConflict, codeMembershipStateClosed, fmt.Sprintf("a %s membership cannot become %s", mem.Status, to))
	} else if err != nil {
		return internalError(fmt.Errorf("membership %s to %s: %w", mem.ID, to, err))
	}
	if err := schedule(s.temporal.ScheduleClient().GetHandle(ctx, mem.ScheduleID)); err != nil {
		return temporalUnavailable(fmt.Errorf("schedule %s: %w", mem.ScheduleID, err))
	}
	return s.membershipAnswer(c, http.StatusOK, moved)
}

func (s *server) membershipAnswer(c echo.Context, status int, mem db.Membership) error {
	charges, err := s.q.ListMembershipCharges(c.Request().Context(), mem.ID)
	if err != nil {
		return internalError(fmt.Errorf("charges of %s: %w", mem.ID, err))
	}
	out := membershipResponse{
		ID: mem.ID, CustomerID: mem.CustomerID, PlanID: mem.PlanID, Tier: mem.Tier, MethodID: mem.MethodID,
		Currency: mem.Currency, Price: mem.Price, Status: mem.Status, AnchorDay: mem.AnchorDay,
		PaidUntil: timePtr(mem.PaidUntil.Time, mem.PaidUntil.Valid), EndsAt: timePtr(mem.EndsAt.Time, mem.EndsAt.Valid),
		ScheduleID: mem.ScheduleID, CreatedAt: mem.CreatedAt.Time, Charges: make([]membershipCharge, 0, len(charges)),
	}
	for _, ch := range charges {
		out.Charges = append(out.Charges, membershipCharge{Period: ch.Period, Status: ch.Status, Attempts: ch.Attempts,
			Amount: ch.Amount, PaymentID: textPtr(ch.PaymentID.String, ch.PaymentID.Valid), FailureCode: textPtr(ch.FailureCode.String, ch.FailureCode.Valid)})
	}
	return c.JSON(status, out)
}

func timePtr(t time.Time, ok bool) *time.Time {
	if !ok {
		return nil
	}
	t = t.UTC()
	return &t
}

func textPtr(s string, ok bool) *string {
	if !ok {
		return nil
	}
	return &s
}
