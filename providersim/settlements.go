package providersim

import (
	"context"
	"net/http"
	"sort"
	"time"
)

// Settlement reports. GET /pg/{name}/v1/settlements?date=YYYY-MM-DD lists what
// the PG settles for that day (Korea time): each payment's captures (with the
// PG's fee) and its refunds (cancels after capture; voids of uncaptured
// authorizations move no money and are not listed). POST /admin/settlements/plant
// makes the report disagree with what happened, for reconciliation tests.

// kst is Korea Standard Time (no daylight saving), the PGs' settlement day.
var kst = time.FixedZone("KST", 9*60*60)

// DefaultPGFeeBPS is the sandbox PGs' fee on captures (2.5%).
const DefaultPGFeeBPS = 250

// SettlementItem is one line of a report.
type SettlementItem struct {
	PaymentKey string `json:"payment_key"`
	OrderID    string `json:"order_id"`
	Type       string `json:"type"`   // capture | refund
	Amount     int64  `json:"amount"` // > 0 for both types
	Fee        int64  `json:"fee"`    // the PG's fee on a capture
	Currency   string `json:"currency"`
}

// SettlementReport is a PG's settlement for one day.
type SettlementReport struct {
	PG    string           `json:"pg"`
	Date  string           `json:"date"`
	Items []SettlementItem `json:"items"`
}

// Plant overrides a payment's capture line in every report: Amount and/or Fee
// (when set), or Drop it from the report altogether.
type Plant struct {
	PaymentKey string `json:"payment_key"`
	Amount     *int64 `json:"amount,omitempty"`
	Fee        *int64 `json:"fee,omitempty"`
	Drop       bool   `json:"drop,omitempty"`
}

func (s *Server) settlements(r *http.Request, pg string) reply {
	date := r.URL.Query().Get("date")
	day, err := time.ParseInLocation("2006-01-02", date, kst)
	if err != nil {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "date must be YYYY-MM-DD")
	}
	s.mu.Lock()
	items := s.settlementItems(pg, day)
	s.mu.Unlock()
	return jsonReply(http.StatusOK, SettlementReport{PG: pg, Date: date, Items: items})
}

// POST /admin/settlements/plant
func (s *Server) adminPlantSettlement(w http.ResponseWriter, r *http.Request) {
	var p Plant
	if rep, ok := decode(r, &p); !ok {
		writeReply(w, rep)
		return
	}
	if p.PaymentKey == "" {
		writeReply(w, errReply(http.StatusBadRequest, "INVALID_REQUEST", "payment_key is required"))
		return
	}
	s.mu.Lock()
	s.plants[p.PaymentKey] = p
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// PlantSettlement makes the PGs' settlement reports disagree about one payment.
func (a *AdminClient) PlantSettlement(ctx context.Context, p Plant) error {
	return a.do(ctx, http.MethodPost, "/admin/settlements/plant", p, nil)
}

// settlementItems is the report of one PG instance for the Korea-time day
// starting at day: each payment's captures (with the PG's fee) and refunds,
// plants applied. Callers hold s.mu.
func (s *Server) settlementItems(pg string, day time.Time) []SettlementItem {
	next := day.AddDate(0, 0, 1)
	agg := map[[2]string]*SettlementItem{}
	for _, rec := range s.records {
		if rec.Provider != pgProvider(pg) || rec.At.Before(day) || !rec.At.Before(next) {
			continue
		}
		typ := ""
		switch rec.Kind {
		case KindCapture:
			typ = "capture"
		case KindCancel:
			if p, ok := s.payments[rec.PaymentKey]; ok && !p.capturedAt.IsZero() && !rec.At.Before(p.capturedAt) {
				typ = "refund"
			}
		}
		if typ == "" {
			continue
		}
		k := [2]string{rec.PaymentKey, typ}
		it, ok := agg[k]
		if !ok {
			it = &SettlementItem{PaymentKey: rec.PaymentKey, OrderID: rec.OrderID, Type: typ, Currency: rec.Currency}
			agg[k] = it
		}
		it.Amount += rec.Amount
	}
	items := make([]SettlementItem, 0, len(agg))
	for _, it := range agg {
		if it.Type == "capture" {
			it.Fee = it.Amount * s.pgFeeBPS / 10_000
			if pl, ok := s.plants[it.PaymentKey]; ok {
				if pl.Drop {
					continue
				}
				if pl.Amount != nil {
					it.Amount = *pl.Amount
				}
				if pl.Fee != nil {
					it.Fee = *pl.Fee
				}
			}
		}
		items = append(items, *it)
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].PaymentKey != items[j].PaymentKey {
			return items[i].PaymentKey < items[j].PaymentKey
		}
		return items[i].Type < items[j].Type
	})
	return items
}
