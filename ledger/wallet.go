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

// FundWithWallet moves walletAmount of the journal's posting to pgAccount onto
// the customer's wallet, keeping its sign: a checkout paid partly from the wallet
// debits the wallet instead of the PG receivable (DESIGN.md: Dr pg 10,000;
// Dr wallet 5,000; Cr producer 14,550; Cr fees 450), and a refund of a wallet
// part credits the wallet. A posting brought to zero is dropped.
func FundWithWallet(j Journal, pgAccount, customerID string, walletAmount int64) Journal {
	return movePart(j, pgAccount, Wallet(customerID), walletAmount)
}

// movePart moves amount of the journal's posting to from onto to, keeping its
// sign. A posting brought to zero is dropped.
func movePart(j Journal, from, to string, amount int64) Journal {
	if amount == 0 {
		return j
	}
	postings := make([]Posting, 0, len(j.Postings)+1)
	var sign int64 = 1
	currency := ""
	for _, p := range j.Postings {
		if p.Account == from {
			if p.Amount < 0 {
				sign = -1
			}
			currency = p.Currency
			p.Amount -= sign * amount
			if p.Amount == 0 {
				continue
			}
		}
		postings = append(postings, p)
	}
	j.Postings = append(postings, Posting{Account: to, Currency: currency, Amount: sign * amount})
	return j
}

// SplitRefund splits the slice [before, before+amount) of a payment funded
// cardTotal by card and walletTotal by wallet into its card and wallet parts,
// in proportion. Cumulative like RefundJournal: refunding everything in any
// number of parts gives back exactly cardTotal to the card and walletTotal to
// the wallet.
func SplitRefund(cardTotal, walletTotal, before, amount int64) (card, wallet int64) {
	sources := []Item{{Amount: walletTotal}, {Amount: cardTotal}}
	from, to := allocate(sources, before), allocate(sources, before+amount)
	wallet = to[0] - from[0]
	return amount - wallet, wallet
}
