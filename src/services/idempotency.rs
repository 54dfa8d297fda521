//! Idempotent POSTs (the `Idempotency-Key` header). A keyed request's answer is kept in the same
//! transaction as its write, under the caller's API key: a retry finds the whole answer (it is
//! replayed) or nothing (nothing was committed, and it runs). The key travels as a value from
//! the handler to here; no request state rides on the side.

use super::AppState;
use crate::api::reply::{IdempotencyKey, Reply, Shown};
use crate::domain::access::Caller;
use crate::error::AppError;
use crate::persistence::idempotency::{self as store, Kept};
use crate::persistence::{self, DbConnection};

/// How long answers are kept: at least this long, then purged.
pub const RETENTION: chrono::Duration = chrono::Duration::hours(24);

/// What a keyed write found.
enum Once<T> {
    /// The key was free: the work ran.
    Ran(T),
    /// The key was used before: its kept answer.
    Found(Kept),
}

/// Runs a POST's `work` in a write transaction and answers with `render` of its result. With an
/// `Idempotency-Key`, a request the caller's key already made is not run again: its kept answer
/// is replayed (a different request under the same key is a 422), and a new one keeps its answer
/// (`render` with [`Shown::Kept`], so never a secret) in the transaction of its write.
pub async fn write_once<T, W, R>(
    state: &AppState,
    caller: &Caller,
    key: Option<IdempotencyKey>,
    work: W,
    render: R,
) -> Result<Reply, AppError>
where
    T: Send + 'static,
    W: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    R: Fn(&T, Shown) -> Result<Reply, AppError> + Send + Sync + 'static,
{
    let Some(key) = key else {
        let value = state.db.write(work).await?;
        return render(&value, Shown::First);
    };
    // Every POST needs a key, so a keyed one has an owner; the check is for safety.
    let owner = caller.key_id().cloned().ok_or(AppError::Unauthorized)?;
    let render = std::sync::Arc::new(render);
    let keep = render.clone();
    let fingerprint = key.fingerprint.clone();
    let once = state
        .db
        .write(move |conn| {
            if !store::claim(conn, &owner, &key.key, &key.fingerprint, persistence::now())? {
                let kept = store::find(conn, &owner, &key.key)?;
                return kept.map(Once::Found).ok_or_else(in_flight);
            }
            let value = work(conn)?;
            let kept = keep(&value, Shown::Kept)?;
            let body = std::str::from_utf8(&kept.body)
                .map_err(|e| AppError::internal(format!("an answer is not UTF-8: {e}")))?;
            store::keep(
                conn,
                &owner,
                &key.key,
                i32::from(kept.status),
                kept.location.as_deref(),
                kept.etag.as_deref(),
                body,
            )?;
            Ok(Once::Ran(value))
        })
        .await?;
    match once {
        Once::Ran(value) => render(&value, Shown::First),
        Once::Found(kept) => replay(kept, &fingerprint),
    }
}

/// A key whose first request has not finished (it cannot happen with the claim in the write's
/// transaction, but a record without its answer must never be replayed as one).
fn in_flight() -> AppError {
    AppError::conflict(
        "idempotencyInFlight",
        "A request with this Idempotency-Key is still being processed; retry shortly.",
    )
}

/// The kept answer for a retry with the same request; a 422 for another request.
fn replay(kept: Kept, fingerprint: &str) -> Result<Reply, AppError> {
    if kept.request_hash != fingerprint {
        return Err(AppError::invalid_field(
            "/",
            "this Idempotency-Key was used for a different request; use a new key",
        ));
    }
    if kept.status == 0 {
        return Err(in_flight());
    }
    Ok(Reply {
        status: u16::try_from(kept.status).unwrap_or(200),
        location: kept.location,
        etag: kept.etag,
        body: kept.body.into_bytes(),
        replayed: true,
    })
}

/// Forgets answers older than the retention period.
pub async fn purge(state: &AppState) -> Result<usize, AppError> {
    let before = persistence::now() - RETENTION;
    state
        .db
        .run(move |conn| store::purge(conn, before).map_err(AppError::from))
        .await
}
