//! Interests: expressions of interest in opportunities, their stage transitions and timelines.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use super::auth::Caller;
use super::extract::{Json, Post, Query};
use super::{if_match, list_request, page_of, reply, single};
use crate::api::interests::{
    CreateInterestRequest, InterestEventPage, InterestEventResponse, InterestListQuery,
    InterestPage, InterestResponse, InterestUpdate, TimelineQuery, TransitionRequest,
};
use crate::error::AppError;
use crate::services::{self, AppState};

/// Express interest in an opportunity (investor, for its own party; officer, for any party).
#[utoipa::path(
    tag = "interests",
    params(("id" = crate::domain::ids::OpportunityId, Path, description = "Opportunity id"), crate::api::headers::IdempotencyKeyHeader),
    request_body = CreateInterestRequest,
    security(("bearerAuth" = [])),
    responses((status = 201, description = "The new interest, at stage `expressed`", body = InterestResponse,
        headers(("Location" = String, description = "The interest's URL"), ("ETag" = String, description = "Version tag"))))
)]
#[post("/{id}/interests")]
pub async fn create_interest(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    post: Post<CreateInterestRequest>,
) -> Result<HttpResponse, AppError> {
    let answer = services::interests::create(&state, &caller, post.key, &id, post.body).await?;
    Ok(reply(answer))
}

/// List the interests in one opportunity (officers: all; investors: their own party's).
#[utoipa::path(
    tag = "interests",
    params(("id" = crate::domain::ids::OpportunityId, Path, description = "Opportunity id"), InterestListQuery),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "A page of interests", body = InterestPage,
        headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))))
)]
#[get("/{id}/interests")]
pub async fn list_opportunity_interests(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    query: Query<InterestListQuery>,
) -> Result<HttpResponse, AppError> {
    let listed =
        services::interests::list(&state, &caller, Some(&id), list_request(&request, query))
            .await?;
    page_of(
        &state,
        listed,
        |i| InterestResponse::for_caller(i, &caller),
        InterestPage::new,
    )
}

/// List interests (officers: all; investors: those their party leads or co-invests in).
#[utoipa::path(
    tag = "interests",
    params(InterestListQuery),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "A page of interests", body = InterestPage,
        headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))))
)]
#[get("")]
pub async fn list_interests(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    query: Query<InterestListQuery>,
) -> Result<HttpResponse, AppError> {
    let listed =
        services::interests::list(&state, &caller, None, list_request(&request, query)).await?;
    page_of(
        &state,
        listed,
        |i| InterestResponse::for_caller(i, &caller),
        InterestPage::new,
    )
}

/// Get an interest.
#[utoipa::path(
    tag = "interests",
    params(("id" = crate::domain::ids::InterestId, Path, description = "Interest id"), crate::api::headers::IfNoneMatchHeader),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The interest", body = InterestResponse, headers(("ETag" = String, description = "Version tag"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/{id}")]
pub async fn get_interest(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let interest = services::interests::get(&state, &caller, &id).await?;
    Ok(single(
        &request,
        interest.version,
        &InterestResponse::for_caller(&interest, &caller),
    ))
}

/// Update an interest's assignee, probability, amount or notes with a JSON Merge Patch (officer).
#[utoipa::path(
    tag = "interests",
    params(("id" = crate::domain::ids::InterestId, Path, description = "Interest id"), crate::api::headers::IfMatchHeader),
    request_body(content = InterestUpdate, content_type = "application/merge-patch+json",
        description = "A JSON Merge Patch (RFC 7396): absent = unchanged, null = cleared. The stage changes only through transitions."),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The updated interest", body = InterestResponse, headers(("ETag" = String, description = "Version tag"))))
)]
#[patch("/{id}")]
pub async fn update_interest(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let interest =
        services::interests::update(&state, &caller, &id, if_match(&request), body.into_inner())
            .await?;
    Ok(single(
        &request,
        interest.version,
        &InterestResponse::for_caller(&interest, &caller),
    ))
}

/// Move an interest to another stage (officers: any legal move; investors: withdraw their own).
#[utoipa::path(
    tag = "interests",
    params(("id" = crate::domain::ids::InterestId, Path, description = "Interest id"), crate::api::headers::IdempotencyKeyHeader, crate::api::headers::IfMatchHeader),
    request_body = TransitionRequest,
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The interest at its new stage", body = InterestResponse, headers(("ETag" = String, description = "Version tag"))))
)]
#[post("/{id}/transitions")]
pub async fn transition_interest(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    post: Post<TransitionRequest>,
) -> Result<HttpResponse, AppError> {
    let answer = services::interests::transition(
        &state,
        &caller,
        post.key,
        &id,
        if_match(&request),
        post.body,
    )
    .await?;
    Ok(reply(answer))
}

/// An interest's timeline: creation, every stage change, assignment and amount changes.
#[utoipa::path(
    tag = "interests",
    params(("id" = crate::domain::ids::InterestId, Path, description = "Interest id"), TimelineQuery),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "A page of the timeline, oldest first", body = InterestEventPage))
)]
#[get("/{id}/events")]
pub async fn list_interest_events(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    query: Query<TimelineQuery>,
) -> Result<HttpResponse, AppError> {
    let listed =
        services::interests::timeline(&state, &caller, &id, list_request(&request, query)).await?;
    page_of(
        &state,
        listed,
        |e| InterestEventResponse::from(e),
        InterestEventPage::new,
    )
}
