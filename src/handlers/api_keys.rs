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

/// Create an API key.
///
/// Creates a key for a role (`admin`, `officer`, or `investor` bound to a party) and answers its
/// secret once, in this response only: the server keeps a hash. A retry with the same `Idempotency-
/// Key` answers the key's details with `keyWithheld` instead of the secret. Admin keys only. 422
/// when the role is unknown or an investor key names no existing party.
#[utoipa::path(
    tag = "apiKeys",
    params(crate::api::headers::IdempotencyKeyHeader),
    request_body(content = CreateApiKeyRequest, example = json!({
        "name": "Government of Azerbaijan: investment ministry integration",
        "role": "investor",
        "partyId": "pty_01jd8x3v5ffd2b6jq4w5k9h8zq",
        "expiresAt": "2027-12-31T23:59:59Z"
    })),
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

/// List API keys.
///
/// Every key's name, role, party, hint and dates; never a secret. Admin keys only (403 for others,
/// 401 without a key). Cursor-paged.
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

/// Revoke an API key.
///
/// The key is refused (401) from the next request on. Admin keys only; 404 for an unknown key;
/// revoking a revoked key changes nothing.
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
