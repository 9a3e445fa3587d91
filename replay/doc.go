// Package replay holds workflow histories recorded from real runs (testdata/)
// and replays them against the current workflow code in make test, so a change
// that would break a running workflow (non-determinism) fails CI. Re-record
// with `go run ./cmd/paysaga services -- go test ./replay -run TestRecord -record`.
// The settlement workflows (Fulfilment, SettlementDeadlineCheck, item refunds,
// settlement runs with a carry-over) are recorded on their own, beside the
// others, into testdata/*-settlement_*.json: `... go test ./replay -run
// TestRecordSettlement -record-settlement`. The per-endpoint event delivery
// loop (issue 19) likewise, into testdata/EndpointDelivery-loop_*.json: `...
// go test ./replay -run TestRecordDelivery -record-delivery`. The cash-receipt
// shapes (issue 14: a checkout, refund and top-up that owe a receipt, the
// CashReceipt and CashReceiptCancel workflows) likewise into
// testdata/*-receipt_*.json: `... go test ./replay -run TestRecordReceipts
// -record-receipts`. The batched payout run (issue 19, i19-payout-batches: a
// PayoutRun, its PayoutBatch, an approved Payout) likewise into
// testdata/*-batches_*.json: `... go test ./replay -run TestRecordBatches
// -record-batches`.
package replay
