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

/// Subscribe to events (officers: all; investors: what their party may see).
#[utoipa::path(
    tag = "webhooks",
    params(crate::api::headers::IdempotencyKeyHeader),
    request_body = WebhookInput,
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
    let listed = services::webhooks::list(&state, &caller, list_request(&request, query)).await?;
    page_of(&state, listed, WebhookResponse::of, WebhookPage::new)
}

/// Get a subscription.
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

/// Change a subscription's url, event types or active flag with a JSON Merge Patch.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = crate::domain::ids::WebhookId, Path, description = "Webhook id"), crate::api::headers::IfMatchHeader),
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
    let webhook =
        services::webhooks::update(&state, &caller, &id, if_match(&request), body.into_inner())
            .await?;
    Ok(single(
        &request,
        webhook.version,
        &WebhookResponse::of(&webhook),
    ))
}

/// Delete a subscription; its pending deliveries are dropped.
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

/// Replace the signing secret; the new one is in this response only.
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

/// The subscription's delivery attempts (newest first; `sort=attemptedAt` for oldest first):
/// status code, latency, error.
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
