-- The outbox: every domain change, in commit order (seq), written in the change's transaction.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    -- Who may see it: 'public', 'parties' (the parties in event_parties) or 'staff'.
    audience TEXT NOT NULL,
    data TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX events_type_idx ON events (type, seq);
CREATE INDEX events_audience_idx ON events (audience, seq);

CREATE TABLE event_parties (
    event_seq BIGINT NOT NULL REFERENCES events (seq),
    party_id TEXT NOT NULL,
    PRIMARY KEY (party_id, event_seq)
);

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    -- JSON array of event types; empty means every type.
    event_types TEXT NOT NULL,
    active INTEGER NOT NULL,
    secret TEXT NOT NULL,
    owner_key_id TEXT NOT NULL,
    -- The party whose events an investor's subscription may receive; NULL for officers.
    owner_party_id TEXT,
    failing_since TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX webhooks_owner_party_idx ON webhooks (owner_party_id, id);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_seq BIGINT NOT NULL REFERENCES events (seq),
    -- 'pending', 'delivered' or 'failed'.
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_status_code INTEGER,
    last_error TEXT,
    last_latency_ms BIGINT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);

-- Every attempt to deliver, with what the receiver answered.
CREATE TABLE webhook_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    webhook_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status_code INTEGER,
    latency_ms BIGINT NOT NULL,
    error TEXT,
    attempted_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_attempts_webhook_idx ON webhook_attempts (webhook_id, id);

-- Idempotency keys: the stored response of a POST, replayed for a retry with the same key.
CREATE TABLE idempotency_keys (
    -- SHA-256 of the caller's API key: keys are scoped to it.
    scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    -- 'inFlight', 'committed' (the write committed, response not yet stored) or 'completed'.
    state TEXT NOT NULL,
    response_status INTEGER,
    response_headers TEXT,
    response_body TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
