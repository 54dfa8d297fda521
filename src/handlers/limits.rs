//! The per-address rate limit, applied to every request but the health probes and metrics
//! scrapes before any other work is done, and the `RateLimit-Policy` / `RateLimit` headers
//! (IETF httpapi draft) that tell a client where it stands in each budget it spent from.

use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, web};

use crate::error::AppError;
use crate::services::AppState;
use crate::services::rate_limit::{Limiter, Policy, Standing, retry_after_seconds};

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// Paths that infrastructure polls and that must answer even to a client over its budget: GET
/// (and HEAD, which arrives here as GET) only.
const UNLIMITED: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// The budgets a request spent from, by policy name (`address`, then `key`), reported in the
/// response's rate-limit headers.
#[derive(Debug, Clone, Default)]
struct Budgets(Vec<(&'static str, Policy, Standing)>);

/// Records where the request stands in one budget (`Err(wait)`: refused, nothing left).
pub fn report<K: std::hash::Hash + Eq + Clone>(
    request: &HttpRequest,
    name: &'static str,
    limiter: &Limiter<K>,
    verdict: Result<Standing, Duration>,
) {
    let standing = verdict.unwrap_or_else(|wait| Standing {
        remaining: 0,
        reset: wait,
    });
    let mut extensions = request.extensions_mut();
    let budgets = extensions.get_mut::<Budgets>();
    let entry = (name, limiter.policy(), standing);
    match budgets {
        Some(budgets) => budgets.0.push(entry),
        None => {
            extensions.insert(Budgets(vec![entry]));
        }
    }
}

/// Whole seconds, rounded up: a client that waits `t` finds the budget whole.
fn seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// `"address";q=100;w=1, "key";q=50;w=1` and `"address";r=99;t=1, "key";r=49;t=1`.
fn headers(budgets: &Budgets) -> (String, String) {
    let policy = budgets
        .0
        .iter()
        .map(|(name, p, _)| format!("\"{name}\";q={};w={}", p.quota, seconds(p.window).max(1)))
        .collect::<Vec<_>>()
        .join(", ");
    let standing = budgets
        .0
        .iter()
        .map(|(name, _, s)| format!("\"{name}\";r={};t={}", s.remaining, seconds(s.reset)))
        .collect::<Vec<_>>()
        .join(", ");
    (policy, standing)
}

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
        let verdict = limiter.check(&address, Instant::now());
        report(request.request(), "address", limiter, verdict);
        if let Err(wait) = verdict {
            metrics::counter!("rate_limited_total", "limit" => "address").increment(1);
            let error = AppError::TooManyRequests {
                retry_after: retry_after_seconds(wait),
            };
            return Ok(with_headers(super::middleware::problem(request, error)));
        }
    }
    next.call(request)
        .await
        .map(|response| with_headers(response.map_into_boxed_body()))
}

/// The response with the rate-limit headers of the budgets its request spent from.
fn with_headers(mut response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let budgets = response.request().extensions().get::<Budgets>().cloned();
    if let Some(budgets) = budgets {
        let (policy, standing) = headers(&budgets);
        let pairs = [(RATELIMIT_POLICY, policy), (RATELIMIT, standing)];
        for (name, value) in pairs {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::rate_limit::Quota;

    #[test]
    fn the_headers_name_each_budget_with_its_quota_window_remainder_and_reset() {
        let address = Limiter::<u8>::new(Quota::per_second(100, 200)).unwrap();
        let key = Limiter::<u8>::new(Quota::per_second(50, 100)).unwrap();
        let budgets = Budgets(vec![
            (
                "address",
                address.policy(),
                Standing {
                    remaining: 199,
                    reset: Duration::from_millis(10),
                },
            ),
            (
                "key",
                key.policy(),
                Standing {
                    remaining: 0,
                    reset: Duration::from_millis(2500),
                },
            ),
        ]);
        let (policy, standing) = headers(&budgets);
        assert_eq!(policy, "\"address\";q=200;w=2, \"key\";q=100;w=2");
        assert_eq!(standing, "\"address\";r=199;t=1, \"key\";r=0;t=3");
    }
}
