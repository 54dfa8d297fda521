//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;
use crate::services::AppState;

/// Health of the process or its dependencies.
#[derive(Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok` when healthy.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Process liveness: answers while the process runs, without touching the database.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process is up", body = HealthResponse))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok" })
}

/// Readiness: the database answers a query within the pool timeout.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = HealthResponse),
        (status = 503, description = "The database is unreachable", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    crate::services::check_ready(&state).await?;
    Ok(HttpResponse::Ok().json(HealthResponse { status: "ok" }))
}
