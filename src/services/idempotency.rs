//! Idempotent retries of POST requests (the `Idempotency-Key` header).

use super::AppState;
use crate::error::AppError;
use crate::persistence::{self, idempotency as store};

/// How long keys are kept: at least this long, then purged.
pub const RETENTION: chrono::Duration = chrono::Duration::hours(24);

/// What to do with a keyed request.
#[derive(Debug)]
pub enum Begin {
    /// A new key: serve the request.
    Proceed,
    /// The same request was answered before: replay this (status, headers JSON, body).
    Replay(u16, String, String),
    /// The same key is being served right now.
    InFlight,
    /// The key was used for a different request.
    Mismatch,
}

pub async fn begin(
    state: &AppState,
    scope: String,
    key: String,
    hash: String,
) -> Result<Begin, AppError> {
    state
        .db
        .run(move |conn| {
            let Some(stored) = store::claim(conn, &scope, &key, &hash, persistence::now())? else {
                return Ok(Begin::Proceed);
            };
            if stored.request_hash != hash {
                return Ok(Begin::Mismatch);
            }
            Ok(match (stored.state.as_str(), stored.response_status) {
                ("completed", Some(status)) => Begin::Replay(
                    u16::try_from(status).unwrap_or(200),
                    stored.response_headers.unwrap_or_default(),
                    stored.response_body.unwrap_or_default(),
                ),
                _ => Begin::InFlight,
            })
        })
        .await
}

/// Stores the response of a keyed request for replay.
pub async fn complete(
    state: &AppState,
    scope: String,
    key: String,
    status: u16,
    headers: String,
    body: String,
) -> Result<(), AppError> {
    state
        .db
        .run(move |conn| {
            Ok(store::complete(
                conn,
                &scope,
                &key,
                i32::from(status),
                &headers,
                &body,
            )?)
        })
        .await
}

/// Frees a key whose request failed before writing; if its write had committed, stores the
/// response instead (so a retry replays it rather than writing again).
pub async fn release_or_complete(
    state: &AppState,
    scope: String,
    key: String,
    status: u16,
    headers: String,
    body: String,
) -> Result<(), AppError> {
    state
        .db
        .run(move |conn| {
            if !store::release(conn, &scope, &key)? {
                store::complete(conn, &scope, &key, i32::from(status), &headers, &body)?;
            }
            Ok(())
        })
        .await
}

/// Forgets keys older than the retention period.
pub async fn purge(state: &AppState) -> Result<usize, AppError> {
    let before = persistence::now() - RETENTION;
    state
        .db
        .run(move |conn| Ok(store::purge(conn, before)?))
        .await
}
