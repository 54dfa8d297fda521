//! Parties: organisations such as the Board of Investment, the National Highway Authority or
//! the Government of Azerbaijan.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::auth::Caller;
use super::extract::{Json, Post, Query};
use super::{if_match, list_request, page_of, reply, single};
use crate::api::parties::{PartyInput, PartyListQuery, PartyPage, PartyResponse};
use crate::error::AppError;
use crate::services::{self, AppState};

/// Create a party.
///
/// A government, agency, company, consortium or lender, with identifiers and a contact point.
/// Officers only; 409 when an identifier is already taken; 422 lists every invalid field. Safe to
/// retry with an `Idempotency-Key`.
#[utoipa::path(
    tag = "parties",
    params(crate::api::headers::IdempotencyKeyHeader),
    request_body(content = PartyInput, example = json!({
        "name": "Government of Azerbaijan",
        "kind": "government",
        "country": "AZ",
        "website": "https://economy.gov.az",
        "contactPoint": {"name": "Investment department", "email": "invest@economy.gov.az"}
    })),
    security(("bearerAuth" = [])),
    responses((status = 201, description = "The new party", body = PartyResponse,
        headers(("Location" = String, description = "The new party's URL"), ("ETag" = String, description = "Version tag"))))
)]
#[post("")]
pub async fn create_party(
    state: web::Data<AppState>,
    caller: Caller,
    post: Post<PartyInput>,
) -> Result<HttpResponse, AppError> {
    let answer = services::parties::create(&state, &caller, post.key, post.body).await?;
    Ok(reply(answer))
}

/// List parties.
///
/// Officers see every party; investors only their own. Filter by kind and country; cursor-paged and
/// sortable.
#[utoipa::path(
    tag = "parties",
    params(PartyListQuery),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "A page of parties", body = PartyPage,
        headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))))
)]
#[get("")]
pub async fn list_parties(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    query: Query<PartyListQuery>,
) -> Result<HttpResponse, AppError> {
    let listed = services::parties::list(&state, &caller, list_request(&request, query)).await?;
    page_of(&state, listed, |p| PartyResponse::from(p), PartyPage::new)
}

/// Get a party.
///
/// Officers any; investors only their own (404 otherwise). The `ETag` makes a later `If-None-Match`
/// read a 304.
#[utoipa::path(
    tag = "parties",
    params(("id" = crate::domain::ids::PartyId, Path, description = "Party id"), crate::api::headers::IfNoneMatchHeader),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The party", body = PartyResponse, headers(("ETag" = String, description = "Version tag"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/{id}")]
pub async fn get_party(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let party = services::parties::get(&state, &caller, &id).await?;
    Ok(single(
        &request,
        party.version,
        &PartyResponse::from(&party),
    ))
}

/// Update a party.
///
/// A JSON Merge Patch: fields left out are kept, `null` clears an optional field. Officers only;
/// `If-Match` makes it conditional (412 when stale); 422 lists every invalid field.
#[utoipa::path(
    tag = "parties",
    params(("id" = crate::domain::ids::PartyId, Path, description = "Party id"), crate::api::headers::IfMatchHeader),
    request_body(content = PartyInput, content_type = "application/merge-patch+json",
        description = "A JSON Merge Patch (RFC 7396) of the party's writable fields: absent = unchanged, null = cleared.",
        example = json!({"website": "https://www.economy.gov.az", "focalPersonId": "per_01jd8x3v5ffd2b6jq4w5k9h8zr"})),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The updated party", body = PartyResponse, headers(("ETag" = String, description = "Version tag"))))
)]
#[patch("/{id}")]
pub async fn update_party(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let party =
        services::parties::update(&state, &caller, &id, if_match(&request), body.into_inner())
            .await?;
    Ok(single(
        &request,
        party.version,
        &PartyResponse::from(&party),
    ))
}

/// Delete a party.
///
/// Only a party nothing refers to (people, interests, keys, opportunities: 409 otherwise). Officers
/// only; `If-Match` makes it conditional (412 when stale).
#[utoipa::path(
    tag = "parties",
    params(("id" = crate::domain::ids::PartyId, Path, description = "Party id"), crate::api::headers::IfMatchHeader),
    security(("bearerAuth" = [])),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/{id}")]
pub async fn delete_party(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    services::parties::delete(&state, &caller, &id, if_match(&request)).await?;
    Ok(HttpResponse::NoContent().finish())
}
