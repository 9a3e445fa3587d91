-- +goose Up

-- Item-targeted refunds (issue 13, ADR 0016): a refund that names the items it
-- gives back, or any refund of a payment after its first such refund, records
-- here what it takes from each item. refunded_before is the item's refunded
-- total before this part: the part owns the item's slice [refunded_before,
-- refunded_before + amount), whose commission and VAT are booked with the
-- ledger's cumulative rounding. Refunds without rows are ADR 0004's slices of
-- the payment, always the payment's first refunds.
CREATE TABLE refund_items (
    refund_id        text NOT NULL REFERENCES refunds (id),
    payment_id       text NOT NULL,
    producer_id      text NOT NULL,
    amount           bigint NOT NULL CHECK (amount > 0),
    refunded_before  bigint NOT NULL CHECK (refunded_before >= 0),
    PRIMARY KEY (refund_id, producer_id),
    FOREIGN KEY (payment_id, producer_id) REFERENCES payment_items (payment_id, producer_id)
);
CREATE INDEX refund_items_item_idx ON refund_items (payment_id, producer_id);

-- +goose Down
DROP TABLE refund_items;
