//! Interests: expressions of interest in opportunities, their stage transitions and timelines.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use super::auth::Caller;
use super::extract::{Json, Post, Query};
use super::{if_match, list_request, page_of, reply, single};
use crate::api::interests::{
    CreateInterestRequest, InterestEventPage, InterestEventResponse, InterestListQuery,
    InterestPage, InterestResponse, InterestUpdate, OpportunityInterestQuery, TimelineQuery,
    TransitionRequest,
};
use crate::error::AppError;
use crate::services::{self, AppState};

/// Express interest in an opportunity.
///
/// An investor expresses interest for its own party (its key implies it: sending `partyId` or
/// `coInvestorIds` is a 422); an officer records it for any party, with co-investors. 409 when the
/// opportunity is not published, its EOI deadline has passed, or the party already has an active
/// interest in it; 422 when the engagement model is not one the opportunity offers. Safe to retry
/// with an `Idempotency-Key`.
#[utoipa::path(
    tag = "interests",
    params(("id" = crate::domain::ids::OpportunityId, Path, description = "Opportunity id"), crate::api::headers::IdempotencyKeyHeader),
    request_body(content = CreateInterestRequest, example = json!({
        "engagementModel": "g2g",
        "message": "The Republic of Azerbaijan is interested in the M-6 on a G2G basis.",
        "indicativeAmount": {"amount": "500000000.00", "currency": "USD"},
        "contactPersonId": "per_01jd8x3v5ffd2b6jq4w5k9h8zs"
    })),
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

/// List the interests in one opportunity.
///
/// Officers see every interest in it; investors their own party's. Cursor-paged and sortable; 404
/// for an opportunity the caller may not see.
#[utoipa::path(
    tag = "interests",
    params(("id" = crate::domain::ids::OpportunityId, Path, description = "Opportunity id"), OpportunityInterestQuery),
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
    query: Query<OpportunityInterestQuery>,
) -> Result<HttpResponse, AppError> {
    let query = Query(InterestListQuery::from(query.0));
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

/// List interests.
///
/// Officers see every interest; investors those their party leads or co-invests in (others do not
/// exist for them). Filter by opportunity, party, stage, assignee and engagement model; cursor-
/// paged and sortable. Needs a key.
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
///
/// Officers any; investors only one their party leads or co-invests in (404 otherwise, so ids
/// reveal nothing). Officers' fields (probability override, assignee, notes) are shown to officers
/// only.
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

/// Update an interest.
///
/// Assignee, probability, indicative amount or notes, as a JSON Merge Patch; each change is
/// recorded in the interest's timeline. Officers only; `If-Match` makes it conditional (412 when
/// stale); 422 lists every invalid field. Stages change through `POST
/// /v1/interests/{id}/transitions`.
#[utoipa::path(
    tag = "interests",
    params(("id" = crate::domain::ids::InterestId, Path, description = "Interest id"), crate::api::headers::IfMatchHeader),
    request_body(content = InterestUpdate, content_type = "application/merge-patch+json",
        description = "A JSON Merge Patch (RFC 7396): absent = unchanged, null = cleared. The stage changes only through transitions.",
        example = json!({"assigneeId": "per_01jd8x3v5ffd2b6jq4w5k9h8zr", "probability": 40, "indicativeAmount": {"amount": "650000000.00", "currency": "USD"}})),
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

/// Move an interest to another stage.
///
/// Officers make any legal move (409 with `allowedStages` otherwise; a backward move, a move past
/// more than one stage and `rejected` need a `reason`), and correct a mistaken move with
/// `correction: true` and a reason, from any stage (409 `duplicateInterest` when the party is
/// already back with another active interest); an investor may only withdraw its own party's
/// interest. The move is recorded in the timeline and emits `interest.stageChanged` (with
/// `correction: true` for a correction). `If-Match` makes it conditional.
#[utoipa::path(
    tag = "interests",
    params(("id" = crate::domain::ids::InterestId, Path, description = "Interest id"), crate::api::headers::IdempotencyKeyHeader, crate::api::headers::IfMatchHeader),
    request_body(content = TransitionRequest, example = json!({"to": "mouSigned", "reason": "MoU signed in Baku"})),
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

/// An interest's timeline.
///
/// Creation, every stage change with its reason, assignment, amount and probability changes;
/// officers' entries (notes, probability) are shown to officers only. Cursor-paged. 404 for an
/// interest the caller may not see.
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
    // Only officers and the parties involved ever see a timeline.
    let viewer = crate::domain::audience::Audience::of(&caller, true);
    page_of(
        &state,
        listed,
        |e| InterestEventResponse::for_viewer(e, viewer),
        InterestEventPage::new,
    )
}
