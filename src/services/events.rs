//! Recording domain events (the outbox, with webhook fan-out) and reading the feed.

use super::AppState;
use crate::domain::access::Caller;
use crate::domain::events::{Audience, Event, NewEvent};
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

/// Events after `after` in commit order, as the caller may see them.
pub async fn feed(
    state: &AppState,
    caller: &Caller,
    after: i64,
    types: Vec<String>,
    limit: i64,
) -> Result<Vec<Event>, AppError> {
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
    state
        .db
        .run(move |conn| Ok(events::list(conn, after, &types, viewer.as_ref(), limit)?))
        .await
}
