//! Webhook subscriptions: signed deliveries of the events a caller may see.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::auth::Caller;
use super::extract::{Json, Problems, Query};
use super::pagination::Paging;
use super::{apply_patch, created, if_match, path_id, single, utc};
use crate::domain::ids::WebhookId;
use crate::domain::page::Position;
use crate::domain::webhooks::Webhook;
use crate::error::AppError;
use crate::persistence::webhooks::AttemptRow;
use crate::services::webhooks::WebhookRequest;
use crate::services::{self, AppState};

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
    #[schema(max_items = 50, example = json!(["interest.stageChanged"]))]
    #[serde(default)]
    pub event_types: Vec<String>,
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

impl WebhookInput {
    fn parse(self) -> Result<WebhookRequest, AppError> {
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
    #[schema(example = "whk_01jd8x3v5ffd2b6jq4w5k9h8zq")]
    pub id: String,
    #[serde(flatten)]
    pub fields: WebhookInput,
    /// Set when deliveries failed for a whole day; cleared by a success or by reactivating.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::handlers::rfc3339_optional"
    )]
    pub failing_since: Option<DateTime<Utc>>,
    /// The signing secret (`whsec_…`), shown only on creation and rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(serialize_with = "crate::handlers::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::handlers::rfc3339")]
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl WebhookResponse {
    fn of(webhook: &Webhook, with_secret: bool) -> Self {
        WebhookResponse {
            id: webhook.id.to_string(),
            fields: WebhookInput {
                url: webhook.data.url.clone(),
                event_types: webhook.data.event_types.clone(),
                active: webhook.data.active,
            },
            failing_since: webhook.data.failing_since.map(utc),
            secret: with_secret.then(|| webhook.data.secret.clone()),
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
    pub id: String,
    pub delivery_id: String,
    pub event_id: String,
    pub event_type: String,
    /// 1 for the first attempt.
    pub attempt: i32,
    /// The receiver's HTTP status, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(serialize_with = "crate::handlers::rfc3339")]
    pub attempted_at: DateTime<Utc>,
}

impl From<&AttemptRow> for DeliveryAttemptResponse {
    fn from(a: &AttemptRow) -> Self {
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
    WebhookListQuery {});
crate::list_query!(
    /// Paging of delivery attempts.
    AttemptListQuery {});

/// Subscribe to events (officers: all; investors: what their party may see).
#[utoipa::path(
    tag = "webhooks",
    request_body = WebhookInput,
    security(("bearerAuth" = [])),
    responses((status = 201, description = "The subscription, with its signing secret shown this once", body = WebhookResponse,
        headers(("Location" = String, description = "The subscription's URL"))))
)]
#[post("")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<WebhookInput>,
) -> Result<HttpResponse, AppError> {
    caller.require_key()?;
    let request = body.into_inner().parse()?;
    let webhook = services::webhooks::create(&state, &caller, request).await?;
    Ok(created(
        format!("/v1/webhooks/{}", webhook.id),
        webhook.version,
        &WebhookResponse::of(&webhook, true),
    ))
}

/// List subscriptions.
#[utoipa::path(
    tag = "webhooks",
    params(WebhookListQuery),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "A page of subscriptions", body = WebhookPage))
)]
#[get("")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    query: Query<WebhookListQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_key()?;
    let q = query.0;
    let paging = Paging::new(
        &request,
        &state.cursors,
        (
            q.limit,
            q.cursor.as_deref(),
            q.sort.as_deref(),
            q.include_total,
        ),
        &[("createdAt", ())],
        (),
    )?;
    let (items, total) =
        services::webhooks::list(&state, &caller, paging.request.clone(), paging.with_total)
            .await?;
    Ok(paging.respond(
        &state.cursors,
        items,
        |w, ()| Position {
            key: String::new(),
            id: w.id.to_string(),
        },
        |items, next_cursor| WebhookPage {
            items: items
                .iter()
                .map(|w| WebhookResponse::of(w, false))
                .collect(),
            next_cursor,
            total_count: total,
        },
    ))
}

/// Get a subscription.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id")),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The subscription", body = WebhookResponse), (status = 304, description = "Not modified"))
)]
#[get("/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_key()?;
    let id = path_id(&id, WebhookId::parse)?;
    let webhook = services::webhooks::get(&state, &caller, id).await?;
    Ok(single(
        &request,
        webhook.version,
        &WebhookResponse::of(&webhook, false),
    ))
}

/// Change a subscription's url, event types or active flag with a JSON Merge Patch.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id")),
    request_body(content = WebhookInput, content_type = "application/merge-patch+json", description = "A JSON Merge Patch (RFC 7396)."),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The updated subscription", body = WebhookResponse))
)]
#[patch("/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    caller.require_key()?;
    let id = path_id(&id, WebhookId::parse)?;
    let patch = body.into_inner();
    let webhook =
        services::webhooks::update(&state, &caller, id, if_match(&request), move |current| {
            apply_patch(&WebhookResponse::of(current, false).fields, patch)?.parse()
        })
        .await?;
    Ok(single(
        &request,
        webhook.version,
        &WebhookResponse::of(&webhook, false),
    ))
}

/// Delete a subscription; its pending deliveries are dropped.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id")),
    security(("bearerAuth" = [])),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_key()?;
    let id = path_id(&id, WebhookId::parse)?;
    services::webhooks::delete(&state, &caller, id, if_match(&request)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replace the signing secret; the new one is in this response only.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id")),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The subscription with its new secret", body = WebhookResponse))
)]
#[post("/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_key()?;
    let id = path_id(&id, WebhookId::parse)?;
    let webhook =
        services::webhooks::rotate_secret(&state, &caller, id, if_match(&request)).await?;
    Ok(single(
        &request,
        webhook.version,
        &WebhookResponse::of(&webhook, true),
    ))
}

/// The subscription's delivery attempts (newest first; `sort=attemptedAt` for oldest first):
/// status code, latency, error.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id"), AttemptListQuery),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "A page of attempts", body = DeliveryAttemptPage))
)]
#[get("/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    query: Query<AttemptListQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_key()?;
    let id = path_id(&id, WebhookId::parse)?;
    let q = query.0;
    let mut paging = Paging::new(
        &request,
        &state.cursors,
        (
            q.limit,
            q.cursor.as_deref(),
            q.sort.as_deref(),
            q.include_total,
        ),
        &[("attemptedAt", ())],
        (),
    )?;
    // Newest first unless the caller asks otherwise.
    if q.sort.is_none() {
        paging.request.descending = true;
    }
    if paging.with_total {
        return Err(AppError::bad_request(
            "includeTotal is not offered for delivery attempts.",
        ));
    }
    let attempts =
        services::webhooks::attempts(&state, &caller, id, paging.request.clone()).await?;
    Ok(paging.respond(
        &state.cursors,
        attempts,
        |a, ()| Position {
            key: String::new(),
            id: a.id.clone(),
        },
        |items, next_cursor| DeliveryAttemptPage {
            items: items.iter().map(DeliveryAttemptResponse::from).collect(),
            next_cursor,
            total_count: None,
        },
    ))
}
