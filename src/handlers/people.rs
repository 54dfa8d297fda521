//! People: contacts who belong to a party, such as a focal person at the Board of Investment.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::auth::Caller;
use super::extract::{Json, Post, Query};
use super::{if_match, list_request, page_of, reply, single};
use crate::api::people::{PersonInput, PersonListQuery, PersonPage, PersonResponse};
use crate::error::AppError;
use crate::services::{self, AppState};

/// Create a person.
///
/// A contact who belongs to a party. Officers only; 422 lists every invalid field. Safe to retry
/// with an `Idempotency-Key`.
#[utoipa::path(
    tag = "people",
    params(crate::api::headers::IdempotencyKeyHeader),
    request_body(content = PersonInput, example = json!({
        "partyId": "pty_01jd8x3v5ffd2b6jq4w5k9h8zt",
        "name": "Focal Person, Board of Investment",
        "jobTitle": "Director, Government-to-Government Projects",
        "email": "g2g@invest.gov.pk",
        "telephone": "+92 51 9201234"
    })),
    security(("bearerAuth" = [])),
    responses((status = 201, description = "The new person", body = PersonResponse,
        headers(("Location" = String, description = "The new person's URL"), ("ETag" = String, description = "Version tag"))))
)]
#[post("")]
pub async fn create_person(
    state: web::Data<AppState>,
    caller: Caller,
    post: Post<PersonInput>,
) -> Result<HttpResponse, AppError> {
    let answer = services::people::create(&state, &caller, post.key, post.body).await?;
    Ok(reply(answer))
}

/// List people.
///
/// Contacts of every party, filtered by party; cursor-paged and sortable. Officers only.
#[utoipa::path(
    tag = "people",
    params(PersonListQuery),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "A page of people", body = PersonPage,
        headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))))
)]
#[get("")]
pub async fn list_people(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    query: Query<PersonListQuery>,
) -> Result<HttpResponse, AppError> {
    let listed = services::people::list(&state, &caller, list_request(&request, query)).await?;
    page_of(&state, listed, |p| PersonResponse::from(p), PersonPage::new)
}

/// Get a person.
///
/// Officers only. The `ETag` makes a later `If-None-Match` read a 304.
#[utoipa::path(
    tag = "people",
    params(("id" = crate::domain::ids::PersonId, Path, description = "Person id"), crate::api::headers::IfNoneMatchHeader),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The person", body = PersonResponse, headers(("ETag" = String, description = "Version tag"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/{id}")]
pub async fn get_person(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let person = services::people::get(&state, &caller, &id).await?;
    Ok(single(
        &request,
        person.version,
        &PersonResponse::from(&person),
    ))
}

/// Update a person.
///
/// A JSON Merge Patch: fields left out are kept, `null` clears an optional field. Officers only;
/// `If-Match` makes it conditional (412 when stale); 422 lists every invalid field.
#[utoipa::path(
    tag = "people",
    params(("id" = crate::domain::ids::PersonId, Path, description = "Person id"), crate::api::headers::IfMatchHeader),
    request_body(content = PersonInput, content_type = "application/merge-patch+json",
        description = "A JSON Merge Patch (RFC 7396) of the person's writable fields: absent = unchanged, null = cleared.",
        example = json!({"jobTitle": "Director General", "telephone": null})),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The updated person", body = PersonResponse, headers(("ETag" = String, description = "Version tag"))))
)]
#[patch("/{id}")]
pub async fn update_person(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let person =
        services::people::update(&state, &caller, &id, if_match(&request), body.into_inner())
            .await?;
    Ok(single(
        &request,
        person.version,
        &PersonResponse::from(&person),
    ))
}

/// Delete a person.
///
/// Only a person nothing refers to (an opportunity's focal person, an interest's contact: 409
/// otherwise). Officers only; `If-Match` makes it conditional (412 when stale).
#[utoipa::path(
    tag = "people",
    params(("id" = crate::domain::ids::PersonId, Path, description = "Person id"), crate::api::headers::IfMatchHeader),
    security(("bearerAuth" = [])),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/{id}")]
pub async fn delete_person(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    services::people::delete(&state, &caller, &id, if_match(&request)).await?;
    Ok(HttpResponse::NoContent().finish())
}
