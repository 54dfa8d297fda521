//! Recording domain events (the outbox, with webhook fan-out) and reading the feed.

use super::AppState;
use crate::api::events::EventQuery;
use crate::api::pagination::{CursorId, ListRequest, limit};
use crate::domain::access::Caller;
use crate::domain::events::{Audience, Event, NewEvent};
use crate::domain::page::Position;
use crate::error::AppError;
use crate::persistence::{DbConnection, events, webhooks};

/// Records a change inside its transaction, and queues it for every subscription that wants it
/// and may see it. Call last in the transaction (see [`events::append`]).
pub fn record(conn: &mut DbConnection, event: NewEvent) -> Result<(), AppError> {
    let (seq, _) = events::append(conn, &event)?;
    for webhook in webhooks::active(conn)? {
        if webhook.data.wants(event.kind)
            && event.audience.admits(webhook.data.owner_party_id.as_ref())
        {
            webhooks::enqueue(conn, &webhook.id, seq, event.occurred_at)?;
        }
    }
    Ok(())
}

/// Builds an event about `subject` now.
pub fn event(
    kind: &'static str,
    subject: impl ToString,
    audience: Audience,
    data: serde_json::Value,
) -> NewEvent {
    NewEvent {
        kind,
        subject_id: subject.to_string(),
        audience,
        data,
        occurred_at: crate::persistence::now(),
    }
}

/// Events after the request's cursor in commit order, as the caller may see them, and the cursor
/// to read on from (always present: where this page ended, or where it started when empty).
pub async fn feed(
    state: &AppState,
    caller: &Caller,
    request: ListRequest<EventQuery>,
) -> Result<(Vec<Event>, String), AppError> {
    caller.require_key()?;
    let viewer = if caller.is_staff() {
        None
    } else {
        Some(
            caller
                .investor_party()
                .cloned()
                .ok_or(AppError::Forbidden("This key may not read events.".into()))?,
        )
    };
    let query = &request.query;
    let types = query.types()?;
    let limit = limit(query.limit)?;
    let scope = query.scope(&request.path);
    let after = match &query.after {
        None => 0,
        Some(cursor) => state
            .cursors
            .decode(&scope, cursor, CursorId::None)?
            .key
            .parse::<i64>()
            .map_err(|_| AppError::bad_request("The cursor is invalid; start again without it."))?,
    };
    let events = state
        .db
        .run(move |conn| {
            events::list(conn, after, &types, viewer.as_ref(), limit).map_err(AppError::from)
        })
        .await?;
    let last = events.last().map_or(after, |e| e.seq);
    let next = state.cursors.encode(
        &scope,
        &Position {
            key: last.to_string(),
            id: String::new(),
        },
    );
    Ok((events, next))
}
