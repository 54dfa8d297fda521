//! Webhook subscriptions: signed deliveries of the events a caller may see.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::auth::Caller;
use super::extract::{Json, KeyOnly, Post, Query};
use super::{if_match, list_request, page_of, reply, single};
use crate::api::webhooks::{
    AttemptListQuery, DeliveryAttemptPage, DeliveryAttemptResponse, WebhookInput, WebhookListQuery,
    WebhookPage, WebhookResponse,
};
use crate::error::AppError;
use crate::services::{self, AppState};

/// Subscribe to events.
///
/// Deliveries are signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-
/// signature` with the `whsec_` secret answered once, in this response only) and retried with
/// backoff. Officers receive every event type they ask for; investors what their party may see. The
/// URL must be https on a public address (422). Safe to retry with an `Idempotency-Key`; the
/// retry's answer withholds the secret.
#[utoipa::path(
    tag = "webhooks",
    params(crate::api::headers::IdempotencyKeyHeader),
    request_body(content = WebhookInput, example = json!({
        "url": "https://investments.example.az/hooks/investdesk",
        "eventTypes": ["opportunity.published", "interest.stageChanged"]
    })),
    security(("bearerAuth" = [])),
    responses((status = 201, description = "The subscription, with its signing secret shown this once", body = WebhookResponse,
        headers(("Location" = String, description = "The subscription's URL"))))
)]
#[post("")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    post: Post<WebhookInput>,
) -> Result<HttpResponse, AppError> {
    let answer = services::webhooks::create(&state, &caller, post.key, post.body).await?;
    Ok(reply(answer))
}

/// List webhook subscriptions.
///
/// Officers see every subscription; investors their own party's. Never a secret. Cursor-paged and
/// sortable.
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
    let listed = services::webhooks::list(&state, &caller, list_request(&request, query)).await?;
    page_of(&state, listed, WebhookResponse::of, WebhookPage::new)
}

/// Get a webhook subscription.
///
/// Officers any; investors their own party's (404 otherwise). Never the secret.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = crate::domain::ids::WebhookId, Path, description = "Webhook id"), crate::api::headers::IfNoneMatchHeader),
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
    let webhook = services::webhooks::get(&state, &caller, &id).await?;
    Ok(single(
        &request,
        webhook.version,
        &WebhookResponse::of(&webhook),
    ))
}

/// Update a webhook subscription.
///
/// The URL, event types or active flag, as a JSON Merge Patch. Officers any; investors their own
/// party's; `If-Match` makes it conditional (412 when stale); 422 lists every invalid field.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = crate::domain::ids::WebhookId, Path, description = "Webhook id"), crate::api::headers::IfMatchHeader),
    request_body(content = WebhookInput, content_type = "application/merge-patch+json", description = "A JSON Merge Patch (RFC 7396).",
        example = json!({"active": false})),
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
    let webhook =
        services::webhooks::update(&state, &caller, &id, if_match(&request), body.into_inner())
            .await?;
    Ok(single(
        &request,
        webhook.version,
        &WebhookResponse::of(&webhook),
    ))
}

/// Delete a webhook subscription.
///
/// Its pending deliveries are dropped. Officers any; investors their own party's (404 otherwise);
/// `If-Match` makes it conditional.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = crate::domain::ids::WebhookId, Path, description = "Webhook id"), crate::api::headers::IfMatchHeader),
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
    services::webhooks::delete(&state, &caller, &id, if_match(&request)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate a subscription's signing secret.
///
/// Replaces the secret at once; the new one is in this response only (a retry with the same
/// `Idempotency-Key` withholds it). Same access as the subscription.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = crate::domain::ids::WebhookId, Path, description = "Webhook id"), crate::api::headers::IdempotencyKeyHeader, crate::api::headers::IfMatchHeader),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The subscription with its new secret", body = WebhookResponse))
)]
#[post("/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    post: KeyOnly,
) -> Result<HttpResponse, AppError> {
    let answer =
        services::webhooks::rotate_secret(&state, &caller, post.key, &id, if_match(&request))
            .await?;
    Ok(reply(answer))
}

/// List a subscription's delivery attempts.
///
/// Newest first (`sort=attemptedAt` for oldest first): the event, attempt number, the receiver's
/// status code, latency and error. Same access as the subscription; cursor-paged.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = crate::domain::ids::WebhookId, Path, description = "Webhook id"), AttemptListQuery),
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
    let listed =
        services::webhooks::attempts(&state, &caller, &id, list_request(&request, query)).await?;
    page_of(
        &state,
        listed,
        |a| DeliveryAttemptResponse::from(a),
        DeliveryAttemptPage::new,
    )
}
