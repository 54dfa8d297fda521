//! Opportunities: the catalogue of investment projects (motorways, tourism zones, energy
//! plants) offered to foreign investors.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::auth::Caller;
use super::extract::{Json, Post, Query};
use super::{if_match, list_request, page, reply, single};
use crate::api::opportunities::{
    OpportunityInput, OpportunityListQuery, OpportunityPage, OpportunityResponse, OpportunityUpdate,
};
use crate::error::AppError;
use crate::services::{self, AppState};

/// Create an opportunity, as a draft (officer).
#[utoipa::path(
    tag = "opportunities",
    params(crate::api::headers::IdempotencyKeyHeader),
    request_body = OpportunityInput,
    security(("bearerAuth" = [])),
    responses((status = 201, description = "The new draft opportunity", body = OpportunityResponse,
        headers(("Location" = String, description = "The new opportunity's URL"), ("ETag" = String, description = "Version tag"))))
)]
#[post("")]
pub async fn create_opportunity(
    state: web::Data<AppState>,
    caller: Caller,
    post: Post<OpportunityInput>,
) -> Result<HttpResponse, AppError> {
    let answer = services::opportunities::create(&state, &caller, post.key, post.body).await?;
    Ok(reply(answer))
}

/// List opportunities (public: published and closed ones; officers: all).
#[utoipa::path(
    tag = "opportunities",
    params(OpportunityListQuery),
    security((), ("bearerAuth" = [])),
    responses((status = 200, description = "A page of opportunities", body = OpportunityPage,
        headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))))
)]
#[get("")]
pub async fn list_opportunities(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    query: Query<OpportunityListQuery>,
) -> Result<HttpResponse, AppError> {
    // Each item is the opportunity's stored representation, served as it is.
    let (paging, body, next) =
        services::opportunities::list_page(&state, &caller, list_request(&request, query)).await?;
    Ok(page(&paging, body, next.as_deref()))
}

/// Get an opportunity (public when published or closed).
#[utoipa::path(
    tag = "opportunities",
    params(("id" = crate::domain::ids::OpportunityId, Path, description = "Opportunity id"), crate::api::headers::IfNoneMatchHeader),
    security((), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The opportunity", body = OpportunityResponse, headers(("ETag" = String, description = "Version tag"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/{id}")]
pub async fn get_opportunity(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let opportunity = services::opportunities::get(&state, &caller, &id).await?;
    Ok(single(
        &request,
        opportunity.version,
        &OpportunityResponse::from(opportunity),
    ))
}

/// Update an opportunity with a JSON Merge Patch; publish, close or archive it with
/// `listingStatus` (officer).
#[utoipa::path(
    tag = "opportunities",
    params(("id" = crate::domain::ids::OpportunityId, Path, description = "Opportunity id"), crate::api::headers::IfMatchHeader),
    request_body(content = OpportunityUpdate, content_type = "application/merge-patch+json",
        description = "A JSON Merge Patch (RFC 7396): absent = unchanged, null = cleared. Publishing needs a description of 50+ characters, a location, investmentSought, focalPersonId and publicAuthorityId; a 422 lists what is missing."),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The updated opportunity", body = OpportunityResponse, headers(("ETag" = String, description = "Version tag"))))
)]
#[patch("/{id}")]
pub async fn update_opportunity(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let opportunity = services::opportunities::update(
        &state,
        &caller,
        &id,
        if_match(&request),
        body.into_inner(),
    )
    .await?;
    Ok(single(
        &request,
        opportunity.version,
        &OpportunityResponse::from(opportunity),
    ))
}

/// Delete a draft that was never published (officer); archive anything else.
#[utoipa::path(
    tag = "opportunities",
    params(("id" = crate::domain::ids::OpportunityId, Path, description = "Opportunity id"), crate::api::headers::IfMatchHeader),
    security(("bearerAuth" = [])),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/{id}")]
pub async fn delete_opportunity(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    services::opportunities::delete(&state, &caller, &id, if_match(&request)).await?;
    Ok(HttpResponse::NoContent().finish())
}
