//! Stored API keys: ids, roles and SHA-256 hashes of the secrets.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::api_keys;
use crate::domain::api_keys::ApiKey;
use crate::domain::codes::Role;
use crate::domain::ids::{ApiKeyId, PartyId};
use crate::domain::page::PageRequest;

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: String,
    pub name: String,
    pub role: String,
    pub party_id: Option<String>,
    pub secret_hash: String,
    pub hint: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiKeyRow {
    pub fn into_domain(self) -> QueryResult<ApiKey> {
        Ok(ApiKey {
            id: ApiKeyId::from_db(self.id),
            name: self.name,
            role: Role::from_db(&self.role).map_err(corrupt)?,
            party_id: self.party_id.map(PartyId::from_db),
            hint: self.hint,
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
        })
    }
}

/// A stored value this program could not have written.
pub(crate) fn corrupt(message: String) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(message.into())
}

pub fn insert(conn: &mut DbConnection, row: &ApiKeyRow) -> QueryResult<()> {
    diesel::insert_into(api_keys::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The key whose secret hashes to `hash`, revoked or not.
pub fn find_by_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<(ApiKey, String)>> {
    api_keys::table
        .filter(api_keys::secret_hash.eq(hash))
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()?
        .map(|row| {
            let stored = row.secret_hash.clone();
            row.into_domain().map(|key| (key, stored))
        })
        .transpose()
}

pub fn get(conn: &mut DbConnection, id: &ApiKeyId) -> QueryResult<Option<ApiKey>> {
    api_keys::table
        .find(id.as_str())
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()?
        .map(ApiKeyRow::into_domain)
        .transpose()
}

/// Keys in id (creation) order.
pub fn list(conn: &mut DbConnection, page: &PageRequest<()>) -> QueryResult<Vec<ApiKey>> {
    let mut query = api_keys::table.select(ApiKeyRow::as_select()).into_boxed();
    let query = crate::keyset!(query, page, api_keys::id);
    query
        .load(conn)?
        .into_iter()
        .map(ApiKeyRow::into_domain)
        .collect()
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    api_keys::table.count().get_result(conn)
}

/// Marks a key revoked at `at`; returns whether a key that was still unrevoked changed.
pub fn revoke(conn: &mut DbConnection, id: &ApiKeyId, at: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        api_keys::table
            .find(id.as_str())
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(at))
    .execute(conn)
    .map(|n| n > 0)
}
