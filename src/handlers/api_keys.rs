//! API keys (admin only). The secret is returned once, on creation.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::auth::Caller;
use super::extract::{Json, Problems, Query};
use super::pagination::Paging;
use super::{path_id, utc};
use crate::domain::api_keys::{ApiKey, NewApiKey};
use crate::domain::codes::Role;
use crate::domain::ids::{ApiKeyId, PartyId};
use crate::domain::page::Position;
use crate::error::AppError;
use crate::services::{self, AppState};

/// A request for a new API key.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateApiKeyRequest {
    /// What the key is for, e.g. "Azerbaijan investment ministry integration".
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "BOI back office")]
    pub name: String,
    #[schema(value_type = Role)]
    pub role: String,
    /// The party an investor key acts for; required for `investor`, refused otherwise.
    #[schema(example = "pty_01jd8x3v5ffd2b6jq4w5k9h8zq")]
    pub party_id: Option<String>,
    /// When the key stops working (RFC 3339).
    pub expires_at: Option<DateTime<Utc>>,
}

impl CreateApiKeyRequest {
    fn parse(self) -> Result<NewApiKey, AppError> {
        let mut problems = Problems::from_validation(self.validate());
        let role = problems.take(
            "/role",
            Role::parse(&self.role).ok_or_else(|| "must be admin, officer or investor".to_owned()),
        );
        let party_id = match &self.party_id {
            Some(text) => problems.take(
                "/partyId",
                PartyId::parse(text)
                    .map(Some)
                    .ok_or_else(|| "is not a party id".to_owned()),
            ),
            None => Some(None),
        };
        problems.finish(|| {
            Some(NewApiKey {
                name: self.name,
                role: role?,
                party_id: party_id?,
                expires_at: self.expires_at.map(|t| t.naive_utc()),
            })
        })
    }
}

/// An API key's details; never its secret or hash.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyResponse {
    #[schema(example = "key_01jd8x3v5ffd2b6jq4w5k9h8zq")]
    pub id: String,
    pub name: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party_id: Option<String>,
    /// The first characters of the key, to tell keys apart.
    #[schema(example = "idk_Ab3x")]
    pub hint: String,
    #[serde(serialize_with = "crate::handlers::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::handlers::rfc3339_optional"
    )]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::handlers::rfc3339_optional"
    )]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for ApiKeyResponse {
    fn from(key: ApiKey) -> Self {
        ApiKeyResponse {
            id: key.id.into_string(),
            name: key.name,
            role: key.role,
            party_id: key.party_id.map(PartyId::into_string),
            hint: key.hint,
            created_at: utc(key.created_at),
            expires_at: key.expires_at.map(utc),
            revoked_at: key.revoked_at.map(utc),
        }
    }
}

/// A newly created key, with its secret: store it now, it is never shown again.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKeyResponse {
    #[serde(flatten)]
    pub details: ApiKeyResponse,
    /// The secret, for `Authorization: Bearer <key>`. Shown only in this response.
    #[schema(example = "idk_Ab3xq0mJ0c3v9qk5m2n8p7r6s4t1u0v9w8x7y6z5a4b")]
    pub key: String,
}

crate::page_type!(
    /// A page of API keys.
    ApiKeyPage, ApiKeyResponse);

crate::list_query!(
    /// Paging of API keys (sort: `createdAt`).
    ApiKeyListQuery {});

/// Create an API key (admin).
#[utoipa::path(
    tag = "apiKeys",
    request_body = CreateApiKeyRequest,
    security(("bearerAuth" = [])),
    responses((status = 201, description = "The key, with its secret shown this once", body = CreatedApiKeyResponse,
        headers(("Location" = String, description = "The new key's URL"))))
)]
#[post("")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateApiKeyRequest>,
) -> Result<HttpResponse, AppError> {
    caller.require_admin()?;
    let new = body.into_inner().parse()?;
    let issued = services::api_keys::create(&state, &caller, new).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/api-keys/{}", issued.key.id)))
        .json(CreatedApiKeyResponse {
            details: issued.key.into(),
            key: issued.secret,
        }))
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
    caller.require_admin()?;
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
        services::api_keys::list(&state, &caller, paging.request.clone(), paging.with_total)
            .await?;
    Ok(paging.respond(
        &state.cursors,
        items,
        |key, ()| Position {
            key: String::new(),
            id: key.id.to_string(),
        },
        |items, next_cursor| ApiKeyPage {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor,
            total_count: total,
        },
    ))
}

/// Revoke an API key at once (admin).
#[utoipa::path(
    tag = "apiKeys",
    params(("id" = String, Path, description = "API key id")),
    security(("bearerAuth" = [])),
    responses((status = 204, description = "Revoked; the key no longer authenticates"))
)]
#[delete("/{id}")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_admin()?;
    let id = path_id(&id, ApiKeyId::parse)?;
    services::api_keys::revoke(&state, &caller, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
