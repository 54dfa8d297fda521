//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};

use super::extract::{NoQuery, Query};
use crate::api::operations::HealthResponse;
use crate::error::AppError;
use crate::services::AppState;

/// Process liveness: answers while the process runs, without touching the database.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses((status = 200, description = "The process is up", body = HealthResponse))
)]
#[get("/healthz")]
pub async fn healthz(_: Query<NoQuery>) -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok" })
}

/// Readiness: the database answers a query within the pool timeout.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "Ready to serve", body = HealthResponse),
        (status = 503, description = "The database is unreachable", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(
    state: web::Data<AppState>,
    _: Query<NoQuery>,
) -> Result<HttpResponse, AppError> {
    crate::services::check_ready(&state).await?;
    Ok(HttpResponse::Ok().json(HealthResponse { status: "ok" }))
}

/// Prometheus metrics: requests and latency by route template and status, database pool use,
/// webhook backlog.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn get_metrics(state: web::Data<AppState>, _: Query<NoQuery>) -> HttpResponse {
    let (in_use, idle) = state.db.pool_state();
    ::metrics::gauge!("db_pool_connections", "state" => "in_use").set(f64::from(in_use));
    ::metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
    match crate::services::webhooks::backlog(&state).await {
        Ok(n) => ::metrics::gauge!("webhook_deliveries_pending").set(n as f64),
        Err(e) => tracing::warn!(error = %e, "webhook backlog unavailable for metrics"),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::telemetry::prometheus().render())
}
