//! Stored webhook subscriptions, their pending deliveries and every delivery attempt.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{webhook_attempts, webhook_deliveries, webhooks};
use super::{DbConnection, MultiBackend};
use crate::domain::ids::{ApiKeyId, AttemptId, DeliveryId, PartyId, WebhookId};
use crate::domain::page::PageRequest;
use crate::domain::webhooks::{DeliveryAttempt, Webhook, WebhookData};
use crate::persistence::api_keys::corrupt;

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = webhooks, treat_none_as_null = true)]
struct WebhookRow {
    id: String,
    url: String,
    event_types: String,
    active: i32,
    secret: String,
    owner_key_id: String,
    owner_party_id: Option<String>,
    failing_since: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

impl WebhookRow {
    fn from_domain(w: &Webhook) -> Self {
        WebhookRow {
            id: w.id.to_string(),
            url: w.data.url.clone(),
            event_types: serde_json::to_string(&w.data.event_types).unwrap_or_else(|_| "[]".into()),
            active: i32::from(w.data.active),
            secret: w.data.secret.clone(),
            owner_key_id: w.data.owner_key_id.to_string(),
            owner_party_id: w.data.owner_party_id.as_ref().map(|p| p.to_string()),
            failing_since: w.data.failing_since,
            created_at: w.created_at,
            updated_at: w.updated_at,
            version: w.version,
        }
    }

    fn into_domain(self) -> QueryResult<Webhook> {
        Ok(Webhook {
            id: WebhookId::from_db(self.id),
            data: WebhookData {
                url: self.url,
                event_types: serde_json::from_str(&self.event_types)
                    .map_err(|e| corrupt(e.to_string()))?,
                active: self.active != 0,
                secret: self.secret,
                owner_key_id: ApiKeyId::from_db(self.owner_key_id),
                owner_party_id: self.owner_party_id.map(PartyId::from_db),
                failing_since: self.failing_since,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

fn owned_by(party: Option<&PartyId>) -> webhooks::BoxedQuery<'static, MultiBackend> {
    let mut query = webhooks::table.into_boxed();
    if let Some(party) = party {
        query = query.filter(webhooks::owner_party_id.eq(party.to_string()));
    }
    query
}

pub fn insert(conn: &mut DbConnection, webhook: &Webhook) -> QueryResult<()> {
    diesel::insert_into(webhooks::table)
        .values(WebhookRow::from_domain(webhook))
        .execute(conn)
        .map(drop)
}

/// Writes `webhook` over the stored row if that row is still at `previous_version`.
pub fn update(
    conn: &mut DbConnection,
    webhook: &Webhook,
    previous_version: i32,
) -> QueryResult<bool> {
    diesel::update(
        webhooks::table
            .find(webhook.id.as_str())
            .filter(webhooks::version.eq(previous_version)),
    )
    .set(WebhookRow::from_domain(webhook))
    .execute(conn)
    .map(|n| n > 0)
}

pub fn get(conn: &mut DbConnection, id: &WebhookId) -> QueryResult<Option<Webhook>> {
    webhooks::table
        .find(id.as_str())
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()?
        .map(WebhookRow::into_domain)
        .transpose()
}

/// Subscriptions in creation order; an investor's party sees only its own.
pub fn list(
    conn: &mut DbConnection,
    party: Option<&PartyId>,
    page: &PageRequest<()>,
) -> QueryResult<Vec<Webhook>> {
    let mut query = owned_by(party);
    let query = crate::keyset!(query, page, webhooks::id);
    query
        .select(WebhookRow::as_select())
        .load(conn)?
        .into_iter()
        .map(WebhookRow::into_domain)
        .collect()
}

pub fn count(conn: &mut DbConnection, party: Option<&PartyId>) -> QueryResult<i64> {
    owned_by(party).count().get_result(conn)
}

/// Every active subscription, for fanning an event out.
pub fn active(conn: &mut DbConnection) -> QueryResult<Vec<Webhook>> {
    webhooks::table
        .filter(webhooks::active.eq(1))
        .select(WebhookRow::as_select())
        .load(conn)?
        .into_iter()
        .map(WebhookRow::into_domain)
        .collect()
}

pub fn delete(conn: &mut DbConnection, id: &WebhookId) -> QueryResult<bool> {
    diesel::delete(webhooks::table.find(id.as_str()))
        .execute(conn)
        .map(|n| n > 0)
}

/// Queues one event for one subscription.
pub fn enqueue(
    conn: &mut DbConnection,
    webhook: &WebhookId,
    event_seq: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::id.eq(DeliveryId::generate().to_string()),
            webhook_deliveries::webhook_id.eq(webhook.as_str()),
            webhook_deliveries::event_seq.eq(event_seq),
            webhook_deliveries::status.eq("pending"),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(now),
            webhook_deliveries::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// A delivery claimed by this instance, with what it needs to send.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery_id: String,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub created_at: NaiveDateTime,
    pub webhook: Webhook,
    pub event_seq: i64,
}

/// Claims up to `limit` due deliveries by pushing their next attempt past `lease_until`, so no
/// other instance takes them meanwhile. PostgreSQL skips rows other instances hold locked.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    let due = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .order(webhook_deliveries::next_attempt_at.asc())
        .limit(limit)
        .select((
            webhook_deliveries::id,
            webhook_deliveries::attempts,
            webhook_deliveries::created_at,
            webhook_deliveries::webhook_id,
            webhook_deliveries::event_seq,
        ));
    let rows: Vec<(String, i32, NaiveDateTime, String, i64)> = match conn {
        DbConnection::Postgres(pg) => due.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(sqlite) => due.load(sqlite)?,
    };
    let mut claimed = Vec::with_capacity(rows.len());
    for (id, attempts, created_at, webhook_id, event_seq) in rows {
        diesel::update(webhook_deliveries::table.find(&id))
            .set((
                webhook_deliveries::next_attempt_at.eq(lease_until),
                webhook_deliveries::attempts.eq(attempts + 1),
            ))
            .execute(conn)?;
        let Some(webhook) = get(conn, &WebhookId::from_db(webhook_id))? else {
            continue;
        };
        claimed.push(Claimed {
            delivery_id: id,
            attempt: attempts + 1,
            created_at,
            webhook,
            event_seq,
        });
    }
    Ok(claimed)
}

/// What one attempt found.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub at: NaiveDateTime,
}

/// How a delivery goes on after an attempt.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Delivered,
    RetryAt(NaiveDateTime),
    /// Retries exhausted; the subscription is flagged failing.
    GaveUp,
}

/// Logs an attempt and moves the delivery on.
pub fn record(
    conn: &mut DbConnection,
    claimed: &Claimed,
    event: (&str, &str),
    attempt: &Attempt,
    outcome: Outcome,
) -> QueryResult<()> {
    diesel::insert_into(webhook_attempts::table)
        .values((
            webhook_attempts::id.eq(AttemptId::generate().to_string()),
            webhook_attempts::delivery_id.eq(&claimed.delivery_id),
            webhook_attempts::webhook_id.eq(claimed.webhook.id.as_str()),
            webhook_attempts::event_id.eq(event.0),
            webhook_attempts::event_type.eq(event.1),
            webhook_attempts::attempt.eq(claimed.attempt),
            webhook_attempts::status_code.eq(attempt.status_code),
            webhook_attempts::latency_ms.eq(attempt.latency_ms),
            webhook_attempts::error.eq(&attempt.error),
            webhook_attempts::attempted_at.eq(attempt.at),
        ))
        .execute(conn)?;
    let delivery = webhook_deliveries::table.find(&claimed.delivery_id);
    let last = (
        webhook_deliveries::last_status_code.eq(attempt.status_code),
        webhook_deliveries::last_error.eq(&attempt.error),
        webhook_deliveries::last_latency_ms.eq(attempt.latency_ms),
    );
    match outcome {
        Outcome::Delivered => {
            diesel::update(delivery)
                .set((
                    last,
                    webhook_deliveries::status.eq("delivered"),
                    webhook_deliveries::delivered_at.eq(attempt.at),
                ))
                .execute(conn)?;
            diesel::update(webhooks::table.find(claimed.webhook.id.as_str()))
                .set(webhooks::failing_since.eq(None::<NaiveDateTime>))
                .execute(conn)?;
        }
        Outcome::RetryAt(at) => {
            diesel::update(delivery)
                .set((last, webhook_deliveries::next_attempt_at.eq(at)))
                .execute(conn)?;
        }
        Outcome::GaveUp => {
            diesel::update(delivery)
                .set((last, webhook_deliveries::status.eq("failed")))
                .execute(conn)?;
            diesel::update(
                webhooks::table
                    .find(claimed.webhook.id.as_str())
                    .filter(webhooks::failing_since.is_null()),
            )
            .set(webhooks::failing_since.eq(attempt.at))
            .execute(conn)?;
        }
    }
    Ok(())
}

/// One logged attempt, as stored.
#[derive(Debug, Clone, Queryable)]
struct AttemptRow {
    id: String,
    delivery_id: String,
    event_id: String,
    event_type: String,
    attempt: i32,
    status_code: Option<i32>,
    latency_ms: i64,
    error: Option<String>,
    attempted_at: NaiveDateTime,
}

impl From<AttemptRow> for DeliveryAttempt {
    fn from(a: AttemptRow) -> Self {
        DeliveryAttempt {
            id: a.id,
            delivery_id: a.delivery_id,
            event_id: a.event_id,
            event_type: a.event_type,
            attempt: a.attempt,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error,
            attempted_at: a.attempted_at,
        }
    }
}

/// A subscription's attempts, newest first.
pub fn attempts(
    conn: &mut DbConnection,
    webhook: &WebhookId,
    page: &PageRequest<()>,
) -> QueryResult<Vec<DeliveryAttempt>> {
    let mut query = webhook_attempts::table
        .filter(webhook_attempts::webhook_id.eq(webhook.as_str()))
        .into_boxed();
    let query = crate::keyset!(query, page, webhook_attempts::id);
    query
        .select((
            webhook_attempts::id,
            webhook_attempts::delivery_id,
            webhook_attempts::event_id,
            webhook_attempts::event_type,
            webhook_attempts::attempt,
            webhook_attempts::status_code,
            webhook_attempts::latency_ms,
            webhook_attempts::error,
            webhook_attempts::attempted_at,
        ))
        .load::<AttemptRow>(conn)
        .map(|rows| rows.into_iter().map(DeliveryAttempt::from).collect())
}

/// Deliveries waiting to be sent, for metrics.
pub fn backlog(conn: &mut DbConnection) -> QueryResult<i64> {
    webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("pending"))
        .count()
        .get_result(conn)
}
