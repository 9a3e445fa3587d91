-- +goose Up

-- Issue 19: one delivery loop per webhook endpoint instead of one workflow per
-- event. via says who delivers a row: 'event' (a DeliverEvent workflow, every
-- row written before this change) or 'loop' (the endpoint's EndpointDelivery
-- workflow, which reads its pending rows from here in outbox order). The two
-- never take each other's rows, so a cut-over delivers nothing twice.
ALTER TABLE event_deliveries
    ADD COLUMN via text NOT NULL DEFAULT 'event' CHECK (via IN ('event', 'loop'));

-- What a loop reads and what the backlog metric counts: the pending rows of
-- one endpoint.
CREATE INDEX event_deliveries_pending_idx ON event_deliveries (endpoint_id) WHERE status = 'pending';

-- Set while the endpoint's circuit breaker is open (the loop paused after
-- consecutive failures, probing after a cool-down); NULL when closed.
ALTER TABLE webhook_endpoints ADD COLUMN paused_at timestamptz;

-- +goose Down
ALTER TABLE webhook_endpoints DROP COLUMN paused_at;
DROP INDEX event_deliveries_pending_idx;
ALTER TABLE event_deliveries DROP COLUMN via;
