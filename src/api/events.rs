//! The event feed as the API shows it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::event_data::TypedEvent;
use super::utc;
use crate::domain::events::{Event, is_event_type};
use crate::error::{AppError, FieldError};

/// One change (its schema, a union over the event types, is [`TypedEvent`]).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventResponse {
    pub id: String,
    /// See `GET /v1/codelists/eventType`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The id of the resource that changed.
    pub subject_id: String,
    /// What changed; fetch the resource for the rest.
    pub data: serde_json::Value,
    #[serde(serialize_with = "crate::api::rfc3339")]
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

impl EventResponse {
    /// The event as `viewer` may see it: its payload's restricted fields removed.
    pub fn for_viewer(e: &Event, viewer: crate::domain::audience::Audience) -> Self {
        let mut response = EventResponse::from(e);
        if let Some(schema) = super::event_data::payload_schema(&e.kind) {
            super::audience::redact(&schema, &mut response.data, viewer);
        }
        response
    }
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    #[schema(value_type = Vec<TypedEvent>, max_items = 100)]
    pub items: Vec<EventResponse>,
    /// Always present: pass it as `after` to continue, now or later (when the page is empty,
    /// it is the position you asked from).
    #[schema(value_type = crate::api::pagination::Cursor)]
    pub next_cursor: String,
}

/// Where to read the feed from.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// The `nextCursor` of the previous page; absent: from the beginning.
    #[param(value_type = Option<crate::api::pagination::Cursor>)]
    pub after: Option<String>,
    /// Only these event types (repeatable).
    #[serde(default, rename = "type")]
    #[param(rename = "type", value_type = Option<Vec<EventType>>)]
    pub types: Vec<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

impl EventQuery {
    /// The event types asked for, each known, or a 400 naming the others.
    pub fn types(&self) -> Result<Vec<String>, AppError> {
        let bad: Vec<FieldError> = self
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
        Ok(self.types.clone())
    }

    /// The scope of the feed's cursors: the feed with these type filters, in any order.
    pub fn scope(&self, path: &str) -> String {
        let mut types = self.types.clone();
        types.sort();
        format!("{path}&type={}", types.join(","))
    }
}

/// An event type the service emits (`GET /v1/codelists/eventType` has their titles).
pub struct EventType;

impl utoipa::PartialSchema for EventType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An event type the service emits."))
            .enum_values(Some(
                crate::domain::events::EVENT_TYPES
                    .iter()
                    .map(|(kind, _)| *kind),
            ))
            .into()
    }
}

impl utoipa::ToSchema for EventType {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("EventType")
    }
}
