//! Initiatives: programmes that group opportunities and countries, such as the
//! Pakistan–Azerbaijan–Türkiye trilateral.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::auth::Caller;
use super::extract::{Json, Post, Query};
use super::{if_match, list_request, page_of, reply, single};
use crate::api::initiatives::{
    InitiativeInput, InitiativeListQuery, InitiativePage, InitiativeResponse,
};
use crate::error::AppError;
use crate::services::{self, AppState};

/// Create an initiative.
///
/// Officers only. 422 lists every invalid field. Safe to retry with an `Idempotency-Key`.
#[utoipa::path(
    tag = "initiatives",
    params(crate::api::headers::IdempotencyKeyHeader),
    request_body(content = InitiativeInput, example = json!({
        "name": "Pakistan–Azerbaijan investment corridor",
        "description": "Government-to-government projects agreed under the 2024 memorandum.",
        "countries": ["AZ", "PK"],
        "leadPartyId": "pty_01jd8x3v5ffd2b6jq4w5k9h8zt",
        "focalPersonId": "per_01jd8x3v5ffd2b6jq4w5k9h8zr"
    })),
    security(("bearerAuth" = [])),
    responses((status = 201, description = "The new initiative", body = InitiativeResponse,
        headers(("Location" = String, description = "The new initiative's URL"), ("ETag" = String, description = "Version tag"))))
)]
#[post("")]
pub async fn create_initiative(
    state: web::Data<AppState>,
    caller: Caller,
    post: Post<InitiativeInput>,
) -> Result<HttpResponse, AppError> {
    let answer = services::initiatives::create(&state, &caller, post.key, post.body).await?;
    Ok(reply(answer))
}

/// List initiatives.
///
/// Programmes that group opportunities and partner countries. Public; cursor-paged and sortable.
#[utoipa::path(
    tag = "initiatives",
    params(InitiativeListQuery),
    security((), ("bearerAuth" = [])),
    responses((status = 200, description = "A page of initiatives", body = InitiativePage,
        headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))))
)]
#[get("")]
pub async fn list_initiatives(
    state: web::Data<AppState>,
    _caller: Caller,
    request: HttpRequest,
    query: Query<InitiativeListQuery>,
) -> Result<HttpResponse, AppError> {
    let listed = services::initiatives::list(&state, list_request(&request, query)).await?;
    page_of(
        &state,
        listed,
        |i| InitiativeResponse::from(i),
        InitiativePage::new,
    )
}

/// Get an initiative.
///
/// Public. The `ETag` makes a later `If-None-Match` read a 304.
#[utoipa::path(
    tag = "initiatives",
    params(("id" = crate::domain::ids::InitiativeId, Path, description = "Initiative id"), crate::api::headers::IfNoneMatchHeader),
    security((), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The initiative", body = InitiativeResponse, headers(("ETag" = String, description = "Version tag"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/{id}")]
pub async fn get_initiative(
    state: web::Data<AppState>,
    _caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let initiative = services::initiatives::get(&state, &id).await?;
    Ok(single(
        &request,
        initiative.version,
        &InitiativeResponse::from(&initiative),
    ))
}

/// Update an initiative.
///
/// A JSON Merge Patch: fields left out are kept, `null` clears an optional field. Officers only;
/// `If-Match` makes it conditional (412 when stale); 422 lists every invalid field.
#[utoipa::path(
    tag = "initiatives",
    params(("id" = crate::domain::ids::InitiativeId, Path, description = "Initiative id"), crate::api::headers::IfMatchHeader),
    request_body(content = InitiativeInput, content_type = "application/merge-patch+json",
        description = "A JSON Merge Patch (RFC 7396) of the initiative's writable fields: absent = unchanged, null = cleared.",
        example = json!({"countries": ["AZ", "PK", "TR"], "description": null})),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The updated initiative", body = InitiativeResponse, headers(("ETag" = String, description = "Version tag"))))
)]
#[patch("/{id}")]
pub async fn update_initiative(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let initiative =
        services::initiatives::update(&state, &caller, &id, if_match(&request), body.into_inner())
            .await?;
    Ok(single(
        &request,
        initiative.version,
        &InitiativeResponse::from(&initiative),
    ))
}

/// Delete an initiative.
///
/// Only an initiative no opportunity refers to (409 otherwise). Officers only; `If-Match` makes it
/// conditional (412 when stale).
#[utoipa::path(
    tag = "initiatives",
    params(("id" = crate::domain::ids::InitiativeId, Path, description = "Initiative id"), crate::api::headers::IfMatchHeader),
    security(("bearerAuth" = [])),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/{id}")]
pub async fn delete_initiative(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    services::initiatives::delete(&state, &caller, &id, if_match(&request)).await?;
    Ok(HttpResponse::NoContent().finish())
}
