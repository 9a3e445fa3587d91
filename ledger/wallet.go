package ledger

// BankClearing is money the bank has moved for us and not yet settled.
const BankClearing = "bank:clearing"

// TopUpJournal books a wallet top-up the bank has debited: Dr bank:clearing,
// Cr wallet:{customer}. The wallet is a liability: its balance is minus the raw sum.
func TopUpJournal(topUpID, customerID, currency string, amount int64) Journal {
	return Journal{
		Key:         "topup:" + topUpID + ":credit",
		Kind:        "wallet_topup",
		Description: "wallet top-up " + topUpID,
		Postings: []Posting{
			{Account: BankClearing, Currency: currency, Amount: amount},
			{Account: Wallet(customerID), Currency: currency, Amount: -amount},
		},
	}
}
