package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/paysaga/paysaga/db"
)

// HashKey is how API keys are stored: SHA-256 of the key. Keys are long random
// strings, so a fast hash is enough (there is no dictionary to attack).
func HashKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// NewAPIKey creates a random key for role and stores only its hash; the
// plaintext is returned once and cannot be recovered.
// customerID, when not empty, limits the key to that customer's objects.
func NewAPIKey(ctx context.Context, q *db.Queries, role, name, customerID string) (string, error) {
	return NewAPIKeyBy(ctx, q, KeyActor{ID: "operator", Role: "operator"}, role, name, customerID)
}

// NewAPIKeyBy is NewAPIKey with the audit row naming by as the actor.
func NewAPIKeyBy(ctx context.Context, q *db.Queries, by KeyActor, role, name, customerID string) (string, error) {
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	plaintext := "sk_" + role + "_" + base64.RawURLEncoding.EncodeToString(secret)
	if err := storeAPIKey(ctx, q, by, role, name, plaintext, customerID); err != nil {
		return "", err
	}
	return plaintext, nil
}

// KeyActor is who creates or revokes a key outside the HTTP API (the audit
// row's actor): an operator at the CLI, or paysaga itself ensuring its
// configured keys.
type KeyActor struct{ ID, Role string }

// RevokeAPIKey revokes a live key and appends its audit row (one statement);
// false when no live key has that id.
func RevokeAPIKey(ctx context.Context, q *db.Queries, by KeyActor, keyID string) (bool, error) {
	n, err := q.RevokeAPIKey(ctx, db.RevokeAPIKeyParams{ActorKey: by.ID, ActorRole: by.Role, KeyID: keyID})
	if err != nil {
		return false, fmt.Errorf("revoke api key %s: %w", keyID, err)
	}
	return n == 1, nil
}

// EnsureAPIKey stores the key (hashed) with its role unless it is already there.
// `paysaga dev` calls it at every start; a key already stored under another role
// is an error rather than a silent change of rights.
func EnsureAPIKey(ctx context.Context, q *db.Queries, role, name, plaintext string) error {
	return storeAPIKey(ctx, q, KeyActor{ID: "paysaga", Role: "system"}, role, name, plaintext, "")
}

func storeAPIKey(ctx context.Context, q *db.Queries, by KeyActor, role, name, plaintext, customerID string) error {
	if !slices.Contains([]string{roleApp, roleFinance, roleOps}, role) {
		return fmt.Errorf("ensure api key %q: unknown role %q", name, role)
	}
	if len(plaintext) < 8 {
		return fmt.Errorf("ensure api key %q: key must be at least 8 characters", name)
	}
	hash := HashKey(plaintext)
	_, err := q.CreateAPIKey(ctx, db.CreateAPIKeyParams{
		ActorKey:   by.ID,
		ActorRole:  by.Role,
		ID:         "key_" + uuid.Must(uuid.NewV7()).String(),
		Name:       name,
		Role:       role,
		Prefix:     plaintext[:8],
		KeyHash:    hash,
		CustomerID: pgtype.Text{String: customerID, Valid: customerID != ""},
	})
	if err != nil {
		return fmt.Errorf("ensure api key %q: %w", name, err)
	}
	got, err := q.GetAPIKeyByHash(ctx, hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("ensure api key %q: the key exists but is revoked", name)
	}
	if err != nil {
		return fmt.Errorf("ensure api key %q: %w", name, err)
	}
	if got.Role != role {
		return fmt.Errorf("ensure api key %q: the key is already stored with role %q", name, got.Role)
	}
	return nil
}

// apiKey is the authenticated caller, kept in the echo.Context.
type apiKey struct {
	ID         string
	Role       string
	CustomerID string // "" for a platform-wide key
}

// entitled reports whether the caller may see customerID's objects. Callers
// answer 404, not 403, otherwise: a scoped key learns nothing about other
// customers, not even that an id exists.
func entitled(c echo.Context, customerID string) bool {
	k := callerOf(c)
	return k.CustomerID == "" || k.CustomerID == customerID
}

const ctxAPIKey = "paysaga.api_key"

func callerOf(c echo.Context) apiKey {
	k, _ := c.Get(ctxAPIKey).(apiKey)
	return k
}

// auth admits a request carrying `Authorization: Bearer <key>` for a live key
// whose role is one of roles: 401 without a valid key, 403 with the wrong role.
func (s *server) auth(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
			token = strings.TrimSpace(token)
			if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
				return problem(http.StatusUnauthorized, codeUnauthorized, "send an API key as `Authorization: Bearer <key>`")
			}
			row, err := s.apiKeys.lookup(c.Request().Context(), HashKey(token), s.q.GetAPIKeyByHash)
			if errors.Is(err, pgx.ErrNoRows) {
				return problem(http.StatusUnauthorized, codeUnauthorized, "the API key is not valid")
			}
			if err != nil {
				return internalError(fmt.Errorf("look up api key: %w", err))
			}
			c.Set(ctxAPIKey, apiKey{ID: row.ID, Role: row.Role, CustomerID: row.CustomerID.String})
			zerolog.Ctx(c.Request().Context()).UpdateContext(func(l zerolog.Context) zerolog.Context {
				return l.Str("api_key_id", row.ID).Str("role", row.Role)
			})
			if s.limiter != nil {
				ok, err := s.limiter.Allow(c.Request().Context(), row.ID)
				if err != nil {
					// The key was just read from the same database; a failure here is
					// transient, and refusing every request for it would be an outage.
					zerolog.Ctx(c.Request().Context()).Warn().Err(err).Msg("rate limit not checked")
					ok = true
				}
				if !ok {
					c.Response().Header().Set("Retry-After", "1")
					return problem(http.StatusTooManyRequests, codeRateLimited,
						fmt.Sprintf("more than %d requests per second with this API key; retry after a second", s.cfg.RateLimit))
				}
			}
			if !slices.Contains(roles, row.Role) {
				return problem(http.StatusForbidden, codeForbidden,
					fmt.Sprintf("role %q may not use this route", row.Role))
			}
			return next(c)
		}
	}
}

// platformOnly refuses a key scoped to one customer on routes that manage what
// serves every customer (webhook endpoints receive every customer's events).
func platformOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if callerOf(c).CustomerID != "" {
			return problem(http.StatusForbidden, codeForbidden, "a key scoped to one customer cannot manage platform-wide objects")
		}
		return next(c)
	}
}
