//! Figures for dashboards.

use actix_web::{HttpResponse, get, web};

use super::auth::Caller;
use super::extract::{NoQuery, Query};
use crate::api::stats::{OpportunityStats, PipelineStats};
use crate::error::AppError;
use crate::services::{self, AppState};

/// Pipeline figures.
///
/// Interests by stage and engagement model, the 100 opportunities with the most interests,
/// conversion between consecutive stages, and the median days spent in each stage. Officers only;
/// takes no parameters.
#[utoipa::path(
    tag = "stats",
    security(("bearerAuth" = [])),
    responses((status = 200, description = "Pipeline figures", body = PipelineStats))
)]
#[get("/pipeline")]
pub async fn get_pipeline_stats(
    state: web::Data<AppState>,
    caller: Caller,
    _: Query<NoQuery>,
) -> Result<HttpResponse, AppError> {
    let figures = services::stats::pipeline(&state, &caller).await?;
    Ok(HttpResponse::Ok().json(PipelineStats::from(figures)))
}

/// Catalogue figures.
///
/// Published opportunities by sector, host country and engagement model, and the investment sought
/// per currency. Public; takes no parameters.
#[utoipa::path(
    tag = "stats",
    security((), ("bearerAuth" = [])),
    responses((status = 200, description = "Catalogue figures", body = OpportunityStats))
)]
#[get("/opportunities")]
pub async fn get_opportunity_stats(
    state: web::Data<AppState>,
    _caller: Caller,
    _: Query<NoQuery>,
) -> Result<HttpResponse, AppError> {
    let figures = services::stats::catalogue(&state).await?;
    Ok(HttpResponse::Ok().json(OpportunityStats::from(figures)))
}
