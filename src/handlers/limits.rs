//! The per-address rate limit, applied to every request but the health probes and metrics
//! scrapes before any other work is done.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderName;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, web};

use crate::error::AppError;
use crate::services::AppState;
use crate::services::rate_limit::retry_after_seconds;

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Paths that infrastructure polls and that must answer even to a client over its budget: GET
/// (and HEAD, which arrives here as GET) only.
const UNLIMITED: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// The address a request's budgets are kept under.
pub fn client_address(state: &AppState, request: &HttpRequest) -> std::net::IpAddr {
    state.limits.client_address(
        request.peer_addr().map(|a| a.ip()),
        request
            .headers()
            .get(FORWARDED_FOR)
            .and_then(|v| v.to_str().ok()),
    )
}

pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if let Some(state) = request.app_data::<web::Data<AppState>>()
        && let Some(limiter) = &state.limits.per_address
        && !(UNLIMITED.contains(&request.path())
            && request.method() == actix_web::http::Method::GET)
    {
        let address = client_address(state, request.request());
        if let Err(wait) = limiter.check(&address, Instant::now()) {
            metrics::counter!("rate_limited_total", "limit" => "address").increment(1);
            let error = AppError::TooManyRequests {
                retry_after: retry_after_seconds(wait),
            };
            return Ok(super::middleware::problem(request, error));
        }
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}
