package workflows

import (
	"errors"
	"regexp"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// Identity verification statuses, as stored, returned and upserted as PaymentStatus.
const (
	IdentityPending  = "pending"
	IdentityVerified = "verified"
	IdentityFailed   = "failed"
	IdentityExpired  = "expired"
)

// ConfirmCodeUpdate is the update the API sends with the customer's code.
const ConfirmCodeUpdate = "confirm_code"

// VerifyIdentityInput is fixed when the verification starts: the code's time to
// live and the attempts allowed come from config.
type VerifyIdentityInput struct {
	VerificationID string // = workflow id idv-{customer}-{seq}
	CustomerID     string
	Seq            int64
	Name           string
	Phone          string
	BirthDate      string // YYYYMMDD
	// Carrier, IdentityNumber and IP are passed to the identity provider (a
	// PortOne connector needs them for SMS); empty in histories older than them.
	Carrier        string
	IdentityNumber string
	IP             string
	CodeTTL        time.Duration
	MaxAttempts    int64
}

type VerifyIdentityResult struct {
	VerificationID string
	Status         string // verified | failed | expired
	FailureCode    string
	Attempts       int64
}

// ConfirmCodeRequest is the update's argument; ConfirmCodeResponse its answer.
type ConfirmCodeRequest struct {
	Code string
}

type ConfirmCodeResponse struct {
	Status       string // pending (try again) | verified | failed | expired
	FailureCode  string // wrong_code, too_many_attempts, code_expired
	AttemptsLeft int64
}

var codePattern = regexp.MustCompile(`^[0-9]{6}$`)

// VerifyIdentity (본인인증): record the verification -> ask the provider to text a
// code -> wait for confirm_code updates until one is right, the attempts run out
// or the code's time runs out -> record the outcome (a verified customer keeps
// the keyed hashes of the CI/DI, never the values).
func VerifyIdentity(ctx workflow.Context, in VerifyIdentityInput) (VerifyIdentityResult, error) {
	v := &verification{in: in, status: IdentityPending}
	var ids *activities.Identity

	expiresAt := workflow.Now(ctx).Add(in.CodeTTL)
	if err := workflow.ExecuteLocalActivity(dbCtx(ctx), ids.CreateVerification, activities.CreateVerificationInput{
		VerificationID: in.VerificationID, CustomerID: in.CustomerID, Seq: in.Seq, MaxAttempts: in.MaxAttempts, ExpiresAt: expiresAt,
	}).Get(ctx, nil); err != nil {
		return VerifyIdentityResult{}, err
	}
	var req activities.RequestCodeResult
	err := workflow.ExecuteLocalActivity(providerCtx(ctx), ids.RequestCode, activities.RequestCodeInput{
		VerificationID: in.VerificationID, Name: in.Name, Phone: in.Phone, BirthDate: in.BirthDate,
		Carrier: in.Carrier, IdentityNumber: in.IdentityNumber, IP: in.IP,
	}).Get(ctx, &req)
	if err != nil {
		v.status, v.failureCode = IdentityFailed, activities.FailureOf(err, "code_request_failed").Code
		return v.finish(ctx)
	}
	v.requestID = req.RequestID

	if err := workflow.SetUpdateHandlerWithOptions(ctx, ConfirmCodeUpdate, v.confirm,
		workflow.UpdateHandlerOptions{Validator: v.validate}); err != nil {
		return VerifyIdentityResult{}, err
	}
	decided, err := workflow.AwaitWithTimeout(ctx, in.CodeTTL, func() bool { return v.status != IdentityPending })
	if err != nil {
		return VerifyIdentityResult{}, err
	}
	if !decided {
		// A code being checked as time runs out gets its answer first.
		if err := workflow.Await(ctx, func() bool { return !v.busy }); err != nil {
			return VerifyIdentityResult{}, err
		}
		if v.status == IdentityPending {
			v.status, v.failureCode = IdentityExpired, "code_expired"
		}
	}
	return v.finish(ctx)
}

// verification is one run's state, changed only by the workflow and its update handler.
type verification struct {
	in          VerifyIdentityInput
	requestID   string
	status      string
	failureCode string
	attempts    int64
	busy        bool // a code is being checked
	ciHash      string
	diHash      string
}

// validate rejects an update before it enters the history: a malformed code,
// or a verification that is no longer waiting for one.
func (v *verification) validate(_ workflow.Context, req ConfirmCodeRequest) error {
	switch {
	case !codePattern.MatchString(req.Code):
		return errors.New("the code must be 6 digits")
	case v.status != IdentityPending:
		return errors.New("the verification is " + v.status)
	}
	return nil
}

// confirm checks one code at the provider. Codes are checked one at a time.
func (v *verification) confirm(ctx workflow.Context, req ConfirmCodeRequest) (ConfirmCodeResponse, error) {
	var ids *activities.Identity
	if err := workflow.Await(ctx, func() bool { return !v.busy }); err != nil {
		return ConfirmCodeResponse{}, err
	}
	if v.status != IdentityPending {
		return v.response(), nil
	}
	v.busy = true
	defer func() { v.busy = false }()
	v.attempts++
	var res activities.ConfirmCodeResult
	err := workflow.ExecuteLocalActivity(providerCtx(ctx), ids.ConfirmCode, activities.ConfirmCodeInput{
		VerificationID: v.in.VerificationID, RequestID: v.requestID, Code: req.Code, Attempt: v.attempts,
	}).Get(ctx, &res)
	switch {
	case err == nil:
		v.status, v.failureCode, v.ciHash, v.diHash = IdentityVerified, "", res.CIHash, res.DIHash
	case activities.IsType(err, activities.ErrDeclined):
		v.failureCode = activities.FailureOf(err, "wrong_code").Code
		switch {
		case v.failureCode == "code_expired":
			v.status = IdentityExpired
		case v.failureCode == "too_many_attempts" || v.attempts >= v.in.MaxAttempts:
			v.status, v.failureCode = IdentityFailed, "too_many_attempts"
		}
	default:
		v.attempts-- // the provider could not be asked: the attempt does not count
		return ConfirmCodeResponse{}, err
	}
	return v.response(), nil
}

func (v *verification) response() ConfirmCodeResponse {
	return ConfirmCodeResponse{Status: v.status, FailureCode: v.failureCode, AttemptsLeft: max(v.in.MaxAttempts-v.attempts, 0)}
}

// finish records the outcome, upserts it for the UI and lets a running update
// answer before the workflow closes.
func (v *verification) finish(ctx workflow.Context) (VerifyIdentityResult, error) {
	var ids *activities.Identity
	err := workflow.ExecuteLocalActivity(finalCtx(ctx), ids.FinishVerification, activities.FinishVerificationInput{
		VerificationID: v.in.VerificationID, CustomerID: v.in.CustomerID, Status: v.status, FailureCode: v.failureCode,
		CIHash: v.ciHash, DIHash: v.diHash,
	}).Get(ctx, nil)
	if err != nil {
		return VerifyIdentityResult{}, err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, PaymentStatusKey.ValueSet(v.status)); err != nil {
		workflow.GetLogger(ctx).Warn("status search attribute not set", "status", v.status, "error", err)
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return VerifyIdentityResult{}, err
	}
	return VerifyIdentityResult{VerificationID: v.in.VerificationID, Status: v.status, FailureCode: v.failureCode, Attempts: v.attempts}, nil
}
