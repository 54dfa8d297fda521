-- Idempotency records: one per (API key, Idempotency-Key), written in the same transaction as
-- the request's write and holding the answer a retry replays, without any secret. They replace
-- idempotency_keys, whose stored answers could hold the secret a request created (an API key, a
-- webhook's signing secret) and whose in-flight claims outlived a process that died.
DROP TABLE idempotency_keys;

CREATE TABLE idempotency_records (
    api_key_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    -- SHA-256 of the method, path, query, content type and body the key was first used with.
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_location TEXT,
    response_etag TEXT,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (api_key_id, idempotency_key)
);

CREATE INDEX idempotency_records_created_idx ON idempotency_records (created_at);
