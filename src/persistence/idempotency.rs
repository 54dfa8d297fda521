//! Idempotency records: the answer to a keyed POST, written in the same transaction as the
//! POST's write, so a retry finds either nothing (nothing was committed) or the whole answer.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::idempotency_records as records;
use crate::domain::ids::ApiKeyId;

/// An answer kept for replay.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Kept {
    pub request_hash: String,
    pub status: i32,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: String,
}

/// The answer kept under `key` for the API key `owner`, if any.
pub fn find(conn: &mut DbConnection, owner: &ApiKeyId, key: &str) -> QueryResult<Option<Kept>> {
    records::table
        .find((owner.as_str(), key))
        .select((
            records::request_hash,
            records::response_status,
            records::response_location,
            records::response_etag,
            records::response_body,
        ))
        .first(conn)
        .optional()
}

/// Claims `key` for `owner` inside the caller's write transaction; false when it is taken.
///
/// On PostgreSQL an insert of the same key by a transaction still in progress makes this one
/// wait for it to end (the primary key's index), so two requests with one key never both write:
/// the second finds the first's answer, or the key free again if the first rolled back.
pub fn claim(
    conn: &mut DbConnection,
    owner: &ApiKeyId,
    key: &str,
    request_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let row = (
        records::api_key_id.eq(owner.as_str()),
        records::idempotency_key.eq(key),
        records::request_hash.eq(request_hash),
        records::response_status.eq(0),
        records::response_body.eq(""),
        records::created_at.eq(now),
    );
    let inserted = match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(records::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConnection::Postgres(c) => diesel::insert_into(records::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(inserted == 1)
}

/// Keeps the answer of a claimed key, in the same transaction as the claim.
pub fn keep(
    conn: &mut DbConnection,
    owner: &ApiKeyId,
    key: &str,
    status: i32,
    location: Option<&str>,
    etag: Option<&str>,
    body: &str,
) -> QueryResult<()> {
    diesel::update(records::table.find((owner.as_str(), key)))
        .set((
            records::response_status.eq(status),
            records::response_location.eq(location),
            records::response_etag.eq(etag),
            records::response_body.eq(body),
        ))
        .execute(conn)
        .map(drop)
}

/// Forgets answers kept since before `before`.
pub fn purge(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(records::table.filter(records::created_at.lt(before))).execute(conn)
}
