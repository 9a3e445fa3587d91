package ledger

// WalletRefundTransit holds wallet refunds (잔액 환불) between leaving the
// wallet and leaving the bank: still owed to the customer, so the
// safeguarding report counts it with the wallets.
const WalletRefundTransit = "wallet_refunds:transit"

// WalletRefundReserveJournal takes the refund's amount out of the wallet as
// soon as it is accepted, so no checkout can spend it meanwhile:
// Dr wallet:{customer}, Cr wallet_refunds:transit.
func WalletRefundReserveJournal(refundID, customerID, currency string, amount int64) Journal {
	return Journal{
		Key: "wallet-refund:" + refundID + ":reserve", Kind: "wallet_refund_reserve",
		Description: "wallet refund " + refundID + " reserved",
		Postings: []Posting{
			{Account: Wallet(customerID), Currency: currency, Amount: amount},
			{Account: WalletRefundTransit, Currency: currency, Amount: -amount},
		},
	}
}

// WalletRefundPaidJournal books the bank's transfer of amount - fee; the fee
// is revenue: Dr transit amount, Cr bank:clearing amount - fee, Cr revenue:fees fee.
func WalletRefundPaidJournal(refundID, currency string, amount, fee int64) Journal {
	postings := []Posting{
		{Account: WalletRefundTransit, Currency: currency, Amount: amount},
		{Account: BankClearing, Currency: currency, Amount: -(amount - fee)},
	}
	if fee > 0 {
		postings = append(postings, Posting{Account: RevenueFees, Currency: currency, Amount: -fee})
	}
	return Journal{
		Key: "wallet-refund:" + refundID + ":paid", Kind: "wallet_refund_paid",
		Description: "wallet refund " + refundID + " transferred", Postings: postings,
	}
}

// WalletRefundReleaseJournal gives a refund that never left the bank back to
// the wallet: Dr transit, Cr wallet:{customer}.
func WalletRefundReleaseJournal(refundID, customerID, currency string, amount int64) Journal {
	return Journal{
		Key: "wallet-refund:" + refundID + ":release", Kind: "wallet_refund_release",
		Description: "wallet refund " + refundID + " failed: back to the wallet",
		Postings: []Posting{
			{Account: WalletRefundTransit, Currency: currency, Amount: amount},
			{Account: Wallet(customerID), Currency: currency, Amount: -amount},
		},
	}
}
