package api

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/deliveryloop"
	"github.com/paysaga/paysaga/netguard"
)

type createWebhookEndpointRequest struct {
	URL        string   `json:"url"`
	EventTypes []string `json:"event_types"` // empty: every type
}

func (r createWebhookEndpointRequest) validate(allowInternal bool) error {
	var v validation
	u, err := url.Parse(r.URL)
	switch {
	case r.URL == "":
		v.add(codeValidationFailed, "url", "is required")
	case len(r.URL) > 2000 || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil:
		v.add(codeValidationFailed, "url", "must be an absolute http(s) URL without credentials")
	case !allowInternal && internalHost(u.Hostname()):
		// Names are checked again when delivery dials them (netguard).
		v.add(codeValidationFailed, "url", "must not point at an internal address")
	}
	if len(r.EventTypes) > len(activities.EventTypes) {
		v.add(codeValidationFailed, "event_types", "lists too many types")
	}
	for i, t := range r.EventTypes {
		if !slices.Contains(activities.EventTypes, t) {
			v.add(codeValidationFailed, fmt.Sprintf("event_types[%d]", i), "unknown event type")
		}
	}
	return v.err()
}

type webhookEndpointResponse struct {
	ID         string    `json:"id"`
	URL        string    `json:"url"`
	EventTypes []string  `json:"event_types"`
	CreatedAt  time.Time `json:"created_at"`
	// Secret is shown once: when the endpoint is created and when it is rotated.
	Secret string `json:"secret,omitempty"`
	// PreviousSecretExpiresAt: until then, requests carry a second v1 signature
	// made with the rotated-out secret.
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty"`
}

func toWebhookEndpointResponse(e db.WebhookEndpoint, secret string) webhookEndpointResponse {
	r := webhookEndpointResponse{ID: e.ID, URL: e.Url, EventTypes: e.EventTypes, CreatedAt: e.CreatedAt.Time.UTC(), Secret: secret}
	if e.PreviousExpiresAt.Valid && e.PreviousExpiresAt.Time.After(time.Now()) {
		t := e.PreviousExpiresAt.Time.UTC()
		r.PreviousSecretExpiresAt = &t
	}
	return r
}

// newWebhookSecret is whsec_ + 32 random bytes.
func newWebhookSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b), nil
}

// createWebhookEndpoint registers where events go; the signing secret is in the
// answer and never again (it is stored sealed).
func (s *server) createWebhookEndpoint(c echo.Context) error {
	var req createWebhookEndpointRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if err := req.validate(s.cfg.WebhookAllowInternal); err != nil {
		return err
	}
	secret, sealed, err := s.newSealedSecret()
	if err != nil {
		return err
	}
	types := req.EventTypes
	if types == nil {
		types = []string{}
	}
	ctx := c.Request().Context()
	var e db.WebhookEndpoint
	err = s.inTx(ctx, func(q *db.Queries) error {
		var err error
		e, err = q.CreateWebhookEndpoint(ctx, db.CreateWebhookEndpointParams{
			ID: "we_" + uuid.NewString(), Url: req.URL, EventTypes: types, SecretSealed: sealed,
		})
		if err != nil {
			return internalError(fmt.Errorf("create webhook endpoint: %w", err))
		}
		return s.audit(ctx, q, c, auditEndpointCreated, "webhook_endpoint:"+e.ID, nil,
			map[string]any{"url": e.Url, "event_types": e.EventTypes})
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toWebhookEndpointResponse(e, secret))
}

func (s *server) listWebhookEndpoints(c echo.Context) error {
	rows, err := s.q.ListWebhookEndpoints(c.Request().Context())
	if err != nil {
		return internalError(fmt.Errorf("list webhook endpoints: %w", err))
	}
	out := make([]webhookEndpointResponse, len(rows))
	for i, e := range rows {
		out[i] = toWebhookEndpointResponse(e, "")
	}
	return c.JSON(http.StatusOK, map[string]any{"endpoints": out})
}

// deleteWebhookEndpoint stops deliveries to the endpoint, pending ones
// included, then its delivery loop. A loop the cancel does not reach (Temporal
// unavailable) stops by itself: its next batch finds the endpoint gone.
func (s *server) deleteWebhookEndpoint(c echo.Context) error {
	ctx, id := c.Request().Context(), c.Param("id")
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		n, err := q.DeleteWebhookEndpoint(ctx, id)
		if err != nil {
			return internalError(fmt.Errorf("delete webhook endpoint %s: %w", id, err))
		}
		if n == 0 {
			return problem(http.StatusNotFound, codeWebhookEndpointNotFound, fmt.Sprintf("no webhook endpoint %q", id))
		}
		if err := q.CancelEndpointDeliveries(ctx, id); err != nil {
			return internalError(fmt.Errorf("cancel deliveries to %s: %w", id, err))
		}
		return s.audit(ctx, q, c, auditEndpointDeleted, "webhook_endpoint:"+id, nil, nil)
	})
	if err != nil {
		return err
	}
	if err := deliveryloop.Stop(ctx, s.temporal, id); err != nil {
		s.log.Warn().Err(err).Str("endpoint_id", id).Msg("delivery loop not stopped: it stops at its next batch")
	}
	return c.NoContent(http.StatusNoContent)
}

// rotateWebhookSecret issues a new secret (shown once); the old one keeps
// signing alongside it for the configured grace period.
func (s *server) rotateWebhookSecret(c echo.Context) error {
	ctx, id := c.Request().Context(), c.Param("id")
	secret, sealed, err := s.newSealedSecret()
	if err != nil {
		return err
	}
	var e db.WebhookEndpoint
	err = s.inTx(ctx, func(q *db.Queries) error {
		var err error
		e, err = q.RotateWebhookSecret(ctx, db.RotateWebhookSecretParams{
			ID: id, SecretSealed: sealed,
			PreviousExpiresAt: pgtype.Timestamptz{Time: time.Now().Add(s.cfg.WebhookSecretGrace), Valid: true},
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return problem(http.StatusNotFound, codeWebhookEndpointNotFound, fmt.Sprintf("no webhook endpoint %q", id))
		}
		if err != nil {
			return internalError(fmt.Errorf("rotate secret of %s: %w", id, err))
		}
		// The secrets themselves never go in the audit log.
		return s.audit(ctx, q, c, auditEndpointRotated, "webhook_endpoint:"+id, nil,
			map[string]any{"previous_secret_expires_at": e.PreviousExpiresAt.Time.UTC().Format(time.RFC3339)})
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toWebhookEndpointResponse(e, secret))
}

type deliveryAttemptResponse struct {
	EndpointID string    `json:"endpoint_id"`
	Attempt    int32     `json:"attempt"`
	StatusCode int32     `json:"status_code"`
	Error      string    `json:"error,omitempty"`
	DurationMS int32     `json:"duration_ms"`
	At         time.Time `json:"at"`
}

type deliveryResponse struct {
	EndpointID  string     `json:"endpoint_id"`
	Status      string     `json:"status"`
	Attempts    int32      `json:"attempts"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
}

// listEventAttempts shows an event, its delivery to each endpoint and every
// HTTP attempt made.
func (s *server) listEventAttempts(c echo.Context) error {
	ctx, id := c.Request().Context(), c.Param("id")
	ev, err := s.q.GetEventOwner(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !entitled(c, ev.CustomerID)) {
		return problem(http.StatusNotFound, codeEventNotFound, fmt.Sprintf("no event %q", id))
	}
	if err != nil {
		return internalError(fmt.Errorf("load event %s: %w", id, err))
	}
	dels, err := s.q.ListEventDeliveries(ctx, id)
	if err != nil {
		return internalError(fmt.Errorf("deliveries of %s: %w", id, err))
	}
	atts, err := s.q.ListDeliveryAttempts(ctx, id)
	if err != nil {
		return internalError(fmt.Errorf("attempts of %s: %w", id, err))
	}
	out := struct {
		EventID    string                    `json:"event_id"`
		Type       string                    `json:"type"`
		Deliveries []deliveryResponse        `json:"deliveries"`
		Attempts   []deliveryAttemptResponse `json:"attempts"`
	}{EventID: ev.ID, Type: ev.Type, Deliveries: []deliveryResponse{}, Attempts: []deliveryAttemptResponse{}}
	for _, d := range dels {
		r := deliveryResponse{EndpointID: d.EndpointID, Status: d.Status, Attempts: d.Attempts}
		if d.DeliveredAt.Valid {
			t := d.DeliveredAt.Time.UTC()
			r.DeliveredAt = &t
		}
		out.Deliveries = append(out.Deliveries, r)
	}
	for _, a := range atts {
		out.Attempts = append(out.Attempts, deliveryAttemptResponse{EndpointID: a.EndpointID, Attempt: a.Attempt,
			StatusCode: a.StatusCode, Error: a.Error, DurationMS: a.DurationMs, At: a.CreatedAt.Time.UTC()})
	}
	return c.JSON(http.StatusOK, out)
}

type eventResponse struct {
	ID           string     `json:"id"`
	Type         string     `json:"type"`
	SubjectID    string     `json:"subject_id"`
	CreatedAt    time.Time  `json:"created_at"`
	DispatchedAt *time.Time `json:"dispatched_at"`
}

// listEvents answers the newest events (?subject_id= a payment, top-up or payout
// id; ?limit= 1..100, default 20), so an app or ops can find an event's
// deliveries without having received it. A customer's key sees only events of
// that customer's payments and top-ups, like every other object.
func (s *server) listEvents(c echo.Context) error {
	limit := 20
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return problem(http.StatusBadRequest, codeValidationFailed, "limit must be 1..100")
		}
		limit = n
	}
	evs, err := s.q.ListEvents(c.Request().Context(), db.ListEventsParams{
		SubjectID: c.QueryParam("subject_id"), CustomerID: callerOf(c).CustomerID, PageSize: int32(limit),
	})
	if err != nil {
		return internalError(fmt.Errorf("list events: %w", err))
	}
	out := struct {
		Data []eventResponse `json:"data"`
	}{Data: make([]eventResponse, 0, len(evs))}
	for _, e := range evs {
		r := eventResponse{ID: e.ID, Type: e.Type, SubjectID: e.SubjectID, CreatedAt: e.CreatedAt.Time.UTC()}
		if e.DispatchedAt.Valid {
			t := e.DispatchedAt.Time.UTC()
			r.DispatchedAt = &t
		}
		out.Data = append(out.Data, r)
	}
	return c.JSON(http.StatusOK, out)
}

// internalHost is an IP literal or localhost name that netguard would refuse.
func internalHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && netguard.Internal(ip)
}

// newSealedSecret makes an endpoint's signing secret: shown once in clear, stored sealed.
func (s *server) newSealedSecret() (secret string, sealed []byte, err error) {
	if secret, err = newWebhookSecret(); err != nil {
		return "", nil, internalError(fmt.Errorf("webhook secret: %w", err))
	}
	if sealed, err = s.pii.Seal(secret); err != nil {
		return "", nil, internalError(fmt.Errorf("seal webhook secret: %w", err))
	}
	return secret, sealed, nil
}
