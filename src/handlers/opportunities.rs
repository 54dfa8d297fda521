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

/// Create an opportunity.
///
/// Created as a draft; publish it by setting `listingStatus` with `PATCH`. Officers only. 422 lists
/// every invalid field (codes, amounts, references to parties and people). Safe to retry with an
/// `Idempotency-Key`.
#[utoipa::path(
    tag = "opportunities",
    params(crate::api::headers::IdempotencyKeyHeader),
    request_body(content = OpportunityInput, example = json!({
        "title": "M-6 Hyderabad–Sukkur Motorway",
        "description": "A 306 km, six-lane access-controlled motorway between Hyderabad and Sukkur.",
        "sectors": ["transport.road"],
        "projectStatus": "preparation",
        "engagementModels": ["g2g", "ppp"],
        "hostCountry": "PK",
        "locations": [{"description": "Hyderabad to Sukkur", "region": "Sindh", "coordinates": [[68.37, 25.39], [68.86, 27.70]]}],
        "investmentSought": {"amount": "1225000000.00", "currency": "USD"},
        "eoiDeadline": "2027-06-30",
        "publicAuthorityId": "pty_01jd8x3v5ffd2b6jq4w5k9h8zt",
        "focalPersonId": "per_01jd8x3v5ffd2b6jq4w5k9h8zr",
        "partnerCountries": ["AZ", "TR"]
    })),
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

/// List opportunities.
///
/// Anonymous callers and investors see published and closed listings; officers every listing
/// status. Filter by sector (a broad sector includes its narrower ones), engagement model, project
/// and listing status, host and partner country, initiative, investment range in a currency, EOI
/// deadline, `updatedSince` and `q` over titles and descriptions; cursor-paged, sortable, with
/// `includeTotal` for a count.
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

/// Get an opportunity.
///
/// Public when published or closed; drafts and archived listings only to officers (404 to others).
/// The `ETag` makes a later `If-None-Match` read a 304.
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

/// Update an opportunity.
///
/// A JSON Merge Patch: fields left out are kept, `null` clears an optional field. `listingStatus`
/// publishes (the listing must then be complete: 422 says what is missing), closes or archives it;
/// an admin restores an archived listing as a draft (`listingStatus: draft`, 403 for officers).
/// Officers only otherwise; `If-Match` makes it conditional (412 when stale).
#[utoipa::path(
    tag = "opportunities",
    params(("id" = crate::domain::ids::OpportunityId, Path, description = "Opportunity id"), crate::api::headers::IfMatchHeader),
    request_body(content = OpportunityUpdate, content_type = "application/merge-patch+json",
        description = "A JSON Merge Patch (RFC 7396): absent = unchanged, null = cleared. Publishing needs a description of 50+ characters, a location, investmentSought, focalPersonId and publicAuthorityId; a 422 lists what is missing.",
        example = json!({"listingStatus": "published", "eoiDeadline": "2027-09-30", "purpose": null})),
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

/// Delete or archive an opportunity.
///
/// A draft that was never published is deleted; any other listing is archived, so the record
/// investors saw is kept. Officers only; `If-Match` makes it conditional (412 when stale).
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
