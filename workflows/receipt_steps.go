package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/tax"
)

// The receipt steps of Checkout, Refund and TopUp, each under
// workflow.GetVersion(cashReceiptChangeID) and taken only when a receipt is
// owed, so the histories of card payments keep their shape.

// receiptAmount is the cash part of the payment a receipt stands for: the
// bank account's part and, when receipted at spend, the wallet's (points and
// cards are not cash). Its tax-free part is the tenders' shares of the
// payment's (the card or bank tender carries cardTaxFree, the wallet the rest).
func (c *checkout) receiptAmount() (amount, taxFree int64) {
	p := c.in.CashReceipt
	if p == nil {
		return 0, 0
	}
	if p.Method && c.cardAmount() > 0 {
		amount, taxFree = amount+c.cardAmount(), taxFree+c.cardTaxFree()
	}
	if p.Wallet && c.in.WalletAmount > 0 {
		// The wallet carries the tax-free share of the card-and-wallet part
		// beyond the card's; the points part keeps its own (ADR 0022).
		cashTaxFree := tax.TaxFreeUpTo(c.in.Amount, taxFreeOf(c.in.Items), c.cardAmount()+c.in.WalletAmount)
		amount, taxFree = amount+c.in.WalletAmount, taxFree+cashTaxFree-c.cardTaxFree()
	}
	return amount, taxFree
}

// oweCashReceipt writes the receipt the payment owes and starts its workflow.
// The money has moved: nothing here fails the payment; a failure is on the
// timeline for ops.
func (c *checkout) oweCashReceipt(ctx workflow.Context, servedBy string) {
	amount, taxFree := c.receiptAmount()
	p := c.in.CashReceipt
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), receipts.PlanCashReceipt, activities.PlanCashReceiptInput{
		ReceiptID: c.in.PaymentID, PaymentID: c.in.PaymentID, CustomerID: c.in.CustomerID, Currency: c.in.Currency,
		CoversMethod: p.Method && c.cardAmount() > 0, CoversWallet: p.Wallet && c.in.WalletAmount > 0,
		Amount: amount, TaxFree: taxFree,
	}).Get(ctx, nil)
	if err != nil {
		c.event(ctx, "cash_receipt_not_planned", map[string]string{"error": err.Error()})
		return
	}
	pgs := p.PGs
	if servedBy != "" {
		pgs = append([]string{servedBy}, without(p.PGs, servedBy)...)
	}
	startReceiptWorkflow(ctx, c.in.PaymentID, CashReceiptID(c.in.PaymentID), CashReceiptName, CashReceiptInput{
		ReceiptID: c.in.PaymentID, PGs: pgs, RetryEvery: p.RetryEvery, PollEvery: p.PollEvery,
	})
}

func without(names []string, drop string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n != drop {
			out = append(out, n)
		}
	}
	return out
}

// cancelCashReceipt plans the refund's part of the payment's receipt, if it
// has one, and starts the cancel's workflow.
func cancelCashReceipt(ctx workflow.Context, in RefundInput) {
	var plan activities.PlanCashReceiptCancelResult
	err := workflow.ExecuteLocalActivity(finalCtx(ctx), receipts.PlanCashReceiptCancel,
		activities.PlanCashReceiptCancelInput{RefundID: in.RefundID}).Get(ctx, &plan)
	if err != nil {
		workflow.GetLogger(ctx).Error("receipt cancel not planned", "refund_id", in.RefundID, "error", err)
		return
	}
	if plan.Amount == 0 {
		return
	}
	startReceiptWorkflow(ctx, plan.ReceiptID, CashReceiptCancelID(in.RefundID), CashReceiptCancelName, CashReceiptCancelInput{
		RefundID: in.RefundID, ReceiptID: plan.ReceiptID, RetryEvery: in.CashReceiptRetryEvery,
	})
}

// topUpCashReceipt writes the top-up's receipt (issued at top-up) and starts
// its workflow.
func topUpCashReceipt(ctx workflow.Context, in TopUpInput) {
	p := in.CashReceipt
	err := workflow.ExecuteLocalActivity(dbCtx(ctx), receipts.PlanCashReceipt, activities.PlanCashReceiptInput{
		ReceiptID: in.TopUpID, TopUpID: in.TopUpID, CustomerID: in.CustomerID, Currency: in.Currency, Amount: in.Amount,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("top-up receipt not planned", "topup_id", in.TopUpID, "error", err)
		return
	}
	startReceiptWorkflow(ctx, in.TopUpID, CashReceiptID(in.TopUpID), CashReceiptName, CashReceiptInput{
		ReceiptID: in.TopUpID, PGs: p.PGs, RetryEvery: p.RetryEvery, PollEvery: p.PollEvery,
	})
}
