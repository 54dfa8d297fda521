//! The event outbox: appended in the same transaction as each change, read in commit order.

use diesel::prelude::*;

use super::schema::{event_parties, events};
use super::{DbConnection, MultiBackend};
use crate::domain::events::{Audience, Event, NewEvent};
use crate::domain::ids::{EventId, PartyId};
use crate::persistence::api_keys::corrupt;

/// An arbitrary constant naming the lock that orders event commits on PostgreSQL.
const EVENT_ORDER_LOCK: i64 = 0x1d_e5_0e_7e;

/// Appends an event and returns its sequence number.
///
/// On PostgreSQL the transaction first takes an advisory lock held until it commits, so
/// sequence numbers are handed out in commit order and a reader that has seen event N can never
/// later find an event below N appear: the feed's cursor never skips. (SQLite's writers are
/// serialised by `BEGIN IMMEDIATE` already.) Callers append events last in their transaction
/// to keep the lock short.
pub fn append(conn: &mut DbConnection, event: &NewEvent) -> QueryResult<(i64, EventId)> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({EVENT_ORDER_LOCK})"))
            .execute(pg)?;
    }
    let id = EventId::generate();
    let seq: i64 = diesel::insert_into(events::table)
        .values((
            events::id.eq(id.as_str()),
            events::kind.eq(event.kind),
            events::subject_id.eq(&event.subject_id),
            events::audience.eq(event.audience.as_str()),
            events::data.eq(event.data.to_string()),
            events::occurred_at.eq(event.occurred_at),
        ))
        .returning(events::seq)
        .get_result(conn)?;
    if let Audience::Parties(parties) = &event.audience {
        for party in parties {
            diesel::insert_into(event_parties::table)
                .values((
                    event_parties::event_seq.eq(seq),
                    event_parties::party_id.eq(party.as_str()),
                ))
                .execute(conn)?;
        }
    }
    Ok((seq, id))
}

type EventRow = (i64, String, String, String, String, chrono::NaiveDateTime);

fn into_event(row: EventRow) -> QueryResult<Event> {
    let (seq, id, kind, subject_id, data, occurred_at) = row;
    Ok(Event {
        seq,
        id: EventId::from_db(id),
        kind,
        subject_id,
        data: serde_json::from_str(&data).map_err(|e| corrupt(e.to_string()))?,
        occurred_at,
    })
}

fn columns() -> (
    events::seq,
    events::id,
    events::kind,
    events::subject_id,
    events::data,
    events::occurred_at,
) {
    (
        events::seq,
        events::id,
        events::kind,
        events::subject_id,
        events::data,
        events::occurred_at,
    )
}

/// Events after `after` in commit order, as `viewer` may see them (`None`: officers, all).
pub fn list(
    conn: &mut DbConnection,
    after: i64,
    types: &[String],
    viewer: Option<&PartyId>,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    let mut query: events::BoxedQuery<'static, MultiBackend> = events::table.into_boxed();
    query = query.filter(events::seq.gt(after));
    if !types.is_empty() {
        query = query.filter(events::kind.eq_any(types.to_vec()));
    }
    if let Some(party) = viewer {
        let own = event_parties::table
            .filter(event_parties::party_id.eq(party.to_string()))
            .select(event_parties::event_seq);
        query = query.filter(
            events::audience
                .eq("public")
                .or(events::audience.eq("parties").and(events::seq.eq_any(own))),
        );
    }
    query
        .order(events::seq.asc())
        .limit(limit)
        .select(columns())
        .load::<EventRow>(conn)?
        .into_iter()
        .map(into_event)
        .collect()
}

/// One event by sequence number.
pub fn get(conn: &mut DbConnection, seq: i64) -> QueryResult<Option<Event>> {
    events::table
        .find(seq)
        .select(columns())
        .first::<EventRow>(conn)
        .optional()?
        .map(into_event)
        .transpose()
}

/// Appends many events at once (bulk loads), in the given order.
pub fn append_many(conn: &mut DbConnection, items: &[NewEvent]) -> QueryResult<()> {
    let rows: Vec<_> = items
        .iter()
        .map(|e| {
            (
                events::id.eq(EventId::generate().to_string()),
                events::kind.eq(e.kind),
                events::subject_id.eq(e.subject_id.clone()),
                events::audience.eq(e.audience.as_str()),
                events::data.eq(e.data.to_string()),
                events::occurred_at.eq(e.occurred_at),
            )
        })
        .collect();
    for chunk in rows.chunks(1000) {
        crate::insert_batch!(conn, events::table, chunk)?;
    }
    Ok(())
}
