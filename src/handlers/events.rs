//! The event feed: every change the caller may see, in commit order.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::extract::Query;
use super::pagination::limit;
use super::utc;
use crate::domain::events::{Event, is_event_type};
use crate::domain::page::Position;
use crate::error::{AppError, FieldError};
use crate::services::{self, AppState};

/// One change.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventResponse {
    #[schema(example = "evt_01jd8x3v5ffd2b6jq4w5k9h8zq")]
    pub id: String,
    /// See `GET /v1/codelists/eventType`.
    #[serde(rename = "type")]
    #[schema(example = "interest.stageChanged")]
    pub kind: String,
    /// The id of the resource that changed.
    pub subject_id: String,
    /// What changed; fetch the resource for the rest.
    pub data: serde_json::Value,
    #[serde(serialize_with = "crate::handlers::rfc3339")]
    pub occurred_at: DateTime<Utc>,
}

impl From<&Event> for EventResponse {
    fn from(e: &Event) -> Self {
        EventResponse {
            id: e.id.to_string(),
            kind: e.kind.clone(),
            subject_id: e.subject_id.clone(),
            data: e.data.clone(),
            occurred_at: utc(e.occurred_at),
        }
    }
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    pub items: Vec<EventResponse>,
    /// Always present: pass it as `after` to continue, now or later (when the page is empty,
    /// it is the position you asked from).
    pub next_cursor: String,
}

/// Where to read the feed from.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// The `nextCursor` of the previous page; absent: from the beginning.
    pub after: Option<String>,
    /// Only these event types (repeatable).
    #[serde(default, rename = "type")]
    #[param(rename = "type")]
    pub types: Vec<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// Read the event feed in commit order (officers: everything; investors: public events and
/// their own party's). The cursor never skips an event, even with concurrent writers.
#[utoipa::path(
    tag = "events",
    params(EventQuery),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "Events after the cursor", body = EventPage))
)]
#[get("")]
pub async fn list_events(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    query: Query<EventQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_key()?;
    let q = query.0;
    let bad: Vec<FieldError> = q
        .types
        .iter()
        .filter(|t| !is_event_type(t))
        .map(|t| FieldError::new("type", format!("{t:?} is not an event type")))
        .collect();
    if !bad.is_empty() {
        return Err(AppError::BadRequest {
            detail: "Unknown event type; see /v1/codelists/eventType.".into(),
            errors: bad,
        });
    }
    let limit = limit(q.limit)?;
    // A cursor belongs to the feed with these type filters, whatever their order.
    let mut types = q.types.clone();
    types.sort();
    let scope = format!("{}&type={}", request.path(), types.join(","));
    let after = match &q.after {
        None => 0,
        Some(cursor) => state
            .cursors
            .decode(&scope, cursor)?
            .key
            .parse::<i64>()
            .map_err(|_| AppError::bad_request("The cursor is invalid; start again without it."))?,
    };
    let events = services::events::feed(&state, &caller, after, q.types, limit).await?;
    let last = events.last().map_or(after, |e| e.seq);
    let next_cursor = state.cursors.encode(
        &scope,
        &Position {
            key: last.to_string(),
            id: String::new(),
        },
    );
    Ok(HttpResponse::Ok().json(EventPage {
        items: events.iter().map(EventResponse::from).collect(),
        next_cursor,
    }))
}
