//! API keys as the API shows them (admin only). The secret is shown once, on creation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::pagination::{CursorId, ListShape};
use super::parse::Problems;
use super::reply::Shown;
use super::utc;
use crate::domain::api_keys::{ApiKey, NewApiKey};
use crate::domain::codes::Role;
use crate::domain::ids::{ApiKeyId, PartyId};
use crate::error::AppError;

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
    #[schema(value_type = Option<crate::domain::ids::PartyId>, example = "pty_01jd8x3v5ffd2b6jq4w5k9h8zq")]
    pub party_id: Option<String>,
    /// When the key stops working (RFC 3339).
    pub expires_at: Option<DateTime<Utc>>,
}

impl CreateApiKeyRequest {
    pub fn parse(self) -> Result<NewApiKey, AppError> {
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
    #[schema(value_type = crate::domain::ids::ApiKeyId)]
    pub id: String,
    #[schema(max_length = 200)]
    pub name: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::ids::PartyId>)]
    pub party_id: Option<String>,
    /// The first characters of the key, to tell keys apart.
    #[schema(max_length = 16, example = "idk_Ab3x")]
    pub hint: String,
    #[serde(serialize_with = "crate::api::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::api::rfc3339_optional"
    )]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::api::rfc3339_optional"
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
    /// The secret, for `Authorization: Bearer <key>`. Only in the first answer to the request
    /// that created the key: a retry with the same `Idempotency-Key` gets the key's details
    /// without it (and `keyWithheld` says why), because no secret is ever stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 128,
        example = "idk_Ab3xq0mJ0c3v9qk5m2n8p7r6s4t1u0v9w8x7y6z5a4b"
    )]
    pub key: Option<String>,
    /// In a replayed answer (`Idempotent-Replayed: true`), in place of `key`: why it is not
    /// shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 256)]
    pub key_withheld: Option<String>,
}

/// Why a replay holds no secret.
pub const WITHHELD: &str = "A secret is shown once, in the first answer to the request that created it, and is never stored; this is a replay of that answer. If the secret was lost, revoke this and create another.";

impl CreatedApiKeyResponse {
    /// The answer to the request that issued `key` with `secret`: with the secret the first
    /// time, without it in the answer kept for retries.
    pub fn new(key: ApiKey, secret: &str, shown: Shown) -> Self {
        let first = shown == Shown::First;
        CreatedApiKeyResponse {
            details: key.into(),
            key: first.then(|| secret.to_owned()),
            key_withheld: (!first).then(|| WITHHELD.to_owned()),
        }
    }
}

crate::page_type!(
    /// A page of API keys.
    ApiKeyPage, ApiKeyResponse);

crate::list_query!(
    /// Paging of API keys (sort: `createdAt`).
    ApiKeyListQuery(ApiKeySortField) {});

/// How lists of API keys are paged.
pub const LIST: ListShape<()> = ListShape {
    sorts: &[("createdAt", ())],
    default: (),
    id: CursorId::Of(ApiKeyId::PREFIX),
};

/// The URL of an API key.
pub fn location(id: &ApiKeyId) -> String {
    format!("/v1/api-keys/{id}")
}

crate::sort_schema!(
    /// How a list of API keys may be sorted.
    ApiKeySortField, LIST);
