package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/labstack/echo/v4"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/tax"
)

const codeSettlementNotFound = "settlement_not_found"

// A settlement is one payout of a run (payout-{producer}-{period}) with the
// settlement entries it paid: confirmed sales and refunds after confirmation.
type settlementResponse struct {
	ID            string           `json:"id"`
	ProducerID    string           `json:"producer_id"`
	Period        string           `json:"period"`
	Status        string           `json:"status"` // the payout's: pending | awaiting_approval | paid | held | failed
	Reason        string           `json:"reason"`
	Currency      string           `json:"currency"`
	Cutoff        time.Time        `json:"cutoff"`
	GrossSales    int64            `json:"gross_sales"`    // confirmed sales of the period
	Refunds       int64            `json:"refunds"`        // refunded after confirmation in the period (gross, positive)
	Commission    int64            `json:"commission"`     // net of refunded commission
	CommissionVAT int64            `json:"commission_vat"` // net of refunded VAT
	Adjustments   int64            `json:"adjustments"`    // what the refunds took from the producer (net, <= 0)
	CarriedOver   int64            `json:"carried_over"`   // balance brought from earlier periods (negative: netted here)
	NetPaid       int64            `json:"net_paid"`       // = gross_sales - commission - commission_vat + adjustments + carried_over
	Lines         []settlementLine `json:"lines,omitempty"`
}

type settlementLine struct {
	Kind          string    `json:"kind"` // sale | refund
	OrderID       string    `json:"order_id"`
	PaymentID     string    `json:"payment_id"`
	Reference     string    `json:"reference"` // the journal's idempotency key
	ConfirmedAt   time.Time `json:"confirmed_at"`
	DueAt         time.Time `json:"due_at"`
	BookedAt      time.Time `json:"booked_at"`
	Gross         int64     `json:"gross"`
	TaxFree       int64     `json:"tax_free_amount"`
	Supply        int64     `json:"supply_amount"`
	VAT           int64     `json:"vat_amount"`
	Commission    int64     `json:"commission"`
	CommissionVAT int64     `json:"commission_vat"`
	Net           int64     `json:"net"`
	CarriedOver   bool      `json:"carried_over"` // booked in an earlier period that was not paid
}

type settlementList struct {
	ProducerID  string               `json:"producer_id"`
	Settlements []settlementResponse `json:"settlements"`
}

// listSettlements lists the producer's settlements, newest first, with their
// figures: one per payout, and one (status carried_over, nothing paid) per
// period that netted negative.
func (s *server) listSettlements(c echo.Context) error {
	p, err := s.requireProducer(c)
	if err != nil {
		return err
	}
	hist, err := s.settlementHistory(c, p.ID)
	if err != nil {
		return err
	}
	out := settlementList{ProducerID: p.ID, Settlements: make([]settlementResponse, 0, len(hist))}
	for i, h := range hist {
		if h.payout == nil {
			out.Settlements = append(out.Settlements, h.carry)
			continue
		}
		st, err := s.settlement(c, *h.payout, previous(hist, i), false)
		if err != nil {
			return err
		}
		out.Settlements = append(out.Settlements, st)
	}
	return c.JSON(http.StatusOK, out)
}

// getSettlement answers one settlement with its line items, as JSON or, with
// ?format=csv, as a CSV of the lines followed by a carry-over and a total line.
func (s *server) getSettlement(c echo.Context) error {
	p, err := s.requireProducer(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "csv" {
		var v validation
		v.add(codeValidationFailed, "format", "must be json or csv")
		return v.err()
	}
	id := c.Param("settlement_id")
	hist, err := s.settlementHistory(c, p.ID)
	if err != nil {
		return err
	}
	for i, h := range hist {
		if h.id != id {
			continue
		}
		st := h.carry
		if h.payout != nil {
			if st, err = s.settlement(c, *h.payout, previous(hist, i), true); err != nil {
				return err
			}
		}
		if format == "csv" {
			return c.Blob(http.StatusOK, "text/csv; charset=utf-8", settlementCSV(st))
		}
		return c.JSON(http.StatusOK, st)
	}
	return problem(http.StatusNotFound, codeSettlementNotFound, fmt.Sprintf("producer %q has no settlement %q", p.ID, id))
}

// settled is one settlement in a producer's history: a payout, or a period
// carried over.
type settled struct {
	id     string
	at     time.Time
	payout *db.GetProducerSettlementRow
	carry  settlementResponse
}

// settlementHistory is the producer's settlements, newest first.
func (s *server) settlementHistory(c echo.Context, producerID string) ([]settled, error) {
	ctx := c.Request().Context()
	rows, err := s.q.ListProducerSettlements(ctx, db.ListProducerSettlementsParams{ProducerID: producerID, PageSize: 1000})
	if err != nil {
		return nil, internalError(fmt.Errorf("settlements of %s: %w", producerID, err))
	}
	carries, err := s.q.ListProducerCarryovers(ctx, db.ListProducerCarryoversParams{ProducerID: producerID, PageSize: 1000})
	if err != nil {
		return nil, internalError(fmt.Errorf("carry-overs of %s: %w", producerID, err))
	}
	hist := make([]settled, 0, len(rows)+len(carries))
	for _, r := range rows {
		row := db.GetProducerSettlementRow(r)
		hist = append(hist, settled{id: r.ID, at: r.CreatedAt.Time, payout: &row})
	}
	for _, co := range carries {
		hist = append(hist, settled{id: co.ID, at: co.CreatedAt.Time, carry: settlementResponse{
			ID: co.ID, ProducerID: co.ProducerID, Period: co.Period, Status: "carried_over", Currency: co.Currency,
			Cutoff: co.Cutoff.Time.UTC(), CarriedOver: co.Amount}})
	}
	sort.SliceStable(hist, func(i, j int) bool { return hist[i].at.After(hist[j].at) })
	return hist, nil
}

// previous is when the settlement before hist[i] was made: entries booked
// before it belong to an earlier period.
func previous(hist []settled, i int) time.Time {
	if i+1 < len(hist) {
		return hist[i+1].at
	}
	return time.Time{}
}

// settlement adds up the entries the payout paid. Entries booked before the
// previous settlement (a period that netted negative, or was held) and any
// balance from before settlement entries existed count as carried over, so
// net_paid always equals the payout's amount.
func (s *server) settlement(c echo.Context, r db.GetProducerSettlementRow, prev time.Time, withLines bool) (settlementResponse, error) {
	st := settlementResponse{ID: r.ID, ProducerID: r.ProducerID, Period: r.Period, Status: r.Status, Reason: r.Reason,
		Currency: r.Currency, Cutoff: r.Cutoff.Time.UTC(), NetPaid: r.Amount}
	lines, err := s.q.SettlementLines(c.Request().Context(), pgText(r.ID))
	if err != nil {
		return st, internalError(fmt.Errorf("lines of settlement %s: %w", r.ID, err))
	}
	var periodNet int64
	for _, l := range lines {
		carried := !prev.IsZero() && !l.BookedAt.Time.After(prev)
		if withLines {
			line := settlementLine{Kind: l.Kind, OrderID: l.OrderID, PaymentID: l.PaymentID, Reference: l.JournalKey,
				ConfirmedAt: l.ConfirmedAt.Time.UTC(), DueAt: l.DueAt.Time.UTC(), BookedAt: l.BookedAt.Time.UTC(),
				Gross: l.Gross, Commission: l.Commission, CommissionVAT: l.CommissionVat, Net: l.Net, CarriedOver: carried}
			line.TaxFree, line.Supply, line.VAT = lineTax(l.Gross, l.TaxFree)
			st.Lines = append(st.Lines, line)
		}
		if carried {
			continue
		}
		periodNet += l.Net
		st.Commission += l.Commission
		st.CommissionVAT += l.CommissionVat
		if l.Kind == "sale" {
			st.GrossSales += l.Gross
		} else {
			st.Refunds -= l.Gross
			st.Adjustments += l.Net
		}
	}
	st.CarriedOver = r.Amount - periodNet
	if r.Status == activities.PayoutHeld || r.Status == activities.PayoutFailed {
		st.NetPaid = 0 // nothing left; its entries went back to the next run
	}
	return st, nil
}

// lineTax divides a statement line by the tax rule; a refund line (negative
// gross) is divided as its absolute value and signed back.
func lineTax(gross, taxFree int64) (tf, supply, vat int64) {
	sign := int64(1)
	if gross < 0 {
		sign, gross, taxFree = -1, -gross, -taxFree
	}
	b, err := tax.Split(gross, taxFree)
	if err != nil { // the database holds tax_free within gross; never here
		b = tax.Breakdown{Supply: gross}
	}
	return sign * b.TaxFree, sign * b.Supply, sign * b.VAT
}

func settlementCSV(st settlementResponse) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	n := strconv.FormatInt
	_ = w.Write([]string{"settlement_id", "kind", "order_id", "payment_id", "confirmed_at", "due_at", "gross", "commission", "commission_vat", "net", "carried_over",
		"tax_free_amount", "supply_amount", "vat_amount"})
	var taxFree, supply, vat int64
	for _, l := range st.Lines {
		_ = w.Write([]string{st.ID, l.Kind, l.OrderID, l.PaymentID, l.ConfirmedAt.Format(time.RFC3339), l.DueAt.Format(time.RFC3339),
			n(l.Gross, 10), n(l.Commission, 10), n(l.CommissionVAT, 10), n(l.Net, 10), strconv.FormatBool(l.CarriedOver),
			n(l.TaxFree, 10), n(l.Supply, 10), n(l.VAT, 10)})
		if !l.CarriedOver {
			taxFree, supply, vat = taxFree+l.TaxFree, supply+l.Supply, vat+l.VAT
		}
	}
	_ = w.Write([]string{st.ID, "carried_over", "", "", "", "", "", "", "", n(st.CarriedOver, 10), "", "", "", ""})
	_ = w.Write([]string{st.ID, "total", "", "", "", "", n(st.GrossSales-st.Refunds, 10), n(st.Commission, 10), n(st.CommissionVAT, 10), n(st.NetPaid, 10), "",
		n(taxFree, 10), n(supply, 10), n(vat, 10)})
	w.Flush()
	return b.Bytes()
}

type commissionInvoice struct {
	ProducerID                 string `json:"producer_id"`
	ProducerName               string `json:"producer_name"`
	BusinessRegistrationNumber string `json:"business_registration_number"`
	Currency                   string `json:"currency"`
	SupplyAmount               int64  `json:"supply_amount"` // commission (공급가액)
	VAT                        int64  `json:"vat"`           // 세액
	Total                      int64  `json:"total"`
	Entries                    int64  `json:"entries"`
}

type commissionInvoiceList struct {
	Month    string              `json:"month"` // YYYY-MM, Korea time
	Invoices []commissionInvoice `json:"invoices"`
}

// commissionInvoices exports, for a month (?month=YYYY-MM, Korea time), the
// commission each producer is invoiced (역발행 tax-invoice data): supply
// amount and VAT as booked at confirmation, less refunds after confirmation.
// ?format=csv for the accountant.
func (s *server) commissionInvoices(c echo.Context) error {
	month := c.QueryParam("month")
	from, err := time.ParseInLocation("2006-01", month, activities.KST)
	if err != nil {
		var v validation
		v.add(codeValidationFailed, "month", "must be YYYY-MM")
		return v.err()
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "csv" {
		var v validation
		v.add(codeValidationFailed, "format", "must be json or csv")
		return v.err()
	}
	rows, err := s.q.CommissionInvoiceMonth(c.Request().Context(), db.CommissionInvoiceMonthParams{
		FromTime: ts(from), ToTime: ts(from.AddDate(0, 1, 0))})
	if err != nil {
		return internalError(fmt.Errorf("commission invoices of %s: %w", month, err))
	}
	out := commissionInvoiceList{Month: month, Invoices: make([]commissionInvoice, len(rows))}
	for i, r := range rows {
		out.Invoices[i] = commissionInvoice{ProducerID: r.ProducerID, ProducerName: r.Name, BusinessRegistrationNumber: r.BusinessRegistrationNumber,
			Currency: r.Currency, SupplyAmount: r.SupplyAmount, VAT: r.Vat, Total: r.SupplyAmount + r.Vat, Entries: r.Entries}
	}
	if format != "csv" {
		return c.JSON(http.StatusOK, out)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"month", "producer_id", "producer_name", "business_registration_number", "currency", "supply_amount", "vat", "total"})
	for _, inv := range out.Invoices {
		_ = w.Write([]string{month, inv.ProducerID, inv.ProducerName, inv.BusinessRegistrationNumber, inv.Currency,
			strconv.FormatInt(inv.SupplyAmount, 10), strconv.FormatInt(inv.VAT, 10), strconv.FormatInt(inv.Total, 10)})
	}
	w.Flush()
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

func ts(t time.Time) pgtype.Timestamptz { return pgtype.Timestamptz{Time: t, Valid: true} }

type holdRequest struct {
	Reason string `json:"reason"` // e.g. dispute; shown on the held payouts
}

// holdProducer puts the producer's payouts on hold (finance, e.g. a dispute):
// runs claim what it is owed as a held payout with the reason and pay nothing.
func (s *server) holdProducer(c echo.Context) error {
	p, err := s.requireProducer(c)
	if err != nil {
		return err
	}
	var req holdRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	var v validation
	v.text("reason", req.Reason, 1, 200)
	if err := v.err(); err != nil {
		return err
	}
	return s.setHold(c, p.ID, true, req.Reason)
}

// releaseProducer lifts the hold: the next run pays what is owed.
func (s *server) releaseProducer(c echo.Context) error {
	p, err := s.requireProducer(c)
	if err != nil {
		return err
	}
	return s.setHold(c, p.ID, false, "")
}

func (s *server) setHold(c echo.Context, id string, hold bool, reason string) error {
	ctx := c.Request().Context()
	var p db.Producer
	err := s.inTx(ctx, func(q *db.Queries) error {
		before, err := q.GetProducer(ctx, id)
		if err != nil {
			return internalError(fmt.Errorf("get producer %s: %w", id, err))
		}
		if err := q.SetProducerHold(ctx, db.SetProducerHoldParams{ID: id, PayoutHold: hold, HoldReason: reason}); err != nil {
			return internalError(fmt.Errorf("hold producer %s: %w", id, err))
		}
		if p, err = q.GetProducer(ctx, id); err != nil {
			return internalError(fmt.Errorf("get producer %s: %w", id, err))
		}
		action := auditProducerReleased
		if hold {
			action = auditProducerHeld
		}
		return s.audit(ctx, q, c, action, "producer:"+id, holdSummary(before), holdSummary(p))
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toProducerResponse(p))
}

func holdSummary(p db.Producer) map[string]any {
	return map[string]any{"payout_hold": p.PayoutHold, "hold_reason": p.HoldReason}
}
