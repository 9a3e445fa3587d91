package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// Custom search attributes, registered at worker start-up (see worker.RegisterSearchAttributes)
// so ops can filter the Temporal UI: OrderId="o-1", PaymentStatus="failed".
var (
	OrderIDKey       = temporal.NewSearchAttributeKeyKeyword("OrderId")
	CustomerIDKey    = temporal.NewSearchAttributeKeyKeyword("CustomerId")
	ProducerIDKey    = temporal.NewSearchAttributeKeyKeyword("ProducerId")
	PaymentStatusKey = temporal.NewSearchAttributeKeyKeyword("PaymentStatus")
	AmountKRWKey     = temporal.NewSearchAttributeKeyInt64("AmountKRW")
	// ReconMismatchesKey counts a reconciliation run's findings: ReconMismatches > 0.
	ReconMismatchesKey = temporal.NewSearchAttributeKeyInt64("ReconMismatches")
	// SettlementDeadlineKey is set by the daily deadline check: ok, at_risk or
	// overdue, so SettlementDeadline = 'overdue' finds the days a statutory due
	// date was missed. (A keyword: the dev server allows only three Int attributes.)
	SettlementDeadlineKey = temporal.NewSearchAttributeKeyKeyword("SettlementDeadline")
)

// SearchAttributeTypes is what the worker registers with the server.
func SearchAttributeTypes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		OrderIDKey.GetName():            enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		CustomerIDKey.GetName():         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		ProducerIDKey.GetName():         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		PaymentStatusKey.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		AmountKRWKey.GetName():          enumspb.INDEXED_VALUE_TYPE_INT,
		ReconMismatchesKey.GetName():    enumspb.INDEXED_VALUE_TYPE_INT,
		SettlementDeadlineKey.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		CashReceiptKey.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// CheckoutSearchAttributes are set when a checkout starts, so the UI can find it at once.
func CheckoutSearchAttributes(in CheckoutInput) temporal.SearchAttributes {
	updates := []temporal.SearchAttributeUpdate{
		OrderIDKey.ValueSet(in.OrderID),
		CustomerIDKey.ValueSet(in.CustomerID),
		PaymentStatusKey.ValueSet(StatusProcessing),
	}
	if in.Currency == "KRW" {
		updates = append(updates, AmountKRWKey.ValueSet(in.Amount))
	}
	return temporal.NewSearchAttributes(updates...)
}
