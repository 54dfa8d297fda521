//! Stored idempotency keys. The write a keyed request makes marks its key `committed` in the
//! same transaction (see [`super::write_transaction`]), so a crash between the write and storing
//! the response can never let a retry write twice.

use std::cell::RefCell;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::idempotency_keys;

/// The key a request is being served under: (scope, key).
pub type Claim = (String, String);

tokio::task_local! {
    /// Set by the HTTP layer around a keyed POST.
    pub static REQUEST_CLAIM: Claim;
}

thread_local! {
    /// The claim of the request this blocking thread is working for.
    static THREAD_CLAIM: RefCell<Option<Claim>> = const { RefCell::new(None) };
}

/// The claim of the current task, if any (read on the async side).
pub fn current_claim() -> Option<Claim> {
    REQUEST_CLAIM.try_with(Clone::clone).ok()
}

/// Runs `work` with `claim` visible to [`mark_committed`] on this thread.
pub fn with_claim<T>(claim: Option<Claim>, work: impl FnOnce() -> T) -> T {
    THREAD_CLAIM.with(|c| *c.borrow_mut() = claim);
    let result = work();
    THREAD_CLAIM.with(|c| *c.borrow_mut() = None);
    result
}

/// Marks the current claim's key committed, inside the caller's write transaction.
pub fn mark_committed(conn: &mut DbConnection) -> QueryResult<()> {
    let Some((scope, key)) = THREAD_CLAIM.with(|c| c.borrow().clone()) else {
        return Ok(());
    };
    diesel::update(
        idempotency_keys::table
            .find((&scope, &key))
            .filter(idempotency_keys::state.eq("inFlight")),
    )
    .set(idempotency_keys::state.eq("committed"))
    .execute(conn)
    .map(drop)
}

/// A stored key.
#[derive(Debug, Clone, Queryable)]
pub struct StoredKey {
    pub request_hash: String,
    pub state: String,
    pub response_status: Option<i32>,
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
}

/// Claims a key for a request; `Ok(None)` when it is new, else what is stored under it.
pub fn claim(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<StoredKey>> {
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::scope.eq(scope),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::request_hash.eq(hash),
            idempotency_keys::state.eq("inFlight"),
            idempotency_keys::created_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(None),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => idempotency_keys::table
            .find((scope, key))
            .select((
                idempotency_keys::request_hash,
                idempotency_keys::state,
                idempotency_keys::response_status,
                idempotency_keys::response_headers,
                idempotency_keys::response_body,
            ))
            .first(conn)
            .optional(),
        Err(e) => Err(e),
    }
}

/// Stores the response to replay.
pub fn complete(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    status: i32,
    headers: &str,
    body: &str,
) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((scope, key)))
        .set((
            idempotency_keys::state.eq("completed"),
            idempotency_keys::response_status.eq(status),
            idempotency_keys::response_headers.eq(headers),
            idempotency_keys::response_body.eq(body),
        ))
        .execute(conn)
        .map(drop)
}

/// Releases a key whose request wrote nothing (it failed before its write committed), so the
/// client may retry it; returns false when the write had committed.
pub fn release(conn: &mut DbConnection, scope: &str, key: &str) -> QueryResult<bool> {
    diesel::delete(
        idempotency_keys::table
            .find((scope, key))
            .filter(idempotency_keys::state.eq("inFlight")),
    )
    .execute(conn)
    .map(|n| n > 0)
}

/// Forgets keys created before `before`.
pub fn purge(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before)))
        .execute(conn)
}
