package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/db"
)

type createCustomerRequest struct {
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
}

func (r createCustomerRequest) validate() error {
	var v validation
	v.text("external_id", r.ExternalID, 1, 128)
	v.text("name", r.Name, 1, 200)
	return v.err()
}

type customerResponse struct {
	ID         string    `json:"id"`
	ExternalID string    `json:"external_id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
}

// createCustomer answers 201 with a new customer, or 200 with the existing one
// when the external_id is already known (the name is then left unchanged).
func (s *server) createCustomer(c echo.Context) error {
	if callerOf(c).CustomerID != "" {
		return problem(http.StatusForbidden, codeForbidden, "a key scoped to one customer cannot create customers")
	}
	var req createCustomerRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	id := "cus_" + uuid.Must(uuid.NewV7()).String()
	cus, err := s.q.CreateCustomer(c.Request().Context(), db.CreateCustomerParams{ID: id, ExternalID: req.ExternalID, Name: req.Name})
	if err != nil {
		return internalError(fmt.Errorf("create customer: %w", err))
	}
	status := http.StatusCreated
	if cus.ID != id {
		status = http.StatusOK
	}
	return c.JSON(status, customerResponse{ID: cus.ID, ExternalID: cus.ExternalID, Name: cus.Name, CreatedAt: cus.CreatedAt.Time.UTC()})
}

// requireCustomer is a 404 customer_not_found when the id is unknown.
// A key scoped to another customer gets the same 404.
func (s *server) requireCustomer(c echo.Context, id string) (db.Customer, error) {
	cus, err := s.q.GetCustomer(c.Request().Context(), id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !entitled(c, id)) {
		return db.Customer{}, problem(http.StatusNotFound, codeCustomerNotFound, fmt.Sprintf("no customer %q", id))
	}
	if err != nil {
		return db.Customer{}, internalError(fmt.Errorf("get customer %s: %w", id, err))
	}
	return cus, nil
}
