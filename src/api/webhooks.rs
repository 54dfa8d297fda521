//! Webhook subscriptions as the API shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::api_keys::WITHHELD;
use super::pagination::{CursorId, ListShape};
use super::parse::Problems;
use super::reply::Shown;
use super::utc;
use crate::domain::ids::{AttemptId, WebhookId};
use crate::domain::webhooks::{DeliveryAttempt, Webhook, WebhookRequest};
use crate::error::AppError;

/// A subscription's writable fields (create, or the target of a merge patch).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebhookInput {
    /// Where to POST events: https, on a public address.
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        format = "uri",
        max_length = 2000,
        example = "https://erp.example.az/investdesk/events"
    )]
    pub url: String,
    /// Event types to deliver (see `GET /v1/codelists/eventType`); empty means all.
    #[validate(length(max = 50))]
    #[schema(value_type = Vec<super::events::EventType>, max_items = 50, example = json!(["interest.stageChanged"]))]
    #[serde(default)]
    pub event_types: Vec<String>,
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

impl WebhookInput {
    pub fn parse(self) -> Result<WebhookRequest, AppError> {
        Problems::from_validation(self.validate()).finish(|| {
            Some(WebhookRequest {
                url: self.url,
                event_types: self.event_types,
                active: self.active,
            })
        })
    }
}

/// A subscription (its secret only when just created or rotated).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResponse {
    #[schema(value_type = WebhookId)]
    pub id: String,
    #[serde(flatten)]
    pub fields: WebhookInput,
    /// Set when deliveries failed for a whole day; cleared by a success or by reactivating.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::api::rfc3339_optional"
    )]
    pub failing_since: Option<DateTime<Utc>>,
    /// The signing secret (`whsec_…`), only in the first answer to the request that created or
    /// rotated it: a retry with the same `Idempotency-Key` gets the subscription without it
    /// (`secretWithheld` says why), because no secret is ever kept for replays.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 128)]
    pub secret: Option<String>,
    /// In a replayed answer (`Idempotent-Replayed: true`) to a creation or rotation, in place of
    /// `secret`: why it is not shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 256)]
    pub secret_withheld: Option<String>,
    #[serde(serialize_with = "crate::api::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::api::rfc3339")]
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl WebhookResponse {
    /// A subscription, without its secret.
    pub fn of(webhook: &Webhook) -> Self {
        Self::showing(webhook, None)
    }

    /// The answer to a request that created or rotated the secret: with it the first time,
    /// without it in the answer kept for retries.
    pub fn with_secret(webhook: &Webhook, shown: Shown) -> Self {
        Self::showing(webhook, Some(shown))
    }

    fn showing(webhook: &Webhook, secret: Option<Shown>) -> Self {
        WebhookResponse {
            id: webhook.id.to_string(),
            fields: WebhookInput {
                url: webhook.data.url.clone(),
                event_types: webhook.data.event_types.clone(),
                active: webhook.data.active,
            },
            failing_since: webhook.data.failing_since.map(utc),
            secret: (secret == Some(Shown::First)).then(|| webhook.data.secret.clone()),
            secret_withheld: (secret == Some(Shown::Kept)).then(|| WITHHELD.to_owned()),
            created_at: utc(webhook.created_at),
            updated_at: utc(webhook.updated_at),
            version: webhook.version,
        }
    }
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttemptResponse {
    #[schema(value_type = crate::domain::ids::AttemptId)]
    pub id: String,
    #[schema(value_type = crate::domain::ids::DeliveryId)]
    pub delivery_id: String,
    #[schema(value_type = crate::domain::ids::EventId)]
    pub event_id: String,
    #[schema(value_type = super::events::EventType)]
    pub event_type: String,
    /// 1 for the first attempt.
    pub attempt: i32,
    /// The receiver's HTTP status, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1024)]
    pub error: Option<String>,
    #[serde(serialize_with = "crate::api::rfc3339")]
    pub attempted_at: DateTime<Utc>,
}

impl From<&DeliveryAttempt> for DeliveryAttemptResponse {
    fn from(a: &DeliveryAttempt) -> Self {
        DeliveryAttemptResponse {
            id: a.id.clone(),
            delivery_id: a.delivery_id.clone(),
            event_id: a.event_id.clone(),
            event_type: a.event_type.clone(),
            attempt: a.attempt,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error.clone(),
            attempted_at: utc(a.attempted_at),
        }
    }
}

crate::page_type!(
    /// A page of subscriptions.
    WebhookPage, WebhookResponse);
crate::page_type!(
    /// A page of delivery attempts, newest first.
    DeliveryAttemptPage, DeliveryAttemptResponse);
crate::list_query!(
    /// Paging of subscriptions.
    WebhookListQuery(WebhookSortField) {});
crate::list_query!(
    /// Paging of delivery attempts.
    AttemptListQuery(AttemptSortField) {});

/// How lists of subscriptions are paged.
pub const LIST: ListShape<()> = ListShape {
    sorts: &[("createdAt", ())],
    default: (),
    id: CursorId::Of(WebhookId::PREFIX),
};

/// How a subscription's delivery attempts are paged (newest first unless sorted).
pub const ATTEMPTS: ListShape<()> = ListShape {
    sorts: &[("attemptedAt", ())],
    default: (),
    id: CursorId::Of(AttemptId::PREFIX),
};

/// The URL of a subscription.
pub fn location(id: &WebhookId) -> String {
    format!("/v1/webhooks/{id}")
}

crate::sort_schema!(
    /// How a list of subscriptions may be sorted.
    WebhookSortField, LIST);

crate::sort_schema!(
    /// How a list of delivery attempts may be sorted.
    AttemptSortField, ATTEMPTS);
