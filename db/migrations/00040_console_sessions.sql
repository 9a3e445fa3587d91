-- +goose Up

-- Console sign-ins (/console), in PostgreSQL so that every API replica knows
-- every session. The cookie holds a random token and only its SHA-256 is stored
-- here. The API key the person signed in with is kept sealed (pii, AES-GCM):
-- the console calls paysaga's public API with it, so a session can never do
-- more than its key, and revoking the key ends the session at its next request.
CREATE TABLE console_sessions (
    token_hash    bytea PRIMARY KEY,
    api_key_id    text NOT NULL REFERENCES api_keys (id),
    role          text NOT NULL CHECK (role IN ('finance', 'ops')),
    key_sealed    bytea NOT NULL,
    csrf_token    text NOT NULL CHECK (length(csrf_token) >= 32),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL -- absolute end, whatever the activity
);
CREATE INDEX console_sessions_last_seen_idx ON console_sessions (last_seen_at);

-- +goose Down
DROP TABLE console_sessions;
