-- +goose Up
-- An API key may act for one customer only (an app embedded per customer, a
-- partner): every object of another customer is then 404 to it. NULL keeps the
-- key platform-wide, as the app's backend key is.
ALTER TABLE api_keys ADD COLUMN customer_id text REFERENCES customers (id);

-- +goose Down
ALTER TABLE api_keys DROP COLUMN customer_id;
