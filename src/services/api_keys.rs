//! Issuing, listing, revoking and checking API keys.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AppState;
use super::idempotency::write_once;
use crate::api::api_keys::{
    ApiKeyListQuery, CreateApiKeyRequest, CreatedApiKeyResponse, LIST, location,
};
use crate::api::pagination::{ListRequest, Listed};
use crate::api::reply::{IdempotencyKey, Reply};
use crate::domain::access::Caller;
use crate::domain::api_keys::{ApiKey, NewApiKey};
use crate::domain::codes::Role;
use crate::domain::ids::ApiKeyId;
use crate::error::AppError;
use crate::persistence::api_keys::{self as store, ApiKeyRow};
use crate::persistence::{self, DbConnection, parties as party_store};

/// Every key starts with this, so leaked keys are easy to find with secret scanners.
pub const KEY_PREFIX: &str = "idk_";

/// A newly issued key: the only moment its secret exists outside the holder's hands.
pub struct IssuedKey {
    pub key: ApiKey,
    pub secret: String,
}

fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Issues a key: 256 random bits, stored only as a SHA-256 hash.
pub fn issue(conn: &mut DbConnection, new: NewApiKey) -> Result<IssuedKey, AppError> {
    match (new.role, &new.party_id) {
        (Role::Investor, None) => {
            return Err(AppError::invalid_field(
                "/partyId",
                "an investor key must name the party it acts for",
            ));
        }
        (Role::Investor, Some(party)) => {
            if !party_store::exists(conn, party)? {
                return Err(AppError::invalid_field("/partyId", "no party has this id"));
            }
        }
        (_, Some(_)) => {
            return Err(AppError::invalid_field(
                "/partyId",
                "only investor keys are bound to a party",
            ));
        }
        (_, None) => {}
    }
    if new.expires_at.is_some_and(|t| t <= persistence::now()) {
        return Err(AppError::invalid_field(
            "/expiresAt",
            "must be in the future",
        ));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let row = ApiKeyRow {
        id: ApiKeyId::generate().into_string(),
        name: new.name,
        role: new.role.as_str().to_owned(),
        party_id: new.party_id.map(|p| p.into_string()),
        secret_hash: hash(&secret),
        hint: secret[..KEY_PREFIX.len() + 4].to_owned(),
        created_at: persistence::now(),
        expires_at: new.expires_at,
        revoked_at: None,
    };
    store::insert(conn, &row)?;
    tracing::info!(key_id = %row.id, role = %row.role, "issued an API key");
    Ok(IssuedKey {
        key: row.into_domain()?,
        secret,
    })
}

/// Revokes a key at once; a key already revoked stays as it was.
pub fn revoke_now(conn: &mut DbConnection, id: &ApiKeyId) -> Result<ApiKey, AppError> {
    store::revoke(conn, id, persistence::now())?;
    store::get(conn, id)?.ok_or(AppError::NotFound)
}

/// Who holds `secret`; any failure is the same 401, whatever its cause.
pub async fn authenticate(state: &AppState, secret: &str) -> Result<Caller, AppError> {
    if !secret.starts_with(KEY_PREFIX) || secret.len() > 128 {
        return Err(AppError::Unauthorized);
    }
    let digest = hash(secret);
    let found = state
        .db
        .run(move |conn| store::find_by_hash(conn, &digest).map_err(AppError::from))
        .await?;
    let Some((key, stored)) = found else {
        return Err(AppError::Unauthorized);
    };
    // The lookup is by hash, so its timing reveals nothing about the secret; the comparison is
    // constant-time all the same.
    if !bool::from(stored.as_bytes().ct_eq(hash(secret).as_bytes()))
        || !key.is_active(persistence::now())
    {
        return Err(AppError::Unauthorized);
    }
    Ok(Caller::Key {
        id: key.id,
        role: key.role,
        party_id: key.party_id,
    })
}

/// Issues a key (admins). Its secret is in the first answer only; a retry with the same
/// `Idempotency-Key` replays the answer without it.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    key: Option<IdempotencyKey>,
    request: CreateApiKeyRequest,
) -> Result<Reply, AppError> {
    caller.require_admin()?;
    let new = request.parse()?;
    write_once(
        state,
        caller,
        key,
        move |conn| issue(conn, new),
        |issued, shown| {
            Reply::created(
                location(&issued.key.id),
                None,
                &CreatedApiKeyResponse::new(issued.key.clone(), &issued.secret, shown),
            )
        },
    )
    .await
}

/// A page of keys (admins).
pub async fn list(
    state: &AppState,
    caller: &Caller,
    request: ListRequest<ApiKeyListQuery>,
) -> Result<Listed<ApiKey, ()>, AppError> {
    caller.require_admin()?;
    let paging = request.paging(&state.cursors, request.query.paging(), &LIST)?;
    let (page, with_total) = (paging.request.clone(), paging.with_total);
    let (items, total) = state
        .db
        .run(move |conn| {
            let keys = store::list(conn, &page)?;
            let total = with_total.then(|| store::count(conn)).transpose()?;
            Ok::<_, AppError>((keys, total))
        })
        .await?;
    Ok(Listed {
        paging,
        items,
        total,
    })
}

/// Revokes a key at once (admins).
pub async fn revoke(state: &AppState, caller: &Caller, id: &str) -> Result<ApiKey, AppError> {
    caller.require_admin()?;
    let id = ApiKeyId::parse(id).ok_or(AppError::NotFound)?;
    state.db.write(move |conn| revoke_now(conn, &id)).await
}
