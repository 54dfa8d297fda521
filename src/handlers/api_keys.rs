//! API keys (admin only). The secret is returned once, on creation.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};

use super::auth::Caller;
use super::extract::{Post, Query};
use super::{list_request, page_of, reply};
use crate::api::api_keys::{
    ApiKeyListQuery, ApiKeyPage, ApiKeyResponse, CreateApiKeyRequest, CreatedApiKeyResponse,
};
use crate::error::AppError;
use crate::services::{self, AppState};

/// Create an API key (admin).
#[utoipa::path(
    tag = "apiKeys",
    params(crate::api::headers::IdempotencyKeyHeader),
    request_body = CreateApiKeyRequest,
    security(("bearerAuth" = [])),
    responses((status = 201, description = "The key, with its secret shown this once", body = CreatedApiKeyResponse,
        headers(("Location" = String, description = "The new key's URL"))))
)]
#[post("")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    post: Post<CreateApiKeyRequest>,
) -> Result<HttpResponse, AppError> {
    let answer = services::api_keys::create(&state, &caller, post.key, post.body).await?;
    Ok(reply(answer))
}

/// List API keys (admin).
#[utoipa::path(
    tag = "apiKeys",
    params(ApiKeyListQuery),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "A page of keys", body = ApiKeyPage))
)]
#[get("")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    query: Query<ApiKeyListQuery>,
) -> Result<HttpResponse, AppError> {
    let listed = services::api_keys::list(&state, &caller, list_request(&request, query)).await?;
    page_of(
        &state,
        listed,
        |k| ApiKeyResponse::from(k.clone()),
        ApiKeyPage::new,
    )
}

/// Revoke an API key at once (admin).
#[utoipa::path(
    tag = "apiKeys",
    params(("id" = crate::domain::ids::ApiKeyId, Path, description = "API key id")),
    security(("bearerAuth" = [])),
    responses((status = 204, description = "Revoked; the key no longer authenticates"))
)]
#[delete("/{id}")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    services::api_keys::revoke(&state, &caller, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
