//! Liveness and readiness probes.

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::extract::{NoQuery, Query};
use crate::api::operations::HealthResponse;
use crate::error::AppError;
use crate::services::AppState;

/// Process liveness.
///
/// Answers 200 while the process runs, without touching the database: for an orchestrator's
/// liveness probe. Anyone may call it; it is never rate limited.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses((status = 200, description = "The process is up", body = HealthResponse))
)]
#[get("/healthz")]
pub async fn healthz(_: Query<NoQuery>) -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok" })
}

/// Readiness.
///
/// 200 when the database answers a query within the pool timeout, 503 with `Retry-After` when it
/// does not: for a load balancer's readiness probe. Anyone may call it; it is never rate limited.
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

/// Who may scrape `/metrics`, and where.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    /// The bearer token a scrape must send, when one is configured.
    pub token: Option<String>,
    /// Whether this listener does not serve metrics (they have a listener of their own).
    pub elsewhere: bool,
}

impl MetricsAccess {
    /// Refuses a scrape this listener does not serve (404) or that lacks the token (401).
    fn admit(&self, request: &HttpRequest) -> Result<(), AppError> {
        use subtle::ConstantTimeEq;
        if self.elsewhere {
            return Err(AppError::RouteNotFound);
        }
        let Some(token) = &self.token else {
            return Ok(());
        };
        let sent = request
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .unwrap_or("");
        if bool::from(sent.as_bytes().ct_eq(token.as_bytes())) {
            Ok(())
        } else {
            Err(AppError::Unauthorized)
        }
    }
}

/// Prometheus metrics.
///
/// Requests and latency by route template and status, database pool use, the webhook backlog, rate-
/// limit refusals, in the Prometheus text format. Served on its own listener instead when
/// `INVESTDESK_METRICS_LISTEN` is set (this route then answers 404), and only with `Authorization:
/// Bearer <token>` when `INVESTDESK_METRICS_TOKEN` is (401 otherwise). Never rate limited.
#[utoipa::path(
    tag = "operations",
    security((), ("metricsToken" = [])),
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn get_metrics(
    state: web::Data<AppState>,
    access: web::Data<MetricsAccess>,
    request: HttpRequest,
    _: Query<NoQuery>,
) -> Result<HttpResponse, AppError> {
    access.admit(&request)?;
    Ok(metrics_text(&state).await)
}

/// The metrics as Prometheus text, gauges refreshed.
pub async fn metrics_text(state: &AppState) -> HttpResponse {
    let (in_use, idle) = state.db.pool_state();
    ::metrics::gauge!("db_pool_connections", "state" => "in_use").set(f64::from(in_use));
    ::metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
    match crate::services::webhooks::backlog(state).await {
        Ok(n) => ::metrics::gauge!("webhook_deliveries_pending").set(n as f64),
        Err(e) => tracing::warn!(error = %e, "webhook backlog unavailable for metrics"),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::telemetry::prometheus().render())
}
