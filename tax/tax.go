// Package tax holds paysaga's one rule for Korean VAT on a mixed basket: how a
// payment (or a line, or a refund) divides into tax-free (면세), supply amount
// (공급가액) and VAT (부가세), and how much of a partial refund is tax-free.
//
// The rule (docs/connectors.md "Tax-free amounts"):
//   - prices are VAT-inclusive; taxable = amount - tax-free;
//   - VAT = floor(taxable / 11), supply = taxable - VAT (so amount = tax-free +
//     supply + VAT exactly); 30,000 with 12,000 tax-free -> taxable 18,000,
//     VAT 1,636, supply 16,364;
//   - a payment's VAT is computed on its total taxable amount, a line's on the
//     line's, so the lines' VAT can differ from the payment's by rounding;
//   - the tax-free part of any slice of a payment is a cumulative floor of the
//     proportional share (TaxFreeUpTo), so the tax-free parts of all refunds
//     never exceed the payment's, the taxable parts never exceed its taxable
//     amount, and a full refund gives back both exactly.
package tax

import (
	"errors"
	"math/bits"
)

// Breakdown is an amount divided by the rule.
type Breakdown struct {
	Amount  int64 // VAT-inclusive total = TaxFree + Supply + VAT
	TaxFree int64
	Supply  int64 // taxable amount without its VAT
	VAT     int64
}

// Split divides amount, of which taxFree is tax-free, by the rule.
func Split(amount, taxFree int64) (Breakdown, error) {
	if amount < 0 || taxFree < 0 || taxFree > amount {
		return Breakdown{}, errors.New("tax-free amount must be within 0..amount")
	}
	taxable := amount - taxFree
	vat := taxable / 11
	return Breakdown{Amount: amount, TaxFree: taxFree, Supply: taxable - vat, VAT: vat}, nil
}

// TaxFreeUpTo is the tax-free part of the first t won of an amount of which
// taxFree is tax-free: floor(t * taxFree / amount). Non-decreasing in t, and
// t - TaxFreeUpTo is too (it grows by 0 or 1 won per won), so any sequence of
// slices stays within both the tax-free and the taxable amount.
func TaxFreeUpTo(amount, taxFree, t int64) int64 {
	if amount <= 0 || taxFree <= 0 || t <= 0 {
		return 0
	}
	if t >= amount {
		return taxFree
	}
	hi, lo := bits.Mul64(uint64(t), uint64(taxFree))
	q, _ := bits.Div64(hi, lo, uint64(amount))
	return int64(q)
}

// SliceTaxFree is the tax-free part of the slice [before, before+amount) of a
// total of which taxFree is tax-free: the difference of cumulative shares.
func SliceTaxFree(total, taxFree, before, amount int64) int64 {
	return TaxFreeUpTo(total, taxFree, before+amount) - TaxFreeUpTo(total, taxFree, before)
}

// PartSliceTaxFree is the tax-free part of a slice of one tender of a payment
// (the card part of a card+wallet payment): the tender carries the payment's
// tax-free share of it, TaxFreeUpTo(total, taxFree, part), and the slice
// [partBefore, partBefore+partAmount) of the tender its cumulative share of that.
// What the PG is told at approval and at each cancel follows this, so the
// cancels' tax-free parts add up to the approval's exactly.
func PartSliceTaxFree(total, taxFree, part, partBefore, partAmount int64) int64 {
	return SliceTaxFree(part, TaxFreeUpTo(total, taxFree, part), partBefore, partAmount)
}
